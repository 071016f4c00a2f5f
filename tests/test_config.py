import copy

import pytest
import yaml
from snakemake.utils import validate

from bnrank.config import check_config, schema_errors
from tests.conftest import QUICK, REPO

SCHEMA = str(REPO / "schemas" / "config.schema.yaml")


def paper_config():
    return yaml.safe_load((REPO / "config.yaml").read_text())


def test_paper_and_quick_configs_are_valid():
    config = paper_config()
    assert schema_errors(config, SCHEMA) == []
    quick = copy.deepcopy(config)
    for section, values in yaml.safe_load(QUICK.read_text()).items():
        quick[section] = {**quick[section], **values} if isinstance(values, dict) else values
    assert schema_errors(quick, SCHEMA) == []
    validate(config, SCHEMA)
    assert check_config(config) == []


def test_schema_fills_defaults():
    config = {}
    validate(config, SCHEMA)
    assert config["fig2"]["simulation"]["layers"] == 50000
    assert config["chains"]["gammas"][-1] == float("inf")
    assert check_config(config) == []


@pytest.mark.parametrize(
    "edit, expected",
    [
        (lambda c: c["fig2"]["simulation"].update(width="wide"), "fig2.simulation.width: 'wide' is not of type 'integer'"),
        (lambda c: c["fig2"]["simulation"].update(width=-3), "fig2.simulation.width: -3 is less than the minimum of 1"),
        (lambda c: c["fig2"].update(rank="nuclear"), "fig2.rank: 'nuclear' is not one of"),
        (lambda c: c["fig2"]["simulation"].update(activations=["relu", "sigmoid"]), "fig2.simulation.activations.1: 'sigmoid'"),
        (lambda c: c["fig2"]["simulation"].update(lyers=10), "'lyers' was unexpected"),
        (lambda c: c["chains"].update(gammas=[0.0]), "chains.gammas.0: 0.0 is less than or equal to the minimum of 0"),
        (lambda c: c["chains"].update(weights="cauchy"), "chains.weights: 'cauchy' is not one of ['gaussian', 'uniform']"),
    ],
)
def test_schema_errors_name_the_key_and_what_is_allowed(edit, expected):
    config = paper_config()
    edit(config)
    problems = schema_errors(config, SCHEMA)
    assert any(expected in p for p in problems), problems


def test_misspelt_key_lists_the_allowed_keys():
    config = paper_config()
    config["fig2"]["simulation"]["lyers"] = 10
    (problem,) = schema_errors(config, SCHEMA)
    assert "allowed keys: width, batch, runs, layers" in problem


def test_cross_key_rules():
    config = paper_config()
    validate(config, SCHEMA)
    config["fig3"]["tau"] = 0.3
    config["chains"]["steps"] = 500
    config["fig3"]["spectrum"]["top"] = 60
    problems = "\n".join(check_config(config))
    assert "fig3.tau: 0.3 is not among rank_notions.taus" in problems
    assert "chains.steps: 500 leaves no rank sample" in problems
    assert "fig3.spectrum.top: 60 exceeds fig3.spectrum.width (50)" in problems
