"""The benchmark scripts run (at small sizes), print how the new code compares with the
reference — faster or slower — and record the ratio as a number."""

import argparse
import json
import os
import subprocess
import sys
import time

import pytest
import torch

from bnrank.nets import data
from bnrank.runs import output_argument, output_path, speed_comparison
from tests.conftest import REPO, workflow_config, write_config


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


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        ([], None),  # no --output: no record
        (["--output"], "results/bench/packing_fig4_quick.json"),  # the record named from the arguments
        (["--output", "here.json"], "here.json"),
    ],
)
def test_output_path_names_the_record_from_the_parsed_arguments(argv, expected):
    parser = argparse.ArgumentParser()
    parser.add_argument("--experiment", default="fig4")
    output_argument(parser, "packing_{experiment}{preset}")
    args = parser.parse_args(argv)
    args.preset = "_quick"  # a derived part of the name, set before output_path
    assert output_path(args) == expected
    assert "results/bench/packing_<experiment><preset>.json" in parser.format_help()


@pytest.mark.slow
@pytest.mark.parametrize("script", ["chains.py", "train.py", "cnn.py", "rank_notions.py"])
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


@pytest.mark.slow
def test_packing_benchmark_counts_fewer_operator_calls_for_one_stack_of_all_depths(tmp_path):
    """benchmarks/packing.py: a stack of depths 4, 2 and 1 calls fewer operators per step than
    one stack per depth (the deepest net's layers against all nets' layers)."""
    out = tmp_path / "packing.json"
    done = subprocess.run(
        [sys.executable, str(REPO / "benchmarks" / "packing.py"), "--quick", "--output", str(out)],
        capture_output=True,
        text=True,
        cwd=REPO,
    )
    assert done.returncode == 0, done.stderr
    apart, packed = json.loads(out.read_text())["rows"]
    assert apart["way"] == "one stack per depth" and packed["way"] == "all depths in one stack"
    assert packed["operator calls per step"] < apart["operator calls per step"]


def tiny_preset(folder):
    """The paper preset (config.yaml) at a few samples, seeds and epochs, with its data sets
    (random Fashion-MNIST-shaped and the CIFAR-10 stand-in's shape) already prepared."""
    folder.mkdir()
    gen = torch.Generator().manual_seed(0)
    pixels = lambda n: torch.randint(256, (n, 784), generator=gen, dtype=torch.uint8)  # noqa: E731
    classes = lambda n: torch.randint(10, (n,), generator=gen)  # noqa: E731
    data.Dataset(pixels(256), classes(256), pixels(64), classes(64), "random").save(folder / "fashion_mnist.pt")
    data.synthetic_cifar10(0, 256, 64).save(folder / "cifar10.pt")
    small = {"n_seeds": 1, "selection_seeds": 0, "epochs": 2, "train_samples": 128, "test_samples": 32}
    overrides = {"data": {"directory": str(folder)}, "experiments": {"fig1": {**small, "depths": [1, 2]}}}
    config = workflow_config(write_config(folder / "overrides.yaml", overrides))
    return write_config(folder / "config.yaml", config)


@pytest.mark.slow
def test_gpu_check_runs_on_a_cpu_when_allowed_and_refuses_without_a_gpu(tmp_path):
    """benchmarks/gpu_check.py (make gpu-check) with the GPU hidden: it names the missing GPU
    and exits non-zero; with --allow-cpu --quick, on a tiny preset, it records the device, the
    CUDA tests' outcome, each step and a projection labelled as one; with no budget it starts
    no step and says so."""
    config = tiny_preset(tmp_path / "data")
    script = [sys.executable, str(REPO / "benchmarks" / "gpu_check.py"), "--configfile", str(config)]
    hidden = {**os.environ, "CUDA_VISIBLE_DEVICES": ""}
    check = lambda *args: subprocess.run([*script, *args], capture_output=True, text=True, cwd=REPO, env=hidden)  # noqa: E731

    refused = check("--output", str(tmp_path / "refused.json"))
    assert refused.returncode != 0 and "no GPU present" in refused.stderr
    assert not (tmp_path / "refused.json").exists()

    out = tmp_path / "bench" / "gpu_check.json"
    done = check("--allow-cpu", "--quick", "--steps", "tests", "cnn", "fig1", "--output", str(out))
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    record = json.loads(out.read_text())
    assert record["command"].startswith("python benchmarks/gpu_check.py") and record["machine"]["host"]
    assert record["gpu"]["cuda"] is False and "no GPU" in record["gpu"]["name"] and record["gpu"]["torch"]
    assert record["description"].startswith("NO GPU")
    tests = record["cuda_tests"]
    assert tests["tests"] >= 1 and tests["skipped"] == tests["tests"] and "no CUDA device" in tests["outcome"]
    steps = {s["step"]: s for s in record["steps"]}
    assert {"cuda tests", "cnn", "fig1", "whole fig1"} <= set(steps)
    for name in ("cnn", "fig1"):  # each step's own record, written where the check's record says
        assert steps[name]["status"] == "done" and (REPO / steps[name]["record"]).exists()
        assert steps[name]["seconds"] > 0 and "projection" in steps[name]["result"]
    assert "measured" in steps["whole fig1"]["result"]
    projected = record["projected"]
    assert projected["label"] == "projection" and projected["minutes"] > 0
    assert projected["by_experiment_seconds"]["fig1"] >= 0 and projected["by_experiment_seconds"]["vgg19"] > 0
    assert not projected["complete"] and "fig4" in projected["missing"]  # not asked for: said to be unmeasured
    assert record["rows"][-1]["status"] == "projection" and "(projection" in record["rows"][-1]["result"]

    broke = tmp_path / "broke.json"
    spent = check("--allow-cpu", "--quick", "--budget-seconds", "1", "--steps", "tests", "fig1", "--output", str(broke))
    assert spent.returncode == 0, spent.stderr
    skipped = json.loads(broke.read_text())["skipped"]
    assert [s["step"] for s in skipped] == ["cuda tests", "fig1"] and "budget" in skipped[0]["why"]


@pytest.mark.slow
def test_beyond_benchmark_times_each_job_in_a_fresh_process(tmp_path):
    """benchmarks/beyond.py: a row per simulation job, with its time and the peak memory of
    the process that ran it (a fresh one per job, so a job's memory is its own)."""
    out = tmp_path / "beyond.json"
    script = [sys.executable, str(REPO / "benchmarks" / "beyond.py"), "--configfile", "presets/quick.yaml"]
    done = subprocess.run([*script, "--quick", "--output", str(out)], capture_output=True, text=True, cwd=REPO)
    assert done.returncode == 0, done.stderr
    record = json.loads(out.read_text())
    assert record["command"] == "python benchmarks/beyond.py --configfile presets/quick.yaml"
    [row] = record["rows"]
    assert row["figure"] == "fig14" and row["seconds"] > 0 and row["table_rows"] > 0
    assert 0 < row["peak_memory_mb"] < 64 * 1024
