"""The Slurm profile, profiles/slurm, on a real single-node Slurm cluster started here
(tests/slurm_cluster.py): a chain figure and a training figure run as Slurm jobs, the training
jobs each with a GPU and side by side, and give the tables of a local run; a partition the
cluster lacks fails at once with Slurm's message; a training job past its time limit is
reported and resumes. Needs root on Linux (apt-get installs slurm-wlm and munge when
missing); BNRANK_SKIP_SLURM=1 skips it.

These runs mostly wait: Slurm checks time limits every 30 s, and the plugin checks the jobs'
states 10 s later each time than the time before while none has finished. So runs that do
not depend on each other run side by side: the time-limit test's runs start before the
module's first test (``timed_out``), and a local run beside the Slurm run it is compared with."""

from __future__ import annotations

import os
import re
import subprocess
import threading
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
from tests.conftest import QUICK, REPO, Background, snakemake, start_snakemake

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
    """A node with three GPUs and room for the profile's largest jobs, six at a time: the
    figures test's jobs, up to five at once and two of them training, run beside the
    time-limit test's training job (``timed_out``)."""
    slurm_cluster.install()
    profile = yaml.safe_load((PROFILE / "config.yaml").read_text())
    largest = max(r["mem_mb"] for r in [profile["default-resources"], *profile["set-resources"].values()])
    running = slurm_cluster.start(cpus=max(os.cpu_count() or 1, 6), memory_mb=6 * largest, gpus=3)
    yield running
    running.stop()


TIME_LIMIT_TEST = "test_a_job_killed_for_time_is_reported_and_resumes_from_its_checkpoint"
METRICS = Paths("results/quick", "").metrics("fig1", "bn", "selection")  # the first of its two stages


class TimedOut:
    """The time-limit test's two runs from one folder, one after the other in the background:
    ``first`` given the site's profile ``profile`` and Slurm's environment ``env``, then,
    as soon as it has ended, the same target again on this machine."""

    def __init__(self, folder: Path, configfiles: tuple[Path, ...], profile: tuple[str, ...], env: dict[str, str]):
        self.folder, self.configfiles = folder, configfiles
        self.first = start_snakemake(folder, *profile, METRICS, configfiles=configfiles, env=env)
        self.checkpoint_left = False  # whether the first run left the job's checkpoint
        self.again: Background | None = None
        self._lock, self._stopping = threading.Lock(), False
        self._thread = threading.Thread(target=self._run_again)
        self._thread.start()

    def _run_again(self) -> None:
        self.first.process.wait()
        checkpoint = self.folder / Paths("results/quick", "").checkpoint("fig1", "bn", "selection")
        self.checkpoint_left = checkpoint.exists()  # (a finished job removes it)
        with self._lock:
            if not self._stopping:
                self.again = start_snakemake(self.folder, METRICS, configfiles=self.configfiles)

    def wait(self) -> tuple[subprocess.CompletedProcess, subprocess.CompletedProcess]:
        """The outcomes of the two runs, once both have ended."""
        self._thread.join()
        assert self.again is not None
        return self.first.wait(), self.again.wait()

    def close(self) -> None:
        """Stops the runs that have not ended (no second run starts after this), and removes their output."""
        with self._lock:
            self._stopping = True
        self.first.stop()
        self._thread.join()
        for run in filter(None, (self.first, self.again)):
            run.close()


@pytest.fixture(scope="module", autouse=True)
def timed_out(cluster, tmp_path_factory, request) -> Iterator[TimedOut | None]:
    """The time-limit test's runs, started before the module's first test: they run beside the
    other tests, and the time-limit test waits for them. None where that test is not run."""
    if not any(item.name == TIME_LIMIT_TEST for item in request.session.items):
        yield None
        return
    folder = tmp_path_factory.mktemp("time_limit")
    short = site_profile(folder, lambda p: p["set-resources"]["train"].update(runtime=1))
    long = folder / "long.yaml"  # one training job of two minutes or more on a 2-core CPU
    long.write_text(  # a checkpoint every 5 s, so that one is written before Slurm's kill
        yaml.safe_dump(
            {"training": {"checkpoint_seconds": 5}, "experiments": {"fig1": {"depths": [4], "epochs": 5000}}}
        )
    )
    (folder / "run").mkdir()
    runs = TimedOut(folder / "run", (*RUN, long), ("--profile", str(short), *NO_ACCOUNTING), cluster.env)
    try:
        yield runs
    finally:
        runs.close()


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
    # the local run beside the Slurm run, on the cores its jobs leave
    with start_snakemake(tmp_path / "local", *TARGETS, configfiles=RUN, nice=10) as local_run:
        on_slurm = snakemake(
            tmp_path / "slurm",
            *("--profile", str(PROFILE), *NO_ACCOUNTING, "--slurm-keep-successful-logs", *TARGETS),
            configfiles=RUN,
            env=cluster.env,
        )
        local = local_run.wait()
    log = on_slurm.stdout + on_slurm.stderr
    assert on_slurm.returncode == 0, log[-5000:] + cluster.logs()
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


def test_a_job_killed_for_time_is_reported_and_resumes_from_its_checkpoint(timed_out: TimedOut):
    """A training job longer than its runtime (1 minute): Slurm ends it, Snakemake names the
    job, and run again it goes on from its last epoch. The runs are ``timed_out``'s."""
    killed, again = timed_out.wait()
    run, metrics = timed_out.folder, METRICS
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
    assert timed_out.checkpoint_left
    # run again (here on this machine: the plugin's status checks, ever further apart, would
    # only add waiting) from the same folder, which holds the checkpoint as a cluster's shared one would
    assert again.returncode == 0, (again.stdout + again.stderr)[-5000:]
    train_log = (run / Paths("results/quick", "").log("train", "fig1_bn_selection")).read_text()
    resumed = re.search(r"resumed from \S+ at epoch (\d+)", train_log)
    assert resumed and int(resumed[1]) > 0, train_log[-2000:]
    assert len(pd.read_csv(run / metrics)["epoch"].unique()) == 5001  # epochs 0..5000, each once
