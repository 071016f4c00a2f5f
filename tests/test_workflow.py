"""The Snakemake workflow: dry runs, config errors, failures, reruns, a new figure, and a
quick end-to-end run."""

import base64
import io
import json
import os
import re
import shutil
import time
from pathlib import Path

import pandas as pd
import pytest

from bnrank import labels
from bnrank.claims import COLUMNS, STATUSES
from bnrank.figures import FIGURES
from bnrank.nets import experiments
from bnrank.paths import Paths
from bnrank.settings import Settings
from bnrank.streams import RunSeed
from tests.conftest import QUICK, QUICK_RUN, copy_repository, snakemake, workflow_config, write_config

TARGETS = [*FIGURES, "claims", "all"]
TABLE_COLUMNS = {  # the columns each table must have beyond what its unit tests check
    "fig1": {"network", "depth", "seed", "rank_init", "lower_bound_init", "train_acc", "lr", "rank_dtype"},
    "fig2": {"network", "activation", "run", "depth", "rank"},
    "fig3": {"d", "gamma", "rank", "sqrt_d", "theorem2_bound"},
    "fig4": {"variant", "depth", "seed", "epoch", "train_loss", "lr", "selected_on_seeds"}
    | {f"r_{at}_{stage}_pretraining" for at in ("pre", "post") for stage in ("before", "after")},
    "fig6": {"variant", "seed", "epoch", "train_acc", "r_pre", "r_post", "selected_on_seeds"},
    "fig8": {"d", "gamma", "alpha"},
    "fig9": {"d", "gamma", "frob2", "bound"},
    "fig11": {"variant", "depth", "seed", "epoch", "train_acc", "test_loss"},
    "fig12": {"variant", "depth", "seed", "epoch", "train_loss"},
    **{
        f: {"variant", "seed", "iteration", "train_acc", "matrix_rank", "lower_bound", "alignment", "zero_samples"}
        | {"diverged_iteration", "architecture", "width", "lr", "dataset"}
        for f in ("fig5", "fig7", "fig10", "fig13")
    },
}
TRAINING_FIGURES = [name for name, f in FIGURES.items() if f.experiment]
for _figure in TRAINING_FIGURES:  # each run's convergence window (tables.convergence_window)
    TABLE_COLUMNS[_figure] = TABLE_COLUMNS[_figure] | {"window_start", "train_loss_window_start"}


def planned_jobs(output: str) -> dict[str, int]:
    """Job counts from the 'Job stats' table of a dry run."""
    stats = output.split("Job stats:")[1].split("total")[0]
    return {m[1]: int(m[2]) for m in re.finditer(r"^(\w+)\s+(\d+)\s*$", stats, re.M)}


# Job counts, from the config a test runs (workflow_config) and the figure registry: what
# the rules make of them, so that a test holds for any sizes a preset sets.
def settings(*configfiles: Path) -> Settings:
    return Settings.from_config(workflow_config(*configfiles))


def train_jobs(s: Settings, *experiments: str) -> int:
    """`train`: two jobs per variant of each experiment, its selection stage (the rate grid on
    the selection seeds) and its reported stage (the chosen rates), each all depths in one stack."""
    return sum(2 * len(s.experiments[e].variants) for e in experiments)


def pretrain_jobs(s: Settings, *experiments: str) -> int:
    """`pretrain`: one job per (pretrained variant, depth, seed), reported and selection seeds alike."""
    total = 0
    for name in experiments:
        e = s.experiments[name]
        pretrained = [v for v in e.variants if s.variants[v].pretrain]
        total += len(pretrained) * len(e.depths) * len(e.seeds)
    return total


def init_weights_jobs(s: Settings, *experiments: str) -> int:
    """`init_weights`: one job per initial-weights file the experiments start from or measure at
    initialisation — per (data set, variant's norm and scheme, depth, seed): variants that
    share a norm and a scheme share their weights."""
    files = set()
    for name in experiments:
        e = s.experiments[name]
        grid = [(d, seed) for d in e.depths for seed in e.seeds]
        if e.measure_init:
            grid += [(d, seed) for d in e.measure_init.depths for seed in range(e.measure_init.n_seeds)]
        kinds = {(s.variants[v].norm, s.variants[v].init) for v in e.variants}
        files |= {(s.dataset_name(name), *kind, *point) for kind in kinds for point in grid}
    return len(files)


def cifar_figures(s: Settings) -> list[str]:
    """The figures whose runs train on CIFAR-10 (or its stand-in)."""
    return [name for name, f in FIGURES.items() if f.experiment and s.experiment(f.experiment).dataset == "cifar10"]


def measure_init_jobs(s: Settings) -> int:
    """`measure_init`: one job per variant of each experiment measured at initialisation."""
    return sum(len(e.variants) for e in s.experiments.values() if e.measure_init)


def cnn_jobs(config: dict, *figures: str) -> int:
    """`train_cnn`: one job per (CNN experiment, variant, seed) that the figures show (figN.table.show)."""
    s = Settings.from_config(config)
    return len(
        {
            (FIGURES[f].experiment, variant, seed)
            for f in figures
            for variant in config[f]["table"]["show"]
            for seed in s.cnn_experiments[FIGURES[f].experiment].seeds
        }
    )


def figure_jobs(figures: list[str]) -> dict[str, int]:
    """A table, a claims check and a picture per figure, and the claims report and `all` once."""
    n = len(figures)
    return {"table": n, "check_claims": n, "plot": n, "claims": 1, "all": 1}


def figures_reading(*artefacts: str) -> list[str]:
    """The figures whose tables read any of these artefacts (bnrank.figures.ARTEFACTS)."""
    return [name for name, f in FIGURES.items() if set(artefacts) & set(f.reads)]


CHAIN_FIGURES = figures_reading("depth_sweep", "width_ranks", "width_moments", "spectrum")
BEYOND_FIGURES = figures_reading("orthogonality", "gradients", "isometry")
CNN_FIGURES = figures_reading("cnn_logs")


@pytest.mark.parametrize("preset", [(), (QUICK,)], ids=["paper", "quick"])
def test_every_target_dry_runs(tmp_path, preset):
    done = snakemake(tmp_path, "-n", *TARGETS, configfiles=preset)
    assert done.returncode == 0, done.stderr
    jobs = planned_jobs(done.stdout)
    s = settings(*preset)
    n = len(FIGURES)  # one table, picture and claims check per figure
    assert jobs["table"] == n and jobs["plot"] == n and jobs["check_claims"] == n
    assert jobs["simulate_width_sweep"] == len(s.chains.width_sweep.widths)  # one job per width
    # Fig 1's rank at init keeps the paper's grid in every preset (17 depths × 5 seeds per norm)
    assert jobs["init_weights"] == init_weights_jobs(s, *s.experiments)
    assert jobs["measure_init"] == measure_init_jobs(s)
    assert jobs["train"] == train_jobs(s, *s.experiments)
    assert jobs["pretrain"] == pretrain_jobs(s, *s.experiments)
    assert jobs["train_cnn"] == cnn_jobs(workflow_config(*preset), *CNN_FIGURES)


@pytest.mark.parametrize(("visible", "asked"), [("", "gpu=0"), ("0", "gpu=1"), ("0,1", "gpu=1")])
def test_training_jobs_ask_for_a_gpu_only_where_there_is_one(tmp_path, visible, asked):
    """Without a GPU, training jobs (one thread each) ask for none: on 2 cores two run at once."""
    done = snakemake(tmp_path, "-n", "fig6", "fig5", configfiles=(QUICK,), env={"CUDA_VISIBLE_DEVICES": visible})
    assert done.returncode == 0, done.stderr
    jobs = re.findall(r"^rule (train|train_cnn):\n(.*?)\n\n", done.stdout, re.M | re.S)
    assert {rule for rule, _ in jobs} == {"train", "train_cnn"}
    for _, block in jobs:
        assert re.search(rf"resources: .*\b{asked}\b", block), block
        assert "threads:" not in block  # training.threads and cnn.threads: 1, jobs side by side


@pytest.mark.parametrize(
    ("visible", "given", "limit"), [("", (), None), ("0,1", (), "2"), ("0,1", ("--resources", "gpu=5"), "5")]
)
def test_at_most_as_many_gpu_jobs_run_at_once_as_there_are_gpus(tmp_path, visible, given, limit):
    """The `gpu` limit is the number of GPUs visible (none without a GPU), or the user's."""
    weights = Paths("results/quick", "unused").init_weights("fashion_mnist", "bn", "pytorch", 1, 0)
    env = {"CUDA_VISIBLE_DEVICES": visible}
    done = snakemake(tmp_path, weights, *given, configfiles=(QUICK,), env=env)  # a job must run to show the limits
    assert done.returncode == 0, done.stderr
    provided = re.findall(r'^Provided resources: .*gpu=Resource\("gpu", (\d+)\)', done.stdout + done.stderr, re.M)
    assert provided == ([] if limit is None else [limit])


def test_invalid_config_stops_before_any_job(tmp_path):
    bad = write_config(
        tmp_path / "bad.yaml",
        {"fig2": {"table": {"rank": "nuclear"}}, "chains": {"depth_sweep": {"width": -3, "lyers": 5}}},
    )
    done = snakemake(tmp_path, "fig2", configfiles=(bad,))
    assert done.returncode != 0
    for expected in (
        "fig2.table.rank: 'nuclear' is not one of ['matrix_rank', 'lower_bound', 'soft_rank', 'eig_count']",
        "chains.depth_sweep.width: -3 is less than the minimum of 1",
        "'lyers' was unexpected",
    ):
        assert expected in done.stderr
    assert "Traceback" not in done.stderr and 'File "' not in done.stderr  # a message, not a crash
    assert not (tmp_path / "results").exists()


def test_a_nested_setting_overrides_from_the_command_line(tmp_path):
    """--config hands nested values over as strings; the schema's types read them."""
    done = snakemake(tmp_path, "-n", "fig2", "--config", 'chains={"depth_sweep": {"width": 64, "layers": 4000}}')
    assert done.returncode == 0, done.stderr  # without reading '64' as 64, the schema check stops it


def test_missing_data_names_every_source_and_the_fixes(tmp_path):
    data = tmp_path / "data"
    nowhere = write_config(
        tmp_path / "nowhere.yaml",
        {"data": {"directory": str(data), "fashion_mnist": {"debian_dir": str(tmp_path / "none"), "url": None}}},
    )
    paths = Paths("unused", str(data))
    done = snakemake(tmp_path, paths.dataset("fashion_mnist"), configfiles=(nowhere,))
    assert done.returncode != 0
    log = open(paths.dataset_log("fashion_mnist")).read()
    assert f"Debian package folder {tmp_path / 'none'}: FileNotFoundError" in log
    assert "apt-get install dataset-fashion-mnist" in log
    assert not os.path.exists(paths.dataset("fashion_mnist"))


@pytest.mark.parametrize("preset", [(), (QUICK,)], ids=["paper", "quick"])
def test_figures_read_the_data_jobs_record_only_where_it_chose_the_data_set(tmp_path, preset):
    """With data.cifar10.synthetic: auto (the quick preset) the table, claims and plot jobs of
    the CIFAR figures read the data job's record; the paths are those of any outcome."""
    done = snakemake(tmp_path, "-n", *FIGURES, configfiles=preset)
    assert done.returncode == 0, done.stderr
    record = Paths("unused", "results/data").dataset_record("cifar10_auto")
    jobs = re.findall(r"^rule (table|check_claims|plot):\n(.*?)\n\n", done.stdout, re.M | re.S)
    reading = {re.search(r"wildcards: figure=(\w+)", block)[1] for _, block in jobs if record in block}
    assert len(jobs) == 3 * len(FIGURES)
    assert reading == (set(cifar_figures(settings(*preset))) if preset else set())


@pytest.mark.parametrize("synthetic", ["auto", "false"])
def test_cifar_without_a_source_falls_back_only_with_auto(tmp_path, synthetic):
    """auto: the stand-in, and the log and record say why and what; false: the job stops,
    naming every source tried."""
    data = Paths("unused", str(tmp_path / "data"))
    offline = write_config(
        tmp_path / "offline.yaml",
        {
            "data": {
                "directory": data.data,
                "cifar10": {"synthetic": synthetic, "url": "http://127.0.0.1:9/c.tar.gz", "stand_in": {"train": 500}},
            }
        },
    )
    name = "cifar10_auto" if synthetic == "auto" else "cifar10"
    done = snakemake(tmp_path, data.dataset(name), configfiles=(offline,))
    log = open(data.dataset_log(name)).read()
    assert "download from http://127.0.0.1:9/c.tar.gz: URLError" in log
    if synthetic == "false":
        assert done.returncode != 0 and "CIFAR-10 is not available" in log
        assert not os.path.exists(data.dataset(name)) and not os.path.exists(data.dataset_record(name))
        return
    assert done.returncode == 0, done.stderr
    assert "Used: the synthetic CIFAR-10 stand-in (seed 0), as no source worked" in log
    assert json.loads(open(data.dataset_record(name)).read())["dataset"] == "cifar10_synthetic"
    again = snakemake(tmp_path, "-n", data.dataset(name), configfiles=(offline,))
    assert "Nothing to be done" in again.stdout + again.stderr  # the outcome is kept: no rerun


def test_a_failing_chain_leaves_no_output(tmp_path):
    # width 1: a vanilla ReLU chain dies (all zeros) within a few layers, so its scale is NaN
    dead = write_config(
        tmp_path / "dead.yaml",
        {
            "preset": "dead",
            "chains": {"depth_sweep": {"width": 1, "layers": 200, "measure_every": 50, "activations": ["relu"]}},
        },
    )
    done = snakemake(tmp_path, "fig2", configfiles=(dead,))
    assert done.returncode != 0
    paths = Paths(str(tmp_path / "results" / "dead"), "unused")
    log = open(paths.log("simulate_depth_sweep")).read()
    assert re.search(
        r"ChainError: fig2: chain none/relu γ=inf at width d=1 \(run \d+\) produced NaN/inf by layer \d+", log
    )
    assert not os.path.exists(paths.depth_sweep())


def test_a_new_figure_is_one_registry_entry(tmp_path):
    """A figure that reuses an existing experiment: one entry in bnrank/figures.py and its
    config section, and `snakemake -n fig99` plans its whole chain of jobs."""
    copy = copy_repository(tmp_path / "repo")
    entry = (
        '\nFIGURES["fig99"] = Figure("fig99", "Fig 4\'s runs again", tables.training_curves, claims.fig4, plots.fig4,'
        ' experiment="fig4")\n'
    )
    with open(copy / "bnrank" / "figures.py", "a") as f:
        f.write(entry)
    section = write_config(tmp_path / "fig99.yaml", {"fig99": {"claims": {"seed_majority": 0.5}}})
    done = snakemake(tmp_path, "-n", "fig99", configfiles=(QUICK, section), repo=copy)
    assert done.returncode == 0, done.stderr[-3000:]
    jobs = planned_jobs(done.stdout)
    s = settings(QUICK)  # fig99's section holds a threshold only: it adds no job
    assert jobs == {
        "fig99": 1,
        "table": 1,
        "check_claims": 1,
        "plot": 1,
        "select_lr": 1,
        "train": train_jobs(s, "fig4"),
        "pretrain": pretrain_jobs(s, "fig4"),
        "init_weights": init_weights_jobs(s, "fig4"),
        "prepare_dataset": 1,
    }
    assert "results/quick/figures/fig99.png" in done.stdout
    assert "results/quick/train/fig4/bn/reported/metrics.csv" in done.stdout


@pytest.mark.slow
def test_quick_preset_end_to_end(quick_run):
    paths = Paths(str(quick_run / "results" / "quick"), "unused")
    for fig in FIGURES:
        for ext in ("pdf", "png"):
            assert os.path.getsize(paths.figure(fig, ext)) > 10_000
        table = pd.read_csv(paths.table(fig))
        assert TABLE_COLUMNS.get(fig, set()) <= set(table.columns) and len(table) > 0
        claims = pd.read_csv(paths.claims(fig), keep_default_na=False)
        assert list(claims.columns) == COLUMNS
        assert set(claims["status"]) <= set(STATUSES) and len(claims) >= 2
        assert (claims["note"] != "").all()  # the quick preset says so on every claim
    report = open(paths.claims_report()).read()
    assert all(f"## {fig}" in report for fig in FIGURES)
    for fig in cifar_figures(settings(*QUICK_RUN)):  # made from the CIFAR-10 stand-in (no source worked), saying so
        claims = pd.read_csv(paths.claims(fig))
        assert claims["note"].str.contains("synthetic CIFAR-10 stand-in").all()
        assert (pd.read_csv(paths.table(fig))["dataset"] == "cifar10_synthetic").all()
    data = Paths("unused", str(quick_run / "results" / "data"))
    log = open(data.dataset_log("cifar10_auto")).read()
    assert "download from http://127.0.0.1:9/cifar-10-python.tar.gz: URLError" in log
    assert "Used: the synthetic CIFAR-10 stand-in" in log
    fig1 = pd.read_csv(paths.table("fig1")).dropna(subset=["rank_init"])
    assert sorted(fig1["depth"].unique()) == [1, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30, 32]
    assert fig1.groupby("network")["seed"].nunique().tolist() == [5, 5]
    fig3 = pd.read_csv(paths.table("fig3"))
    assert sorted(fig3.loc[fig3.panel == "a", "gamma"].unique()) == [0.01, 1.0, float("inf")]
    assert sorted(fig3.loc[fig3.panel == "a", "d"].unique()) == [8, 16, 32, 64, 128, 256]
    fig4 = pd.read_csv(paths.table("fig4"))
    assert set(fig4["seed"]) == {0, 1} and (fig4["selected_on_seeds"].astype(str) == "2").all()  # seed 2 picks the lr
    public = fig4[fig4["variant"] == "pretrained_public"]
    assert (public["input_scale"] == "raw").all() and public["r_pre_after_pretraining"].notna().all()
    fig10 = pd.read_csv(paths.table("fig10"))
    assert list(fig10["variant"].unique()) == ["bn", "none", "none_lr100", "none_random"]  # fig10.table.show
    assert set(fig10["seed"]) == {0, 1} and set(fig10["iteration"]) == {0, 10, 20}  # tests/short_run.yaml: 20, every 10
    assert (fig10.loc[fig10["variant"] == "none_lr100", "lr"] == 1.0).all()  # 100 × 0.01
    fig13 = pd.read_csv(paths.table("fig13"))
    assert (fig13["architecture"] == "resnet50").all() and (fig13["width"] == 0.125).all()


@pytest.mark.slow
def test_complete_run_has_nothing_left_to_do(quick_run, quick_repo):
    done = snakemake(quick_run, "-n", "all", configfiles=QUICK_RUN, repo=quick_repo)
    assert "Nothing to be done" in done.stdout + done.stderr


@pytest.mark.slow
@pytest.mark.parametrize(
    "override, expected",
    [
        (
            {"chains": {"depth_sweep": {"layers": 4000}}},
            {"simulate_depth_sweep": 1, "table": 1, "plot": 1, "check_claims": 1, "claims": 1, "all": 1},
        ),
        ({"fig9": {"claims": {"slope": [1.2, 1.8]}}}, {"check_claims": 1, "claims": 1, "all": 1}),
        ({"fig8": {"table": {"points": 50}}}, {"table": 1, "plot": 1, "check_claims": 1, "claims": 1, "all": 1}),
        (
            {"fig8": {"claims": {"max_alpha": 0.85}}},
            {"plot": 1, "check_claims": 1, "claims": 1, "all": 1},  # Fig 8 draws its bound
        ),
        ({"chains": {"width_sweep": {"widths": [8, 16, 32, 64, 128, 256, 512]}}}, None),
        (  # every training job of Fig 6
            {"experiments": {"fig6": {"epochs": 4}}},
            lambda config: {
                "train": train_jobs(Settings.from_config(config), "fig6"),
                "select_lr": 1,
                **figure_jobs(["fig6"]),
            },
        ),
        (  # every ResNet-50 run, which Fig 13 only shows
            {"cnn_experiments": {"resnet50": {"iterations": 50}}},
            lambda config: {"train_cnn": cnn_jobs(config, "fig13"), **figure_jobs(["fig13"])},
        ),
        ({"fig7": {"claims": {"max_r_ratio": 2.0}}}, {"check_claims": 1, "claims": 1, "all": 1}),
        (  # a convergence limit: every training figure's claims, nothing else
            {"convergence": {"fit_accuracy": 0.95}},
            lambda config: {"check_claims": len(TRAINING_FIGURES), "claims": 1, "all": 1},
        ),
        (  # the window: every training figure's table, and what reads it; no training
            {"convergence": {"window": 0.5}},
            lambda config: figure_jobs(TRAINING_FIGURES),
        ),
    ],
    ids=[
        "fig2-layers",
        "fig9-threshold",
        "fig8-points",
        "fig8-threshold",
        "new-width",
        "fig6-epochs",
        "resnet-iterations",
        "fig7-threshold",
        "convergence-limit",
        "convergence-window",
    ],
)
def test_changing_one_setting_reruns_only_its_jobs(quick_run, quick_repo, tmp_path, override, expected):
    change = write_config(tmp_path / "change.yaml", override)
    done = snakemake(quick_run, "-n", "all", configfiles=(*QUICK_RUN, change), repo=quick_repo)
    assert done.returncode == 0, done.stderr
    jobs = planned_jobs(done.stdout)
    if expected is None:  # a new width simulates that width only, then redraws the figures of the width sweep
        redrawn = len(figures_reading("width_ranks", "width_moments"))  # Figs 3, 8, 9
        assert jobs["simulate_width_sweep"] == 1 and "simulate_depth_sweep" not in jobs
        assert jobs["table"] == redrawn and jobs["plot"] == redrawn
    else:  # counts that depend on sizes are computed from the config this run reads
        assert jobs == (expected(workflow_config(*QUICK_RUN, change)) if callable(expected) else expected)


@pytest.mark.slow
@pytest.mark.parametrize(
    "module, expected",
    [
        (  # the registry imports the plots: tables, claims and pictures are redrawn, nothing retrained
            "bnrank/plots.py",
            lambda config: figure_jobs(list(FIGURES)),
        ),
        (  # the CNN trainer: every CNN run and the CNN figures, not their initial weights
            "bnrank/nets/cnn_train.py",
            lambda config: {"train_cnn": cnn_jobs(config, *CNN_FIGURES), **figure_jobs(CNN_FIGURES)},
        ),
        (  # the chain engine, which the deep chains import too: every simulation (one job per width of
            # the width sweep) and the chain figures, the paper's and those beyond it
            "bnrank/chains/chain.py",
            lambda config: {
                "simulate_depth_sweep": 1,
                "simulate_width_sweep": len(config["chains"]["width_sweep"]["widths"]),
                "simulate_spectrum": 1,
                "simulate_orthogonality": 1,
                "simulate_gradients": 1,
                "simulate_isometry": 1,
                **figure_jobs(CHAIN_FIGURES + BEYOND_FIGURES),
            },
        ),
    ],
    ids=["plots", "cnn_train", "chain"],
)
def test_editing_a_module_reruns_the_jobs_that_run_it(quick_run, quick_repo, module, expected):
    path = quick_repo / module  # the copy the quick run was made with: the checkout is never edited
    before, text = path.stat(), path.read_text()
    try:  # an edit: new content (Snakemake compares checksums, not only times) and a newer time
        path.write_text(text + "\n# edited\n")
        os.utime(path, (before.st_atime, time.time() + 60))
        done = snakemake(quick_run, "-n", "all", configfiles=QUICK_RUN, repo=quick_repo)
    finally:  # as it was, for the other tests of the quick run
        path.write_text(text)
        os.utime(path, (before.st_atime, before.st_mtime))
    assert done.returncode == 0, done.stderr
    assert planned_jobs(done.stdout) == expected(workflow_config(*QUICK_RUN))


@pytest.mark.slow
def test_a_new_seed_or_rate_trains_only_the_new_models(quick_run, quick_repo, tmp_path):
    run = tmp_path / "run"  # a copy of the finished quick run, grown by one seed and one rate
    shutil.copytree(quick_run, run, symlinks=True)
    results = Paths(str(run / "results" / "quick"), "unused")
    old = settings(*QUICK_RUN)
    depths = old.experiments["fig1"].depths
    variants = ("vanilla", "bn")
    stages = ("selection", "reported")

    def model_file(variant: str, depth: int, seed: int, lr: float) -> Path:  # where train_runs keeps a finished model
        return experiments._model_file(Path(results.finished_models("fig1", variant, depth)), RunSeed(0, seed), lr)

    stored = {p for v in variants for d in depths for p in Path(results.finished_models("fig1", v, d)).glob("*.json")}
    before = {(v, t): pd.read_csv(results.metrics("fig1", v, t)) for v in variants for t in stages}
    grow = write_config(
        tmp_path / "grow.yaml",
        {
            "experiments": {
                "fig1": {
                    "n_seeds": old.experiments["fig1"].n_seeds + 1,
                    "lrs": {v: [*old.experiments["fig1"].lrs[v], 0.05] for v in variants},
                }
            }
        },
    )
    new = settings(*QUICK_RUN, grow)
    planned = snakemake(run, "-n", "all", configfiles=(*QUICK_RUN, grow), repo=quick_repo)
    assert planned.returncode == 0, planned.stderr
    assert planned_jobs(planned.stdout) == {  # (the new seed's start weights exist: Fig 1 measures 5 seeds at init)
        "train": train_jobs(new, "fig1"),  # every variant and stage: each has new seeds
        "select_lr": 1,
        "table": 1,
        "plot": 1,
        "check_claims": 1,
        "claims": 1,
        "all": 1,
    }
    done = snakemake(run, "all", configfiles=(*QUICK_RUN, grow), repo=quick_repo)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    selected = pd.read_csv(results.selected_lr("fig1")).set_index(["variant", "depth"])["lr"]
    e = new.experiments["fig1"]
    for variant in variants:  # a stage trains exactly its (seed, rate) models that no earlier job stored
        reused = set()
        for stage in stages:
            lrs = {d: e.lrs[variant] if stage == "selection" else [selected[variant, d]] for d in depths}
            models = [(d, seed, lr) for d in depths for seed in e.stage_seeds(stage) for lr in lrs[d]]
            finished = [m for m in models if model_file(variant, *m) in stored]
            reused.update(finished)
            log = Path(results.log("train", f"fig1_{variant}_{stage}")).read_text()
            assert (
                f"{len(models)} models: {len(finished)} finished before, {len(models) - len(finished)} to train" in log
            )
        # every model taken from the store has all the rows it had, whichever stage reads it now
        runs = ["depth", "seed", "lr", "epoch"]
        earlier = pd.concat([before[variant, t] for t in stages]).drop(columns="model").drop_duplicates(runs)
        earlier = earlier[[m in reused for m in zip(earlier["depth"], earlier["seed"], earlier["lr"], strict=True)]]
        after = pd.concat([pd.read_csv(results.metrics("fig1", variant, t)) for t in stages])
        kept = after.drop(columns="model").drop_duplicates(runs).merge(earlier, on=runs, suffixes=("", "_before"))
        assert len(reused) > 0 and len(kept) == len(earlier)
        for column in ("train_loss", "test_acc"):
            assert kept[column].equals(kept[f"{column}_before"])


@pytest.mark.slow
def test_the_data_jobs_record_decides_the_labels_without_retraining(quick_run, quick_repo, tmp_path):
    """With auto, the record of what the data job prepared is what the CIFAR figures say: a
    record of CIFAR-10 (as a machine with a source would write) relabels them, and only their
    tables, claims and pictures are made again."""
    run = tmp_path / "run"
    shutil.copytree(quick_run, run, symlinks=True)
    record = Paths("unused", str(run / "results" / "data")).dataset_record("cifar10_auto")
    labels.write_record(record, "cifar10", "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz")
    planned = snakemake(run, "-n", "all", configfiles=QUICK_RUN, repo=quick_repo)
    assert planned.returncode == 0, planned.stderr
    cifar = cifar_figures(settings(*QUICK_RUN))
    assert planned_jobs(planned.stdout) == figure_jobs(cifar)
    done = snakemake(run, "all", configfiles=QUICK_RUN, repo=quick_repo)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    results = Paths(str(run / "results" / "quick"), "unused")
    for fig in cifar:
        assert (pd.read_csv(results.table(fig))["dataset"] == "cifar10").all()
        assert not pd.read_csv(results.claims(fig))["note"].str.contains("stand-in").any()


@pytest.mark.slow
def test_deleting_a_figure_redraws_that_figure_only(quick_run, quick_repo):
    png = Paths(str(quick_run / "results" / "quick"), "unused").figure("fig7", "png")
    os.rename(png, png + ".kept")
    try:
        done = snakemake(quick_run, "-n", "all", configfiles=QUICK_RUN, repo=quick_repo)
    finally:
        os.rename(png + ".kept", png)
    assert planned_jobs(done.stdout) == {"plot": 1, "all": 1}
    assert "wildcards: figure=fig7" in done.stdout


def test_the_report_lists_the_figures_in_the_papers_order():
    """Snakemake's report lists its categories sorted as text: one per figure, zero-padded."""
    paths = Paths("results/quick", "unused")
    categories = [paths.report_category(f) for f in FIGURES]
    assert categories[:2] == ["Fig 01", "Fig 02"] and categories[-1] == f"Fig {len(FIGURES)}"
    assert sorted(categories, key=str.casefold) == categories  # fig1, fig2, …, fig13
    assert sorted(FIGURES) != list(FIGURES)  # as the names alone would not be: fig1, fig10, …
    assert paths.report_category("fig99") == "Fig 99" and paths.report_category("extra") == "extra"


@pytest.mark.slow
def test_the_report_holds_every_figure_with_its_caption_and_claims(quick_run, quick_repo):
    done = snakemake(quick_run, "--report", "report.html", configfiles=QUICK_RUN, repo=quick_repo)
    assert done.returncode == 0, done.stderr
    html = (quick_run / "report.html").read_text()
    results = Paths("results/quick", "unused")
    # the menu: the categories the report embeds, sorted as its script sorts them (text order),
    # each holding one figure's picture and claims, in the paper's order
    at = html.index("var categories = ") + len("var categories = ")
    categories, _ = json.JSONDecoder().raw_decode(html, at)
    menu = sorted(categories, key=str.casefold)
    shown = [{Path(file).stem for files in categories[c].values() for file in files} for c in menu]
    assert shown == [{figure} for figure in FIGURES]
    assert menu == [results.report_category(figure) for figure in FIGURES]
    for figure, entry in FIGURES.items():
        png = html.index(f'"{results.figure(figure, "png")}": {{')
        caption = re.search(r'"caption": ("(?:[^"\\]|\\.)*")', html[png:]).group(1)  # the entry's own caption
        assert entry.title in json.loads(caption) and "Preset <strong>quick</strong>" in json.loads(caption)
        at = html.index(f'"{results.claims(figure)}": {{')
        encoded = re.search(r'"data_uri": "data:text/csv;[^"]*base64,([^"]+)"', html[at:]).group(1)
        shown = pd.read_csv(io.StringIO(base64.b64decode(encoded).decode()))
        written = pd.read_csv(quick_run / results.claims(figure))
        assert list(shown["claim"]) == list(written["claim"]) and list(shown["status"]) == list(written["status"])
