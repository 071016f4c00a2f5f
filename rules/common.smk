# Shared by all rules: the config checked and turned into settings objects once, the
# paths of every artefact (bnrank.paths), and the figure registry (bnrank.figures).

import sys
import typing

from bnrank import config as config_checks
from bnrank import labels
from bnrank.figures import ARTEFACTS, FIGURES
from bnrank.paths import Paths
from bnrank.settings import CnnArchitecture, CnnNorm, CnnScheme, InitScheme, Norm, Settings, TrainingStage, plain
from bnrank.runs import limit_resource, package_files, run_finished, run_started, visible_gpus

# Stop before any job runs when the config is invalid, naming each bad key; fills in
# the schema's defaults.
try:
    config_checks.validate(config, f"{workflow.basedir}/schemas/config.schema.yaml")
except config_checks.ConfigError as error:  # a message, not a crash: no traceback
    sys.exit(f"{error}")
S = Settings.from_config(config)
paths = Paths(f"results/{S.preset}", S.data.directory)
# What a training job asks of the `gpu` resource: one GPU where this machine has any, none
# where it has none, so that CPU training jobs run side by side on the cores. At most as
# many GPU jobs run at once as the machine has GPUs (`--resources gpu=N` overrides). A
# cluster profile (profiles/slurm) asks for a GPU per training job whatever the submitting
# machine has, and Slurm hands them out.
GPUS = visible_gpus()
TRAINING_GPUS = 1 if GPUS else 0
if GPUS:
    limit_resource(workflow, "gpu", GPUS)


wildcard_constraints:
    figure="|".join(FIGURES),
    experiment="|".join([*S.experiments, *S.cnn_experiments]),
    width="[0-9]+",
    depth="[0-9]+",
    seed="[0-9]+",
    stage="|".join(typing.get_args(TrainingStage)),
    norm="|".join(typing.get_args(Norm)),
    scheme="|".join(typing.get_args(InitScheme)),
    dataset="[a-z0-9_]+",
    variant="[a-z0-9_]+",
    architecture="|".join(typing.get_args(CnnArchitecture)),
    cnn_width="[0-9.]+",
    cnn_norm="|".join(typing.get_args(CnnNorm)),
    cnn_scheme="|".join(typing.get_args(CnnScheme)),


def code(script):
    """The package modules a rule's script runs (bnrank.runs.package_files): inputs of its
    jobs, so that editing one reruns exactly the jobs that run it."""
    return package_files(f"{workflow.basedir}/scripts/{script}", workflow.basedir)


def figure_note(figure):
    """The label on a figure and its claims as the config decides it: the preset's, and the
    stand-in's if any (with data.cifar10.synthetic: auto the jobs add it from data_record)."""
    experiment = FIGURES[figure].experiment
    return labels.note(S.label, experiment is not None and S.stand_in(experiment))


def data_record(figure):
    """The data job's record of the data set a figure's runs trained on, where the job chose
    it (data.cifar10.synthetic: auto); none where the config names the data set."""
    experiment = FIGURES[figure].experiment
    if experiment is None or not S.chosen_by_data_job(experiment):
        return {}
    return {"data_record": paths.dataset_record(S.dataset_name(experiment))}


def dataset_file(experiment):
    return paths.dataset(S.dataset_name(experiment))


def init_weights_file(experiment, variant, depth, seed):
    v = S.variants[variant]
    return paths.init_weights(S.dataset_name(experiment), v.norm, v.init, depth, seed)


def start_weights_file(experiment, variant, depth, seed):
    """A training run's starting weights: pretrained if its variant says so, else initial."""
    if S.variants[variant].pretrain:
        return paths.pretrained_weights(experiment, variant, depth, seed)
    return init_weights_file(experiment, variant, depth, seed)


def cnn_init_file(experiment, variant, seed):
    v = S.cnn_variants[variant]
    return paths.cnn_init(S.cnn_experiments[experiment].architecture, S.cnn.width, v.norm, v.init, seed)


def data_sources(dataset):
    """The settings of ``data`` a data set's job uses: where to look, how to make the stand-in,
    or both (cifar10_auto)."""
    d = S.data
    if dataset == "fashion_mnist":
        return plain(d.fashion_mnist)
    if dataset == "cifar10":
        return {"directory": d.cifar10.directory, "url": d.cifar10.url}
    if dataset == "cifar10_auto":
        return {"directory": d.cifar10.directory, "url": d.cifar10.url, "stand_in": plain(d.cifar10.stand_in)}
    return plain(d.cifar10.stand_in)


def init_grid(w):
    """The (depth, seed) pairs an experiment measures at initialisation."""
    grid = S.experiments[w.experiment].measure_init
    return [(depth, seed) for depth in grid.depths for seed in range(grid.n_seeds)]


def experiment_files(experiment, artefact, stage):
    """Every variant's file of an experiment's ``metrics`` or ``ranks`` of one training stage."""
    make = {"metrics": paths.metrics, "ranks": paths.ranks}[artefact]
    return [make(experiment, v, stage) for v in S.experiments[experiment].variants]


def artefact_files(figure, artefact):
    """The file, or files, of one artefact a figure's table reads (bnrank.figures.ARTEFACTS)."""
    experiment = FIGURES[figure].experiment
    widths = S.chains.width_sweep.widths
    if artefact == "depth_sweep":
        return paths.depth_sweep()
    if artefact == "width_ranks":
        return [paths.width_sweep(w, "ranks") for w in widths]
    if artefact == "width_moments":
        return [paths.width_sweep(w, "moments") for w in widths]
    if artefact == "spectrum":
        return paths.spectrum()
    if artefact == "orthogonality":
        return paths.orthogonality()
    if artefact == "gradients":
        return paths.gradients()
    if artefact == "isometry":
        return paths.isometry()
    if artefact == "init_ranks":
        return [paths.init_ranks(experiment, v) for v in S.experiments[experiment].variants]
    if artefact in ("metrics", "ranks"):
        return experiment_files(experiment, artefact, "reported")
    if artefact == "selected":
        return paths.selected_lr(experiment)
    if artefact == "cnn_logs":
        shown = section(figure, "table")["show"]
        return [paths.cnn_log(experiment, v, s) for v in shown for s in S.cnn_experiments[experiment].seeds]
    if artefact == "pretrain_ranks":
        e = S.experiments[experiment]
        pretrained = [v for v in e.variants if S.variants[v].pretrain]
        return [paths.pretrain_ranks(experiment, v, d, s) for v in pretrained for d in e.depths for s in e.seeds]
    raise ValueError(f"{figure} reads {artefact!r}, which no stage makes; artefacts: {', '.join(ARTEFACTS)}")


def variant_kinds(experiment):
    """Each variant's normalisation, init scheme and pretraining iterations, for tables."""
    kinds = {}
    for name in S.experiments[experiment].variants:
        v, pretraining = S.variants[name], S.pretraining_of(name)
        kinds[name] = {
            **plain(v),
            "input_scale": S.input_scale(name),
            "pretrain_iterations": pretraining.iterations if pretraining else 0,
        }
    return kinds


def table_context(figure):
    """The facts about its experiment a figure's table takes (bnrank.figures.CONTEXT)."""
    f = FIGURES[figure]
    facts = {
        "variants": lambda: variant_kinds(f.experiment),
        "dataset": lambda: S.dataset_name(f.experiment),
        "width": lambda: S.network.width,
        "seeds": lambda: S.experiment(f.experiment).reported_seeds,
    }
    return {name: facts[name]() for name in f.context}


def section(figure, part):
    """``figN.table`` or ``figN.claims`` of the config."""
    return config[figure].get(part, {})


def convergence(figure, part):
    """The settings of ``convergence`` a figure's ``table`` builder (the window) or ``claims``
    check (the limits) takes, by the names its parameters give them (bnrank.figures.CONVERGENCE)."""
    return {name: getattr(S.convergence, name) for name in FIGURES[figure].convergence[part]}


def plot_options(figure):
    """The table settings and thresholds a figure's plot draws."""
    given = {**section(figure, "table"), **section(figure, "claims")}
    return {name: given[name] for name in FIGURES[figure].plot_options}
