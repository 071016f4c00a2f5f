"""The Slurm profile, profiles/slurm, on a real single-node Slurm cluster started here
(tests/slurm_cluster.py): a chain figure and a training figure run as Slurm jobs, the training
jobs each with a GPU and side by side, and give the tables of a local run; a partition the
cluster lacks fails at once with Slurm's message. Needs root on Linux (apt-get installs
slurm-wlm and munge when missing); BNRANK_SKIP_SLURM=1 skips it."""

from __future__ import annotations

import os
import re
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import datetime
from itertools import pairwise
from pathlib import Path

import pandas as pd
import pytest
import yaml

from bnrank.paths import Paths
from tests import slurm_cluster
from tests.conftest import QUICK, REPO, snakemake

PROFILE = REPO / "profiles" / "slurm"
RUN = (QUICK, REPO / "tests" / "slurm_quick.yaml")
TARGETS = ("fig1", "fig2")  # a training figure and a chain figure
GPU_RULES = {"train", "train_cnn"}
# what a cluster without accounting needs (squeue, not sacct, for job states), and a first
# status check after a second rather than a real site's 40
NO_ACCOUNTING = ("--slurm-status-command", "squeue", "--slurm-init-seconds-before-status-checks", "1")

UNAVAILABLE = slurm_cluster.unavailable()
pytestmark = pytest.mark.skipif(UNAVAILABLE is not None, reason=f"no local Slurm cluster: {UNAVAILABLE}")


@pytest.fixture(scope="module")
def cluster() -> Iterator[slurm_cluster.Cluster]:
    """A node with two GPUs and room for the profile's largest jobs, four at a time."""
    slurm_cluster.install()
    profile = yaml.safe_load((PROFILE / "config.yaml").read_text())
    largest = max(r["mem_mb"] for r in [profile["default-resources"], *profile["set-resources"].values()])
    running = slurm_cluster.start(cpus=max(os.cpu_count() or 1, 4), memory_mb=4 * largest, gpus=2)
    yield running
    running.stop()


def submitted(output: str) -> list[tuple[str, str]]:
    """(rule, Slurm job id) of every job the plugin submitted, from Snakemake's log."""
    found = re.findall(r"has been submitted with SLURM jobid (\d+) \(log: \S*/rule_(\w+)/", output)
    return [(rule, job_id) for job_id, rule in found]


def ran(output: str, where: str) -> Counter:
    """Jobs Snakemake ran, by rule: ``where`` is "rule" for those it had run elsewhere (here, by
    Slurm), "localrule" for those it ran itself."""
    return Counter(re.findall(rf"^{where} (\w+):$", output, re.M))


def when(job: dict[str, str]) -> tuple[datetime, datetime]:
    return datetime.fromisoformat(job["StartTime"]), datetime.fromisoformat(job["EndTime"])


def site_profile(folder: Path, edit: Callable[[dict], None]) -> Path:
    """A copy of profiles/slurm as a site would edit it."""
    profile = yaml.safe_load((PROFILE / "config.yaml").read_text())
    edit(profile)
    (folder / "profile").mkdir()
    (folder / "profile" / "config.yaml").write_text(yaml.safe_dump(profile))
    return folder / "profile"


def test_figures_run_as_slurm_jobs_and_match_a_local_run(cluster, tmp_path: Path):
    for workdir in ("slurm", "local"):
        (tmp_path / workdir).mkdir()
    on_slurm = snakemake(
        tmp_path / "slurm",
        *("--profile", str(PROFILE), *NO_ACCOUNTING, "--slurm-keep-successful-logs", *TARGETS),
        configfiles=RUN,
        env=cluster.env,
    )
    log = on_slurm.stdout + on_slurm.stderr
    assert on_slurm.returncode == 0, log[-5000:] + cluster.logs()
    local = snakemake(tmp_path / "local", *TARGETS, configfiles=RUN)
    assert local.returncode == 0, local.stderr[-3000:]

    # every job went through sbatch: one Slurm job per job of the local run, each with its log;
    # Snakemake itself ran only the targets' jobs, which have nothing to run
    jobs = submitted(log)
    assert Counter(rule for rule, _ in jobs) == ran(log, "rule")
    assert ran(log, "rule") == ran(local.stdout + local.stderr, "localrule") - Counter(TARGETS)
    assert ran(log, "localrule") == Counter(TARGETS)
    assert {"simulate_depth_sweep", "train", "table"} <= {rule for rule, _ in jobs}
    logs = tmp_path / "slurm" / ".snakemake" / "slurm_logs"
    for rule, job_id in jobs:
        assert len(list(logs.glob(f"rule_{rule}/**/{job_id}.log"))) == 1, (rule, job_id)

    # the training jobs, and only they, asked Slurm for a GPU; Snakemake held none of them back
    shown = {job_id: cluster.job(job_id) for _, job_id in jobs}
    for rule, job_id in jobs:
        assert shown[job_id]["JobState"] == "COMPLETED", (rule, shown[job_id])
        # gres:gpu:1 in Slurm 22.05, gres/gpu:1 in later versions
        asked = re.fullmatch(r"gres[:/]gpu:1", shown[job_id].get("TresPerJob", ""))
        assert bool(asked) == (rule in GPU_RULES), (rule, shown[job_id])
    training = sorted(when(shown[job_id]) for rule, job_id in jobs if rule in GPU_RULES)
    assert any(later[0] < earlier[1] for earlier, later in pairwise(training)), training

    # the same numbers as the local run
    for figure in TARGETS:
        table = Paths("results/quick", "").table(figure)
        assert (tmp_path / "slurm" / table).read_bytes() == (tmp_path / "local" / table).read_bytes(), figure


def test_a_missing_partition_fails_at_once_with_slurms_message(cluster, tmp_path: Path):
    """A site's profile naming a partition this cluster lacks."""
    profile = site_profile(tmp_path, lambda p: p["default-resources"].update(slurm_partition="nosuch"))
    (tmp_path / "run").mkdir()
    done = snakemake(
        tmp_path / "run",
        *("--profile", str(profile), *NO_ACCOUNTING, "fig2"),
        configfiles=RUN,
        env=cluster.env,
        timeout=120,
    )
    assert done.returncode != 0
    assert "invalid partition specified: nosuch" in done.stdout + done.stderr, done.stderr[-3000:]


def test_a_job_killed_for_time_is_reported_and_resumes_from_its_checkpoint(cluster, tmp_path: Path):
    """A training job longer than its runtime (1 minute): Slurm ends it, Snakemake names the
    job, and run again it goes on from its last epoch."""
    short = site_profile(tmp_path, lambda p: p["set-resources"]["train"].update(runtime=1))
    long = tmp_path / "long.yaml"  # one training job of two minutes or more on a 2-core CPU
    long.write_text(  # a checkpoint every 5 s, so that one is written before Slurm's kill
        yaml.safe_dump(
            {"training": {"checkpoint_seconds": 5}, "experiments": {"fig1": {"depths": [4], "epochs": 5000}}}
        )
    )
    metrics = Paths("results/quick", "").metrics("fig1", "bn", "selection")  # the first of its two stages
    (tmp_path / "run").mkdir()
    killed = snakemake(
        tmp_path / "run", "--profile", str(short), *NO_ACCOUNTING, metrics, configfiles=(*RUN, long), env=cluster.env
    )
    log = killed.stdout + killed.stderr
    assert killed.returncode != 0
    error = re.search(r"^Error in rule train:\n(.*?)\n\n", log, re.M | re.S)
    assert error, log[-5000:]
    assert "SLURM status is: 'TIMEOUT'" in error[1], error[1]
    # the job by its rule and wildcards: Snakemake's error names its log, logs/train/<wildcards>.log,
    # and its outputs; the job's description at submission lists the wildcards themselves
    assert "logs/train/fig1_bn_selection.log" in error[1] and metrics in error[1], error[1]
    wildcards = "experiment=fig1, variant=bn, stage=selection"
    assert re.search(rf"^rule train:\n.*?^    wildcards: {wildcards}$", log, re.M | re.S)
    checkpoint = tmp_path / "run" / Paths("results/quick", "").checkpoint("fig1", "bn", "selection")
    assert checkpoint.exists()
    # run again (here on this machine: the plugin's status checks, ever further apart, would
    # only add waiting) from the same folder, which holds the checkpoint as a cluster's shared one would
    again = snakemake(tmp_path / "run", metrics, configfiles=(*RUN, long))
    assert again.returncode == 0, (again.stdout + again.stderr)[-5000:]
    train_log = (tmp_path / "run" / Paths("results/quick", "").log("train", "fig1_bn_selection")).read_text()
    resumed = re.search(r"resumed from \S+ at epoch (\d+)", train_log)
    assert resumed and int(resumed[1]) > 0, train_log[-2000:]
    assert len(pd.read_csv(tmp_path / "run" / metrics)["epoch"].unique()) == 5001  # epochs 0..5000, each once
