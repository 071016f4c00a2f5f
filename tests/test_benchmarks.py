"""The benchmark scripts run (at small sizes), print how the new code compares with the
reference — faster or slower — and record the ratio as a number."""

import json
import subprocess
import sys
import time

import pytest

from bnrank.runs import speed_comparison
from tests.conftest import REPO


def wall_time(seconds: float) -> float:
    """The measured wall time of a job that sleeps ``seconds``."""
    start = time.perf_counter()
    time.sleep(seconds)
    return time.perf_counter() - start


def test_a_slower_new_side_is_called_slower_and_a_faster_one_faster():
    slowed, quick = wall_time(0.2), wall_time(0.001)  # a reference slowed on purpose, and a quick one
    assert speed_comparison(slowed, quick).endswith("× faster")
    assert speed_comparison(quick, slowed).endswith("× slower")  # the new side is the slowed one


@pytest.mark.parametrize(
    ("reference", "new", "said"),
    [
        (2.1, 1.0, "2.1× faster"),
        (1.0, 1.4, "1.4× slower"),  # a ratio of 0.71: not "0.7× faster"
        (10.0, 0.5, "20.0× faster"),
        (1.0, 1.04, "as fast"),  # within rounding, either way
        (1.04, 1.0, "as fast"),
        (3.0, 3.0, "as fast"),
    ],
)
def test_speed_comparison_says_which_side_is_faster_and_by_how_much(reference, new, said):
    assert speed_comparison(reference, new) == said


def test_speed_comparison_refuses_times_that_are_not_positive():
    with pytest.raises(ValueError, match="positive"):
        speed_comparison(1.0, 0.0)


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
    record = json.loads(out.read_text())
    assert record["command"] == f"python benchmarks/{script}" and record["machine"]["host"]
    for row in record["rows"]:  # the ratio as a number (reference time / new time), whichever side won
        assert isinstance(row["speedup"], float) and row["speedup"] > 0
        assert row["speed"] == speed_comparison(row["speedup"], 1.0)  # the words say what the number says
        assert row["speed"] in done.stdout
