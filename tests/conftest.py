"""Shared helpers: the repository root and a way to run the workflow in a scratch folder."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
QUICK = REPO / "presets" / "quick.yaml"
# the end-to-end run: the quick preset, with the CNN figures shortened (tests/short_cnn.yaml)
QUICK_RUN = (QUICK, REPO / "tests" / "short_cnn.yaml")


def snakemake(
    workdir: Path,
    *args: str,
    configfiles: tuple[Path, ...] = (),
    env: dict[str, str] | None = None,
    timeout: float | None = None,
) -> subprocess.CompletedProcess:
    """Run this repository's workflow with ``workdir`` as its working directory (and
    ``env`` added to the environment); subprocess.TimeoutExpired after ``timeout`` seconds."""
    command = [sys.executable, "-m", "snakemake", "-s", str(REPO / "Snakefile"), "-d", str(workdir), "--cores", "2"]
    command += list(args)
    if configfiles:  # last: --configfile takes every argument after it
        command += ["--configfile", *map(str, configfiles)]
    env = {**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})}
    return subprocess.run(command, capture_output=True, text=True, env=env, cwd=workdir, timeout=timeout)


def write_config(path: Path, overrides: dict) -> Path:
    path.write_text(yaml.safe_dump(overrides))
    return path


@pytest.fixture(scope="session")
def quick_run(tmp_path_factory) -> Path:
    """Every figure of the quick preset (the CNNs shortened) and the claims, run once for
    all end-to-end tests."""
    workdir = tmp_path_factory.mktemp("quick")
    done = snakemake(workdir, "all", configfiles=QUICK_RUN)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return workdir
