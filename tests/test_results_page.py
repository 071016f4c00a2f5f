"""docs/results.md is made from the runs' own files, and says what they say."""

from pathlib import Path

import pandas as pd

from bnrank import results_page, runs
from bnrank.claims import COLUMNS
from bnrank.paths import Paths, bench_record, junit_report

JUNIT = """<?xml version="1.0" encoding="utf-8"?><testsuites><testsuite name="pytest" errors="0" failures="1"
skipped="2" tests="10" time="65.4" timestamp="2026-11-27T10:00:00" hostname="lab-pc"></testsuite></testsuites>"""


def test_page_reports_claims_runs_job_times_benchmarks_and_tests(tmp_path):
    results = tmp_path / "results"
    paths = Paths(str(results / "quick"), "unused")
    for fig, statuses in (("fig2", ["holds", "holds"]), ("fig9", ["holds", "fails"])):
        rows = [
            {
                "claim": f"c{i}",
                "paper": f"{fig} sentence {i}",
                "statement": f"{fig} statement {i}",
                "value": 0.5 + i,
                "threshold": "<= 1",
                "status": s,
                "deciding": f"d={i}: {0.5 + i} > 1",
                "seeds": "3 runs",
                "note": "quick preset",
            }
            for i, s in enumerate(statuses)
        ]
        (results / "quick" / "claims").mkdir(parents=True, exist_ok=True)
        pd.DataFrame(rows, columns=COLUMNS).to_csv(paths.claims(fig), index=False)
    started = {"start": 0.0, "targets": "all", "jobs_run": 270, "jobs_in_dag": 270, "rules": "all:1", "cores": 2}
    runs.run_finished(paths.runs(), started)
    for rule, job, seconds in (
        ("train", "fig1_bn_depth1", 30.0),
        ("train", "fig1_bn_depth4", 90.0),
        ("simulate_spectrum", None, 5.0),
    ):
        bench = paths.benchmark(rule, job)
        (tmp_path / bench).parent.mkdir(parents=True, exist_ok=True)
        pd.DataFrame({"s": [seconds], "max_rss": [100.0]}).to_csv(bench, sep="\t", index=False)
    runs.save_benchmark(
        bench_record("train", str(results)),
        "python benchmarks/train.py",
        "Batched against a loop.",
        [{"what": "15 MLPs", "speed": runs.speed_comparison(1.7, 1.0), "speedup": 1.7}],
    )
    runs.save_benchmark(  # a record written before the rows held the ratio as a number
        bench_record("chains", str(results)),
        "python benchmarks/chains.py",
        "Old.",
        [{"what": "Fig 2", "speed-up": "10×"}],
    )
    Path(junit_report(str(results))).write_text(JUNIT)

    text = results_page.page(results)
    assert "**3 holds**, **1 fails**, **0 not evaluated**" in text
    assert "| fig9 | c1 | fig9 sentence 1 | 1.5 | <= 1 | fails | d=1: 1.5 > 1 | 3 runs |" in text  # the failing claim
    assert "fig2 sentence" not in text  # claims that hold are counted, not listed
    assert "| all | 270 of 270 |" in text
    assert "| train | 2 | 2 min 00 s | 1 min 30 s | 100 MB |" in text
    assert "| simulate_spectrum | 1 | 5 s | 5 s | 100 MB |" in text
    assert "### `python benchmarks/train.py`" in text and "| what | speed |" in text  # the number is for programs
    assert "| 15 MLPs | 1.7× faster |" in text and "| Fig 2 | 10× |" in text
    assert "on lab-pc: 7 passed, 1 failed, 0 errors, 2 skipped, in 1 min 05 s" in text
    assert runs.machine()["host"] in text  # every measurement names its machine
    # the overview of every preset, above the details (it was the README's block once)
    overview = text.index(
        "- preset **quick** (2 figures): 3 holds, 1 fails, 0 not evaluated.\n  - fig9 `c1` fails: d=1: 1.5 > 1\n"
    )
    assert text.index("## Claims") < overview < text.index("### Claims, preset `quick`")
    assert "From `quick/claims/*.csv`" in text and "From `quick/runs.tsv`" in text and "in `quick/benchmarks/`" in text
