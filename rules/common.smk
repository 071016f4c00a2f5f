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
FIGURES = ["fig2", "fig3", "fig8", "fig9"]
WIDTHS = config["chains"]["widths"]


wildcard_constraints:
    fig="fig[0-9]+",
    d="[0-9]+",


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
