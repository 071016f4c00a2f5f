"""The benchmark scripts run (at small sizes), print their ratios and record them."""

import json
import subprocess
import sys

import pytest

from tests.conftest import REPO


@pytest.mark.slow
@pytest.mark.parametrize("script", ["chains.py", "train.py", "cnn.py"])
def test_benchmark_script_runs(script, tmp_path):
    out = tmp_path / "bench.json"
    done = subprocess.run(
        [sys.executable, str(REPO / "benchmarks" / script), "--quick", "--repeats", "1", "--output", str(out)],
        capture_output=True,
        text=True,
        cwd=REPO,
    )
    assert done.returncode == 0, done.stderr
    assert "faster" in done.stdout
    record = json.loads(out.read_text())
    assert record["command"] == f"python benchmarks/{script}" and record["machine"]["host"]
    assert all(row["speed-up"].endswith("×") for row in record["rows"])
