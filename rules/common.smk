# Helpers shared by all rules: config validation, output paths per preset, targets.

from snakemake.utils import validate

from bnrank.config import check_config, config_error, schema_errors

SCHEMA = f"{workflow.basedir}/schemas/config.schema.yaml"

# Stop before any job runs when the config is invalid, naming each bad key.
if problems := schema_errors(config, SCHEMA):
    raise config_error(problems)
validate(config, SCHEMA)  # fills in the schema's defaults
if problems := check_config(config):
    raise config_error(problems)

RESULTS = f"results/{config['preset']}"
DATA = config["data"]["directory"]
FIGURES = ["fig1", "fig2", "fig3", "fig4", "fig6", "fig8", "fig9", "fig11", "fig12"]
WIDTHS = config["chains"]["widths"]
EXPERIMENTS = ["fig1", "fig4", "fig6", "fig12"]  # training runs (Fig 11 reads Fig 4's)


wildcard_constraints:
    fig="fig[0-9]+",
    exp="fig[0-9]+",
    d="[0-9]+",
    depth="[0-9]+",
    seed="[0-9]+",
    norm="bn|none",
    scheme="pytorch|asymmetric|xavier_normal",
    dataset="[a-z0-9_]+",
    variant="[a-z0-9_]+",


def dataset_name(exp):
    """The data set file an experiment trains on (CIFAR-10 or its stand-in, by the config)."""
    name = config[exp]["dataset"]
    return "cifar10_synthetic" if name == "cifar10" and config["data"]["cifar10"]["synthetic"] else name


def dataset_file(exp):
    return f"{DATA}/{dataset_name(exp)}.pt"


def stand_in_note(exp):
    """The label every figure and claim made from the CIFAR-10 stand-in carries."""
    return "synthetic CIFAR-10 stand-in, not CIFAR-10" if dataset_name(exp).endswith("_synthetic") else ""


def figure_note(*exps):
    return "; ".join(n for n in [config["label"], *{stand_in_note(e) for e in exps}] if n)


def arch_settings():
    t = config["training"]
    return {"width": t["width"], "activation": t["activation"], "bn_affine": t["bn_affine"]}


def init_file(exp, variant, depth, seed):
    v = config["variants"][variant]
    return f"{RESULTS}/init/{dataset_name(exp)}/{v['norm']}-{v['init']}/d{depth}/s{seed}.npz"


def start_file(exp, variant, depth, seed):
    """A training run's starting weights: pretrained if its variant says so, else initial."""
    if config["variants"][variant].get("pretrain"):
        return f"{RESULTS}/pretrain/{exp}/{variant}/d{depth}/s{seed}.npz"
    return init_file(exp, variant, depth, seed)


def train_files(exp, kind="metrics"):
    e = config[exp]
    return [f"{RESULTS}/train/{exp}/{v}/d{d}/{kind}.csv" for v in e["variants"] for d in e["depths"]]


def figure_outputs(fig):
    """Everything a figure target delivers: PDF, PNG, tidy table and claims."""
    return [
        f"{RESULTS}/figures/{fig}.pdf",
        f"{RESULTS}/figures/{fig}.png",
        f"{RESULTS}/tables/{fig}.csv",
        f"{RESULTS}/claims/{fig}.csv",
    ]


def without(section, *keys):
    """A config section minus ``keys`` (settings its jobs do not use)."""
    return {k: v for k, v in section.items() if k not in keys}
