"""bnrank.runs's two uses of Snakemake's ``Workflow`` beyond what a Snakefile documents
(``limit_resource``, ``run_started``), each on a real Snakemake run of a small Snakefile:
a Snakemake upgrade that changes what they use fails here."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest


def snakemake(workdir: Path, snakefile: str, *args: str) -> subprocess.CompletedProcess:
    """Run ``snakefile`` (a Snakefile's text) with ``workdir`` as its folder, on one core."""
    (workdir / "Snakefile").write_text(textwrap.dedent(snakefile))
    command = [sys.executable, "-m", "snakemake", "--cores", "1", "--nocolor", *args]
    return subprocess.run(command, cwd=workdir, capture_output=True, text=True, timeout=120)


LIMITED = """
    from bnrank.runs import limit_resource

    limit_resource(workflow, "gpu", 2)

    rule job:
        output:
            "gpus.txt",
        resources:
            gpu=config["asks"],
        shell:
            "echo {resources.gpu} > {output}"
"""


@pytest.mark.parametrize(("given", "gets"), [((), 2), (("--resources", "gpu=5"), 3)])
def test_limit_resource_caps_a_resource_unless_the_user_gave_a_limit(tmp_path, given, gets):
    """A job asking for more than the limit gets the limit, as one asking for more threads
    than there are cores gets the cores; a user's limit replaces the workflow's."""
    done = snakemake(tmp_path, LIMITED, "--config", "asks=3", *given)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "gpus.txt").read_text().split() == [str(gets)]


STARTED = """
    import json

    from bnrank.runs import run_started

    rule all:
        input:
            "a.txt",
            "b.txt",

    rule make:
        output:
            "{name}.txt",
        shell:
            "touch {output}"

    onstart:
        with open("started.json", "w") as f:
            json.dump(run_started(workflow), f)
"""


def test_run_started_counts_the_jobs_about_to_run(tmp_path):
    (tmp_path / "a.txt").touch()  # made before: in the DAG, not run
    done = snakemake(tmp_path, STARTED)
    assert done.returncode == 0, done.stderr
    started = json.loads((tmp_path / "started.json").read_text())
    assert started.pop("start") > 0
    assert started == {"targets": "all", "jobs_run": 2, "jobs_in_dag": 3, "rules": "all:1 make:1", "cores": 1}
