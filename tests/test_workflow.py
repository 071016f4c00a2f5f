"""The Snakemake workflow: dry runs, config errors, failures, reruns, and a quick end-to-end run."""

import re

import pandas as pd
import pytest

from bnrank.claims import COLUMNS, STATUSES
from tests.conftest import QUICK, snakemake, write_config

FIGURES = ["fig1", "fig2", "fig3", "fig4", "fig6", "fig8", "fig9", "fig11", "fig12"]
TARGETS = FIGURES + ["claims", "all"]
TABLE_COLUMNS = {
    "fig1": {"network", "depth", "seed", "rank_init", "train_acc", "lr", "rank_dtype"},
    "fig2": {"network", "activation", "run", "depth", "rank"},
    "fig3": {"d", "gamma", "rank"},
    "fig4": {"variant", "depth", "seed", "epoch", "train_loss", "lr"},
    "fig6": {"variant", "seed", "epoch", "train_acc", "lower_bound"},
    "fig8": {"d", "gamma", "alpha"},
    "fig9": {"d", "gamma", "frob2", "bound"},
    "fig11": {"variant", "depth", "seed", "epoch", "train_acc", "test_loss"},
    "fig12": {"variant", "depth", "seed", "epoch", "train_loss"},
}


def planned_jobs(output: str) -> dict[str, int]:
    """Job counts from the 'Job stats' table of a dry run."""
    stats = output.split("Job stats:")[1].split("total")[0]
    return {m[1]: int(m[2]) for m in re.finditer(r"^(\w+)\s+(\d+)\s*$", stats, re.M)}


@pytest.mark.parametrize("preset", [(), (QUICK,)], ids=["paper", "quick"])
def test_every_target_dry_runs(tmp_path, preset):
    done = snakemake(tmp_path, "-n", *TARGETS, configfiles=preset)
    assert done.returncode == 0, done.stderr
    jobs = planned_jobs(done.stdout)
    assert jobs["simulate_width"] == 6 and jobs["plot"] == 9 and jobs["check_claims"] == 9
    # Fig 1's rank at init keeps the paper's grid in every preset: 17 depths × 2 variants × 5 seeds
    assert jobs["init_weights"] >= 170 and jobs["measure_init"] == 2
    assert jobs["train"] == (27 if preset else 34 + 9 + 9 + 5)


def test_invalid_config_stops_before_any_job(tmp_path):
    bad = write_config(tmp_path / "bad.yaml", {"fig2": {"rank": "nuclear", "simulation": {"width": -3, "lyers": 5}}})
    done = snakemake(tmp_path, "fig2", configfiles=(bad,))
    assert done.returncode != 0
    for expected in (
        "fig2.rank: 'nuclear' is not one of ['matrix_rank', 'lower_bound', 'soft_rank', 'eig_count']",
        "fig2.simulation.width: -3 is less than the minimum of 1",
        "'lyers' was unexpected",
    ):
        assert expected in done.stderr
    assert not (tmp_path / "results").exists()


def test_missing_data_names_every_source_and_the_fixes(tmp_path):
    nowhere = write_config(
        tmp_path / "nowhere.yaml",
        {"data": {"directory": str(tmp_path / "data"), "fashion_mnist": {"debian_dir": str(tmp_path / "none"), "url": None}}},
    )
    done = snakemake(tmp_path, str(tmp_path / "data" / "fashion_mnist.pt"), configfiles=(nowhere,))
    assert done.returncode != 0
    log = (tmp_path / "data" / "logs" / "fashion_mnist.log").read_text()
    assert f"Debian package folder {tmp_path / 'none'}: FileNotFoundError" in log
    assert "apt-get install dataset-fashion-mnist" in log
    assert not (tmp_path / "data" / "fashion_mnist.pt").exists()


def test_a_failing_chain_leaves_no_output(tmp_path):
    # width 1: a vanilla ReLU chain dies (all zeros) within a few layers, so its scale is NaN
    dead = write_config(
        tmp_path / "dead.yaml",
        {"preset": "dead", "fig2": {"simulation": {"width": 1, "layers": 200, "measure_every": 50, "activations": ["relu"]}}},
    )
    done = snakemake(tmp_path, "fig2", configfiles=(dead,))
    assert done.returncode != 0
    log = (tmp_path / "results/dead/logs/simulate_depth.log").read_text()
    assert re.search(r"ChainError: fig2: chain none/relu γ=inf at width d=1 \(run \d+\) produced NaN/inf by layer \d+", log)
    assert not (tmp_path / "results/dead/sims/fig2_depth.csv").exists()


@pytest.mark.slow
def test_quick_preset_end_to_end(quick_run):
    results = quick_run / "results" / "quick"
    for fig in FIGURES:
        for ext in ("pdf", "png"):
            assert (results / "figures" / f"{fig}.{ext}").stat().st_size > 10_000
        table = pd.read_csv(results / "tables" / f"{fig}.csv")
        assert TABLE_COLUMNS[fig] <= set(table.columns)
        claims = pd.read_csv(results / "claims" / f"{fig}.csv", keep_default_na=False)
        assert list(claims.columns) == COLUMNS
        assert set(claims["status"]) <= set(STATUSES) and len(claims) >= 2
        assert (claims["note"] != "").all()  # the quick preset says so on every claim
    report = (results / "claims.md").read_text()
    assert all(f"## {fig}" in report for fig in FIGURES)
    for fig in ("fig4", "fig11"):  # made from the CIFAR-10 stand-in, and saying so
        claims = pd.read_csv(results / "claims" / f"{fig}.csv")
        assert claims["note"].str.contains("synthetic CIFAR-10 stand-in").all()
    fig1 = pd.read_csv(results / "tables" / "fig1.csv")
    assert sorted(fig1.dropna(subset=["rank_init"])["depth"].unique()) == [1, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30, 32]
    assert fig1.dropna(subset=["rank_init"]).groupby("network")["seed"].nunique().tolist() == [5, 5]
    fig3 = pd.read_csv(results / "tables" / "fig3.csv")
    assert sorted(fig3.loc[fig3.panel == "a", "gamma"].unique()) == [0.01, 1.0, float("inf")]
    assert sorted(fig3.loc[fig3.panel == "a", "d"].unique()) == [8, 16, 32, 64, 128, 256]


@pytest.mark.slow
def test_complete_run_has_nothing_left_to_do(quick_run):
    done = snakemake(quick_run, "-n", "all", configfiles=(QUICK,))
    assert "Nothing to be done" in done.stdout + done.stderr


@pytest.mark.slow
@pytest.mark.parametrize(
    "override, expected",
    [
        (
            {"fig2": {"simulation": {"layers": 4000}}},
            {"simulate_depth": 1, "table_fig2": 1, "plot": 1, "check_claims": 1, "claims": 1, "all": 1},
        ),
        ({"fig9": {"claims": {"slope": [1.2, 1.8]}}}, {"check_claims": 1, "claims": 1, "all": 1}),
        ({"fig8": {"points": 50}}, {"table_fig8": 1, "plot": 1, "check_claims": 1, "claims": 1, "all": 1}),
        ({"chains": {"widths": [8, 16, 32, 64, 128, 256, 512]}}, None),
        (
            {"fig6": {"epochs": 4}},
            {"train": 5, "select_lr": 1, "table_fig6": 1, "plot": 1, "check_claims": 1, "claims": 1, "all": 1},
        ),
    ],
    ids=["fig2-layers", "fig9-threshold", "fig8-points", "new-width", "fig6-epochs"],
)
def test_changing_one_setting_reruns_only_its_jobs(quick_run, tmp_path, override, expected):
    change = write_config(tmp_path / "change.yaml", override)
    done = snakemake(quick_run, "-n", "all", configfiles=(QUICK, change))
    assert done.returncode == 0, done.stderr
    jobs = planned_jobs(done.stdout)
    if expected is None:  # a new width simulates that width only, then redraws Figs 3, 8, 9
        assert jobs["simulate_width"] == 1 and "simulate_depth" not in jobs and "table_fig2" not in jobs
    else:
        assert jobs == expected
