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
    config = paper_config()
    del config["fig2"]["simulation"]["layers"], config["chains"]["gammas"], config["training"]
    validate(config, SCHEMA)
    assert config["fig2"]["simulation"]["layers"] == 50000
    assert config["chains"]["gammas"][-1] == float("inf")
    assert config["training"]["measure_dtype"] == "float32"
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


@pytest.mark.parametrize(
    "edit, expected",
    [
        (lambda c: c["fig1"].update(dataset="mnist"), "fig1.dataset: 'mnist' is not one of ['fashion_mnist', 'cifar10']"),
        (lambda c: c["variants"]["bn"].update(init="orthogonal"), "variants.bn.init: 'orthogonal' is not one of"),
        (lambda c: c["fig4"]["lrs"].update(bn=[]), "fig4.lrs.bn: [] should be non-empty"),
        (lambda c: c["fig6"].update(depths=[0]), "fig6.depths.0: 0 is less than the minimum of 1"),
    ],
)
def test_training_schema_errors(edit, expected):
    config = paper_config()
    edit(config)
    problems = schema_errors(config, SCHEMA)
    assert any(expected in p for p in problems), problems


@pytest.mark.parametrize(
    "edit, expected",
    [
        (lambda c: c["fig1"].update(batch=70000), "fig1.batch: 70000 exceeds the 60000 training samples of fashion_mnist"),
        (lambda c: c["fig12"].update(train_samples=100, batch=128), "fig12.batch: 128 exceeds the 100 training samples"),
        (lambda c: c["fig4"].update(variants=["pretrained", "layernorm"]), "fig4.variants: 'layernorm' is not a key of variants"),
        (lambda c: c["fig6"]["lrs"].pop("bn"), "fig6.lrs: no learning-rate grid for variant 'bn'"),
        (lambda c: c["variants"]["pretrained"].update(pretrain="deeper"), "variants.pretrained.pretrain: 'deeper' is not a key of pretraining"),
        (lambda c: c["fig1"]["claims"].update(bn_max_dorp=0.1), "fig1.claims: unknown bn_max_dorp"),
        (lambda c: c["fig9"]["claims"].pop("slope"), "fig9.claims: missing slope"),
    ],
)
def test_training_cross_key_errors(edit, expected):
    config = paper_config()
    validate(config, SCHEMA)
    edit(config)
    problems = "\n".join(check_config(config))
    assert expected in problems
