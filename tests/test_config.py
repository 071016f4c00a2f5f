import copy
import typing

import pytest
import yaml

from bnrank import settings
from bnrank.config import check_config, load_schema, schema_errors
from bnrank.settings import Settings
from tests.conftest import FAITHFUL, QUICK, REPO, workflow_config

SCHEMA = str(REPO / "schemas" / "config.schema.yaml")


def paper_config():
    return yaml.safe_load((REPO / "config.yaml").read_text())


def merged(base: dict, overlay: dict) -> dict:
    """``overlay`` merged into ``base`` key by key, as Snakemake merges --configfile."""
    out = copy.deepcopy(base)
    for key, value in overlay.items():
        out[key] = merged(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out


def filled(config):
    assert schema_errors(config, SCHEMA) == []
    return config


def test_paper_and_quick_configs_are_valid_and_build_settings():
    config = filled(paper_config())
    assert check_config(config) == []
    quick = filled(merged(paper_config(), yaml.safe_load(QUICK.read_text())))
    assert check_config(quick) == []
    s = Settings.from_config(quick)
    assert s.chains.width_sweep.widths == (8, 16, 32, 64, 128, 256)
    assert s.experiments["fig1"].measure_init.n_seeds == 5 and s.experiments["fig1"].n_seeds == 2
    assert s.dataset_name("fig4") == "cifar10_auto" and s.chosen_by_data_job("fig4") and not s.stand_in("fig4")
    assert s.dataset_name("vgg19") == "cifar10_auto" and not s.chosen_by_data_job("fig1")
    assert s.training_job("fig4", "bn").lrs == (0.01, 0.001, 0.0001)  # a preset keeps the paper's grids
    assert s.pretraining_of("pretrained_25").iterations == 25 and s.pretraining_of("bn") is None
    assert s.measurement.rank_notions.taus == (0.5,)


def test_settings_survive_the_trip_through_params():
    s = Settings.from_config(filled(paper_config()))
    for part in (s.chains.depth_sweep, s.chains.spectrum, s.measurement, s.network, s.training_job("fig1", "bn")):
        assert settings.build(type(part), settings.plain(part)) == part
    sweep = settings.build(settings.WidthSweep, s.chains.width_sweep.job(8))
    assert sweep.widths == () and sweep.steps == s.chains.width_sweep.steps  # a width's job never sees the others


def test_a_width_can_have_its_own_chain_length():
    config = filled(paper_config())
    config["chains"]["width_sweep"]["steps_by_width"] = {8: 5000, 16: 3000}
    sweep = Settings.from_config(config).chains.width_sweep
    assert [sweep.job(w)["steps"] for w in (8, 16, 32)] == [5000, 3000, 1000000]
    assert "steps_by_width" not in sweep.job(8)  # the paper preset's jobs keep their params
    config["chains"]["width_sweep"]["steps_by_width"] = {12: 5000, 16: 1500}
    problems = check_config(config)
    assert "chains.width_sweep.steps_by_width: 12 is not among chains.width_sweep.widths" in problems[0]
    assert any("chains.width_sweep.steps_by_width.16: 1500 leaves no rank sample" in p for p in problems)


def test_schema_enums_are_the_settings_literals():
    """One fact, one place: the schema allows exactly the values the code knows."""
    schema = load_schema(SCHEMA)
    props = schema["properties"]
    d = schema["definitions"]
    pairs = [
        (d["activation"]["enum"], settings.Activation),
        (d["weights"]["enum"], settings.WeightLaw),
        (props["variants"]["additionalProperties"]["properties"]["norm"]["enum"], settings.Norm),
        (props["variants"]["additionalProperties"]["properties"]["init"]["enum"], settings.InitScheme),
        (props["fig2"]["properties"]["table"]["properties"]["rank"]["enum"], settings.RankNotion),
        (props["cnn_variants"]["additionalProperties"]["properties"]["norm"]["enum"], settings.CnnNorm),
        (props["cnn_variants"]["additionalProperties"]["properties"]["init"]["enum"], settings.CnnScheme),
        (props["cnn_variants"]["additionalProperties"]["properties"]["inputs"]["enum"], settings.CnnInputs),
        (
            props["cnn_experiments"]["additionalProperties"]["properties"]["architecture"]["enum"],
            settings.CnnArchitecture,
        ),
        (props["cnn"]["properties"]["precision"]["enum"], settings.Precision),
        (props["data"]["properties"]["cifar10"]["properties"]["synthetic"]["enum"], settings.Synthetic),
    ]
    for enum, literal in pairs:
        assert tuple(enum) == typing.get_args(literal)


def test_strings_from_the_command_line_are_read_by_the_schema_types():
    """snakemake --config 'chains={"depth_sweep": {"width": 64}}' hands nested values over as strings."""
    config = paper_config()
    config["chains"]["depth_sweep"].update(width="64", activations="[relu]", center="false")
    config["experiments"]["fig4"].update(train_samples="null")
    config["fig3"]["claims"]["min_slope"] = "0.4"
    filled(config)
    assert config["chains"]["depth_sweep"]["width"] == 64 and config["chains"]["depth_sweep"]["center"] is False
    assert config["chains"]["depth_sweep"]["activations"] == ["relu"] and config["fig3"]["claims"]["min_slope"] == 0.4
    assert config["experiments"]["fig4"]["train_samples"] is None
    config["chains"]["depth_sweep"]["width"] = "-3"  # read, then held to the schema's bounds
    assert schema_errors(config, SCHEMA) == ["chains.depth_sweep.width: -3 is less than the minimum of 1"]
    config["chains"]["depth_sweep"]["width"] = "wide"
    assert schema_errors(config, SCHEMA) == ["chains.depth_sweep.width: 'wide' is not of type 'integer'"]


@pytest.mark.parametrize(
    "synthetic, name, stand_in, chosen_by_job",
    [(False, "cifar10", False, False), (True, "cifar10_synthetic", True, False), ("auto", "cifar10_auto", False, True)],
)
def test_the_cifar_data_set_follows_data_cifar10_synthetic(synthetic, name, stand_in, chosen_by_job):
    """false and true name the data set when the DAG is built; with auto the data job chooses."""
    config = paper_config()
    config["data"]["cifar10"]["synthetic"] = synthetic
    s = Settings.from_config(filled(config))
    assert (s.dataset_name("fig4"), s.stand_in("fig4"), s.chosen_by_data_job("fig4")) == (name, stand_in, chosen_by_job)
    assert s.dataset_name("fig1") == "fashion_mnist" and not s.chosen_by_data_job("fig1")


def test_data_cifar10_synthetic_allows_true_false_and_auto():
    config = paper_config()
    config["data"]["cifar10"]["synthetic"] = "maybe"
    assert schema_errors(config, SCHEMA) == ["data.cifar10.synthetic: 'maybe' is not one of [False, True, 'auto']"]
    for given, read in (("true", True), ("false", False), ("auto", "auto")):  # as --config hands them over
        config["data"]["cifar10"]["synthetic"] = given
        assert schema_errors(config, SCHEMA) == [] and config["data"]["cifar10"]["synthetic"] == read


def test_schema_fills_defaults():
    config = paper_config()
    del config["chains"]["depth_sweep"]["layers"], config["chains"]["width_sweep"]["gammas"], config["measurement"]
    filled(config)
    assert config["chains"]["depth_sweep"]["layers"] == 50000
    assert config["chains"]["width_sweep"]["gammas"][-1] == float("inf")
    assert config["measurement"]["dtype"] == "float32"
    assert config["fig2"]["table"] == {"rank": "matrix_rank", "tau": None}  # the table builder's default
    assert check_config(config) == []


@pytest.mark.parametrize(
    "edit, expected",
    [
        (
            lambda c: c["chains"]["depth_sweep"].update(width="wide"),
            "chains.depth_sweep.width: 'wide' is not of type 'integer'",
        ),
        (
            lambda c: c["chains"]["depth_sweep"].update(width=-3),
            "chains.depth_sweep.width: -3 is less than the minimum of 1",
        ),
        (lambda c: c["fig2"]["table"].update(rank="nuclear"), "fig2.table.rank: 'nuclear' is not one of"),
        (
            lambda c: c["chains"]["depth_sweep"].update(activations=["relu", "sigmoid"]),
            "chains.depth_sweep.activations.1: 'sigmoid'",
        ),
        (lambda c: c["chains"]["depth_sweep"].update(lyers=10), "'lyers' was unexpected"),
        (
            lambda c: c["chains"]["width_sweep"].update(gammas=[0.0]),
            "chains.width_sweep.gammas.0: 0.0 is less than or equal to the minimum of 0",
        ),
        (
            lambda c: c["chains"]["width_sweep"].update(weights="cauchy"),
            "chains.width_sweep.weights: 'cauchy' is not one of ['gaussian', 'uniform', 'orthogonal']",
        ),
        (lambda c: c["fig9"]["claims"].update(slope=[1.3]), "fig9.claims.slope: [1.3] is too short"),
        (
            lambda c: c["fig8"]["claims"].update(min_width="ten"),
            "fig8.claims.min_width: 'ten' is not of type 'integer'",
        ),
        (lambda c: c.update(fig99={"claims": {}}), "'fig99' was unexpected"),
    ],
)
def test_schema_errors_name_the_key_and_what_is_allowed(edit, expected):
    config = paper_config()
    edit(config)
    problems = schema_errors(config, SCHEMA)
    assert any(expected in p for p in problems), problems


def test_misspelt_key_lists_the_allowed_keys():
    config = paper_config()
    config["chains"]["depth_sweep"]["lyers"] = 10
    (problem,) = schema_errors(config, SCHEMA)
    assert "allowed keys: width, batch, runs, layers" in problem


def test_cross_key_rules():
    config = filled(paper_config())
    config["fig3"]["table"]["tau"] = 0.3
    config["chains"]["width_sweep"]["steps"] = 500
    config["chains"]["spectrum"]["top"] = 60
    config["fig9"]["claims"]["slope"] = [1.7, 1.3]
    problems = "\n".join(check_config(config))
    assert "fig3.table.tau: 0.3 is not among rank_notions.taus" in problems
    assert "chains.width_sweep.steps: 500 leaves no rank sample" in problems
    assert "chains.spectrum.top: 60 exceeds chains.spectrum.width (50)" in problems
    assert "fig9.claims.slope: lower end 1.7 exceeds upper end 1.3" in problems


@pytest.mark.parametrize(
    "edit, expected",
    [
        (
            lambda c: c["experiments"]["fig1"].update(dataset="mnist"),
            "experiments.fig1.dataset: 'mnist' is not one of ['fashion_mnist', 'cifar10']",
        ),
        (lambda c: c["variants"]["bn"].update(init="orthogonal"), "variants.bn.init: 'orthogonal' is not one of"),
        (lambda c: c["experiments"]["fig4"]["lrs"].update(bn=[]), "experiments.fig4.lrs.bn: [] should be non-empty"),
        (
            lambda c: c["experiments"]["fig6"].update(depths=[0]),
            "experiments.fig6.depths.0: 0 is less than the minimum",
        ),
        (lambda c: c["experiments"]["fig1"].update(seeds=3), "'seeds' was unexpected"),
        (lambda c: c["fig1"]["claims"].update(bn_max_dorp=0.1), "fig1.claims: Additional properties are not allowed"),
        (lambda c: c["fig9"]["claims"].pop("slope"), "fig9.claims: 'slope' is a required property"),
        (
            lambda c: c["cnn_experiments"]["vgg19"].update(architecture="vgg16"),
            "cnn_experiments.vgg19.architecture: 'vgg16' is not one of ['vgg19', 'resnet50']",
        ),
        (
            lambda c: c["cnn_variants"]["bn"].update(norm="layernorm"),
            "cnn_variants.bn.norm: 'layernorm' is not one of ['bn', 'bn_nocenter', 'none']",
        ),
        (
            lambda c: c["cnn_variants"]["bn"].update(init="xavier_normal"),
            "cnn_variants.bn.init: 'xavier_normal' is not one of ['pytorch', 'asymmetric']",
        ),
        (lambda c: c["cnn"].update(width=0), "cnn.width: 0 is less than or equal to the minimum of 0"),
        (lambda c: c["cnn"].update(width=-0.5), "cnn.width: -0.5 is less than or equal to the minimum of 0"),
        (lambda c: c["cnn_variants"]["none_lr100"].update(lr_factor=0), "cnn_variants.none_lr100.lr_factor: 0"),
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
        (
            lambda c: c["experiments"]["fig1"].update(batch=70000),
            "experiments.fig1.batch: 70000 exceeds the 60000 training samples of fashion_mnist",
        ),
        (
            lambda c: c["experiments"]["fig12"].update(train_samples=100, batch=128),
            "experiments.fig12.batch: 128 exceeds the 100 training samples",
        ),
        (
            lambda c: c["experiments"]["fig4"].update(variants=["pretrained", "layernorm"]),
            "experiments.fig4.variants: 'layernorm' is not a key of variants",
        ),
        (
            lambda c: c["experiments"]["fig6"]["lrs"].pop("bn"),
            "experiments.fig6.lrs: no learning-rate grid for variant 'bn'",
        ),
        (
            lambda c: c["variants"]["pretrained"].update(pretrain="deeper"),
            "variants.pretrained.pretrain: 'deeper' is not a key of pretraining",
        ),
        (
            lambda c: c["experiments"].pop("fig12"),
            "experiments: no experiment 'fig12', whose runs fig12 reads",
        ),
        (
            lambda c: c["experiments"]["fig1"].pop("measure_init"),
            "experiments.fig1.measure_init: required, fig1 plots ranks at initialisation",
        ),
        (
            lambda c: c["experiments"]["fig4"]["lrs"].update(bn=[0.01, 0.001, 0.0001, 0.00001]),
            "experiments.fig4.lrs: every variant needs as many learning rates as the others",
        ),
        (
            lambda c: c["fig4"]["claims"].update(bn="bn_asymmetric"),
            "fig4.claims.bn: 'bn_asymmetric' is not a variant of experiment 'fig4'",
        ),
        (
            lambda c: c["fig11"]["claims"].update(pretrained="pretrained_75"),
            "fig11.claims.pretrained: 'pretrained_75' is not a variant of experiment 'fig4'",
        ),
        (
            lambda c: c["experiments"]["fig1"]["lrs"].update(vanila=[0.1]),
            "experiments.fig1.lrs.vanila: 'vanila' is not a variant of experiment 'fig1' (vanilla, bn)",
        ),
        (
            lambda c: c["data"]["fashion_mnist"].update(directory="/no/such/folder"),
            "data.fashion_mnist.directory: the folder '/no/such/folder' does not exist",
        ),
        (
            lambda c: c["data"]["cifar10"].update(directory="missing-cifar"),
            "data.cifar10.directory: the folder 'missing-cifar' does not exist",
        ),
        (
            lambda c: c["cnn_experiments"]["vgg19"].update(batch=60000),
            "cnn_experiments.vgg19.batch: 60000 exceeds the 50000 training samples of cifar10",
        ),
        (
            lambda c: (c["data"]["cifar10"].update(synthetic=True), c["data"]["cifar10"]["stand_in"].update(train=100)),
            "cnn_experiments.resnet50.batch: 128 exceeds the 100 training samples of cifar10",
        ),
        (  # auto may use either data set: the batch must fit the smaller
            lambda c: (
                c["data"]["cifar10"].update(synthetic="auto"),
                c["data"]["cifar10"]["stand_in"].update(train=100),
            ),
            "cnn_experiments.resnet50.batch: 128 exceeds the 100 training samples of cifar10's stand-in "
            "(data.cifar10.synthetic: auto)",
        ),
        (  # ... and a larger stand-in does not make CIFAR-10 larger
            lambda c: (
                c["data"]["cifar10"].update(synthetic="auto"),
                c["data"]["cifar10"]["stand_in"].update(train=60000),
                c["cnn_experiments"]["vgg19"].update(batch=55000),
            ),
            "cnn_experiments.vgg19.batch: 55000 exceeds the 50000 training samples of cifar10",
        ),
        (
            lambda c: c["cnn_experiments"]["resnet50"].update(variants=["bn", "bn_centred"]),
            "cnn_experiments.resnet50.variants: 'bn_centred' is not a key of cnn_variants",
        ),
        (
            lambda c: c["fig7"]["table"].update(show=["bn", "bn_nocentre"]),
            "fig7.table.show: 'bn_nocentre' is not a variant of experiment 'vgg19'",
        ),
        (
            lambda c: c["fig13"]["claims"].update(nocenter="none"),
            "fig13.claims.nocenter: 'none' is not a variant of experiment 'resnet50'",
        ),
        (
            lambda c: c["cnn"].update(checkpoint_every=150),
            "cnn.checkpoint_every: 150 is not a multiple of cnn_experiments.vgg19.log_every (100)",
        ),
        (
            lambda c: c["cnn_experiments"].update(fig1=c["cnn_experiments"]["vgg19"]),
            "cnn_experiments.fig1: the name is taken by experiments.fig1",
        ),
        (
            lambda c: c["cnn_experiments"].pop("resnet50"),
            "experiments: no experiment 'resnet50', whose runs fig13 reads",
        ),
    ],
)
def test_training_cross_key_errors(edit, expected):
    config = filled(paper_config())
    edit(config)
    problems = "\n".join(check_config(config))
    assert expected in problems


def test_convergence_is_validated_with_defaults_and_each_figures_reference_is_a_variant():
    config = paper_config()
    del config["convergence"]
    s = Settings.from_config(filled(config))
    assert s.convergence == settings.Convergence(window=0.25, max_relative_improvement=0.1, fit_accuracy=0.99)
    assert config["fig1"]["claims"]["reference"] == "bn" and config["fig6"]["claims"]["reference"] == "bn"
    broken = paper_config()
    broken["convergence"].update(window=0, fit_accuracy=1.5)
    assert schema_errors(broken, SCHEMA) == [
        "convergence.fit_accuracy: 1.5 is greater than the maximum of 1",
        "convergence.window: 0 is less than or equal to the minimum of 0",
    ]
    config["fig6"]["claims"]["reference"] = "vanilla"
    assert check_config(config) == [
        "fig6.claims.reference: 'vanilla' is not a variant of experiment 'fig6' "
        "(vanilla_xavier, pretrained_25, pretrained_75, bn, bn_asymmetric)"
    ]


@pytest.mark.parametrize("presets", [(QUICK,), (QUICK, FAITHFUL)], ids=["quick", "faithful"])
def test_a_preset_changes_sizes_only(presets):
    """R0 of docs/figures.md §6: the quick preset, and the faithful one over it, keep the
    paper's learning-rate grids, batches, optimiser, variants, claims, thresholds and
    convergence rule."""
    paper, quick = workflow_config(), workflow_config(*presets)
    for name, experiment in paper["experiments"].items():
        for key in ("lrs", "batch", "variants", "dataset"):
            assert quick["experiments"][name][key] == experiment[key], f"experiments.{name}.{key}"
    for name, experiment in paper["cnn_experiments"].items():
        for key in ("lr", "batch", "momentum", "weight_decay", "variants", "architecture"):
            assert quick["cnn_experiments"][name][key] == experiment[key], f"cnn_experiments.{name}.{key}"
    protocol = ["variants", "cnn_variants", "convergence", "network", "measurement"]
    protocol += [f for f in paper if f.startswith("fig")]
    for key in protocol:
        assert quick[key] == paper[key], key
