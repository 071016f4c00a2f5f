"""The benchmark scripts run (at small sizes) and print their ratios."""

import subprocess
import sys

import pytest

from tests.conftest import REPO


@pytest.mark.slow
@pytest.mark.parametrize("script", ["chains.py", "train.py"])
def test_benchmark_script_runs(script):
    done = subprocess.run(
        [sys.executable, str(REPO / "benchmarks" / script), "--quick", "--repeats", "1"],
        capture_output=True, text=True, cwd=REPO,
    )
    assert done.returncode == 0, done.stderr
    assert "faster" in done.stdout
