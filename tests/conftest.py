"""Shared helpers: the repository root, a copy of the workflow for tests that edit code,
a way to run the workflow in a scratch folder, and the config a run reads."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
QUICK = REPO / "presets" / "quick.yaml"
FAITHFUL = REPO / "presets" / "faithful.yaml"  # over QUICK: Figs 4, 11, 12 trained until BN converges
# the end-to-end run: the quick preset on its grids with fewer samples, epochs, iterations, steps and runs
# (tests/short_run.yaml), and CIFAR-10's download failing, so that it runs on the stand-in (tests/offline_cifar.yaml)
QUICK_RUN = (QUICK, REPO / "tests" / "short_run.yaml", REPO / "tests" / "offline_cifar.yaml")
# what the workflow is made of: a copy of these runs as the checkout does
WORKFLOW = ("Snakefile", "config.yaml", "rules", "scripts", "bnrank", "schemas", "presets", "report")


def copy_repository(to: Path) -> Path:
    """A copy of the workflow (``WORKFLOW``) in the new folder ``to``, file times kept.

    A test that edits code or config edits a copy, so that the checkout stays as it is
    even when the test is killed; ``snakemake(..., repo=copy)`` runs the copy with its own
    package. A run's jobs list the package modules they run by absolute path (their code
    inputs), so a run made with one copy must be rerun or dry-run with the same copy."""
    to.mkdir(parents=True)
    for part in WORKFLOW:
        if (REPO / part).is_dir():
            shutil.copytree(REPO / part, to / part, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(REPO / part, to / part)
    return to


def snakemake(
    workdir: Path,
    *args: str,
    configfiles: tuple[Path, ...] = (),
    env: dict[str, str] | None = None,
    timeout: float | None = None,
    repo: Path = REPO,
) -> subprocess.CompletedProcess:
    """Run the workflow of ``repo`` (this repository, or a copy of it: its Snakefile, and
    its package for the jobs) with ``workdir`` as its working directory (and ``env`` added
    to the environment); subprocess.TimeoutExpired after ``timeout`` seconds."""
    command, env = _invocation(workdir, args, configfiles, env, repo)
    return subprocess.run(command, capture_output=True, text=True, env=env, cwd=workdir, timeout=timeout)


def start_snakemake(
    workdir: Path,
    *args: str,
    configfiles: tuple[Path, ...] = (),
    env: dict[str, str] | None = None,
    repo: Path = REPO,
    nice: int = 0,
) -> Background:
    """``snakemake``'s run started in the background, for a test to do other work while it
    runs: ``wait`` gives what ``snakemake`` returns. With ``nice``, the run and its jobs
    have that much less priority than the test's other processes."""
    command, env = _invocation(workdir, args, configfiles, env, repo)
    return Background(workdir, ["nice", "-n", str(nice), *command] if nice else command, env)


def _invocation(
    workdir: Path, args: tuple[str, ...], configfiles: tuple[Path, ...], env: dict[str, str] | None, repo: Path
) -> tuple[list[str], dict[str, str]]:
    command = [sys.executable, "-m", "snakemake", "-s", str(repo / "Snakefile"), "-d", str(workdir), "--cores", "2"]
    command += list(args)
    if configfiles:  # last: --configfile takes every argument after it
        command += ["--configfile", *map(str, configfiles)]
    env = {**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})}
    if repo != REPO:  # the copy's package, not the installed one
        env["PYTHONPATH"] = os.pathsep.join([str(repo), *filter(None, [env.get("PYTHONPATH")])])
    return command, env


class Background:
    """A workflow run in the background (``start_snakemake``), in a process group of its own
    and its output in temporary files; leaving a ``with`` block on it closes it (``close``).
    ``stop`` sends SIGINT to its group, as Ctrl-C would: Snakemake then cancels its jobs."""

    def __init__(self, workdir: Path, command: list[str], env: dict[str, str]):
        self.command = command
        self._output = tempfile.TemporaryFile("w+"), tempfile.TemporaryFile("w+")
        self.process = subprocess.Popen(
            command, stdout=self._output[0], stderr=self._output[1], env=env, cwd=workdir, start_new_session=True
        )

    def wait(self, timeout: float | None = None) -> subprocess.CompletedProcess:
        """The run's exit status and output once it has ended; subprocess.TimeoutExpired after ``timeout`` seconds."""
        self.process.wait(timeout)
        stdout, stderr = (_read(file) for file in self._output)
        return subprocess.CompletedProcess(self.command, self.process.returncode, stdout, stderr)

    def stop(self) -> None:
        """Stops the run if it has not ended, as Ctrl-C would; its output stays readable."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGINT)  # the group's id is Snakemake's process id
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()

    def close(self) -> None:
        """Stops the run if it has not ended, and removes its output."""
        self.stop()
        for file in self._output:
            file.close()

    def __enter__(self) -> Background:
        return self

    def __exit__(self, *exception) -> None:
        self.close()


def _read(file) -> str:
    file.seek(0)
    return file.read()


def workflow_config(*configfiles: Path) -> dict:
    """The config a run with these ``--configfile`` files reads: config.yaml with each file
    merged over it in turn, as Snakemake merges them, checked with the schema's defaults
    filled in, as the workflow checks it (rules/common.smk)."""
    from snakemake.utils import update_config

    from bnrank import config as config_checks

    config = yaml.safe_load((REPO / "config.yaml").read_text())
    for path in configfiles:
        update_config(config, yaml.safe_load(Path(path).read_text()))
    config_checks.validate(config, str(REPO / "schemas" / "config.schema.yaml"))
    return config


def write_config(path: Path, overrides: dict) -> Path:
    path.write_text(yaml.safe_dump(overrides))
    return path


@pytest.fixture(scope="session")
def quick_repo(tmp_path_factory) -> Path:
    """The copy of the workflow that ``quick_run`` runs: every test that runs the workflow
    in ``quick_run`` passes ``repo=quick_repo``; a test that edits a module edits it here."""
    return copy_repository(tmp_path_factory.mktemp("workflow") / "repo")


@pytest.fixture(scope="session")
def quick_run(tmp_path_factory, quick_repo) -> Path:
    """Every figure of the quick preset (shortened: tests/short_run.yaml) and the claims, run
    once for all end-to-end tests, by the workflow in ``quick_repo``."""
    workdir = tmp_path_factory.mktemp("quick")
    done = snakemake(workdir, "all", configfiles=QUICK_RUN, repo=quick_repo)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return workdir
