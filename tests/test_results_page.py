"""docs/results.md is made from the runs' own files, and says what they say."""

import json
import re
import shutil
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


# ---------------------------------------------------------------- what the machine lacks is carried over

PAPER_KEYS = ("paper/claims/*.csv", "paper/runs.tsv", "paper/benchmarks/")


def _claims(results: Path, preset: str, statuses: list[str]) -> None:
    rows = [
        {"claim": f"c{i}", "paper": "p", "statement": "s", "value": 1.5, "threshold": "<= 1", "status": s}
        | {"deciding": f"{preset} d={i}", "seeds": "3 runs", "note": ""}
        for i, s in enumerate(statuses)
    ]
    paths = Paths(str(results / preset), "unused")
    Path(paths.claims("fig9")).parent.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(rows, columns=COLUMNS).to_csv(paths.claims("fig9"), index=False)


def _bench_json(results: Path, name: str, gpus: str) -> None:
    """A record of benchmarks/train.py as a machine with ``gpus`` wrote it into results/bench/<name>.json."""
    record = {"command": "python benchmarks/train.py", "description": "Batched.", "date": "2026-11-27 17:28 UTC"}
    record["machine"] = {"host": "vm", "cpu": "16 × Xeon", "gpus": gpus}
    record["rows"] = [{"what": f"15 MLPs on {gpus}", "speed": "12.0× faster", "speedup": 12.0}]
    Path(bench_record(name, str(results))).parent.mkdir(parents=True, exist_ok=True)
    Path(bench_record(name, str(results))).write_text(json.dumps(record))


def _results(tmp_path: Path) -> Path:
    """Two presets (paper with its runs log and job benchmarks), two records of one command, a test report."""
    results = tmp_path / "results"
    _claims(results, "paper", ["holds", "fails"])
    _claims(results, "quick", ["holds"])
    paper = Paths(str(results / "paper"), "unused")
    runs.run_finished(paper.runs(), {"start": 0.0, "targets": "fig9", "jobs_run": 8, "jobs_in_dag": 8} | {"cores": 2})
    Path(paper.benchmark("simulate_width_sweep", "w8")).parent.mkdir(parents=True)
    pd.DataFrame({"s": [5094.0], "max_rss": [681.0]}).to_csv(paper.benchmark("simulate_width_sweep", "w8"), sep="\t")
    _bench_json(results, "train", "none")
    _bench_json(results, "train_h100", "NVIDIA H100")
    Path(junit_report(str(results))).write_text(JUNIT)
    return results


def _dated(text: str, date: str) -> str:
    """A page as if regenerated on ``date``."""
    return re.sub(r"^Regenerated .+? by", f"Regenerated {date} by", text, count=1, flags=re.MULTILINE)


def _without_carried(lines: list[str]) -> list[str]:
    """A section as it was before it was carried: its carried-over line and the blank after it dropped."""
    at = next(i for i, line in enumerate(lines) if line.startswith(results_page.CARRIED))
    return lines[:at] + lines[at + 2 :]


def test_sections_whose_files_are_gone_are_carried_over_once_then_regenerated(tmp_path):
    results = _results(tmp_path)
    first = _dated(results_page.page(results), "2020-01-01 00:00 UTC")
    assert "_Carried" not in first and "carried over" not in first
    for key in (*PAPER_KEYS, "bench/train.json", "bench/train_h100.json", "tests.xml"):
        assert first.count(f"<!-- source: {key} -->") == 1  # every section says what it is made from
    gone = tmp_path / "elsewhere"
    (results / "paper").rename(gone)
    Path(bench_record("train_h100", str(results))).rename(tmp_path / "train_h100.json")

    second = results_page.page(results, first)
    before, after = results_page.previous_page(first), results_page.previous_page(second)
    for key in PAPER_KEYS:  # kept verbatim, with the line that says why and what makes them again
        assert _without_carried(after.sections[key]) == before.sections[key]
        assert f"2020-01-01 00:00 UTC, because its source files (`{results.as_posix()}/{key}`)" in second
    assert _without_carried(after.bench["bench/train_h100.json"]) == before.bench["bench/train_h100.json"]
    assert f"rerunning `python benchmarks/train.py --output {results.as_posix()}/bench/train_h100.json`" in second
    assert after.bench["bench/train.json"] == before.bench["bench/train.json"]  # its file is here: regenerated
    assert after.sections["quick/claims/*.csv"] == before.sections["quick/claims/*.csv"]
    assert after.sections["tests.xml"] == before.sections["tests.xml"]
    assert after.bullets["paper"][0] == before.bullets["paper"][0]  # the overview keeps the paper's bullet
    assert after.bullets["paper"][1].startswith(f"  - {results_page.CARRIED} 2020-01-01 00:00 UTC")
    assert after.bullets["paper"][2:] == before.bullets["paper"][1:]
    assert second.count(results_page.CARRIED) == 5  # 3 sections of the paper preset, its bullet, 1 record
    # the generator's order: presets by name, records by file name
    assert second.index("- preset **paper**") < second.index("- preset **quick**")
    assert second.index("### Claims, preset `paper`") < second.index("### Claims, preset `quick`")
    assert second.index("### Workflow runs, preset `paper`") < second.index("### Time per job, preset `paper`")
    assert second.index("bench/train.json -->") < second.index("bench/train_h100.json -->") < second.index("## Tests")

    third = results_page.page(results, _dated(second, "2021-01-01 00:00 UTC"))
    assert third.count(results_page.CARRIED) == 5 and "2021-01-01" not in third  # no second line, first date kept
    assert third.count("### Claims, preset `paper`") == 1 and third.count("### `python benchmarks/train.py`") == 2
    assert third.splitlines()[3:] == second.splitlines()[3:]

    gone.rename(results / "paper")
    (tmp_path / "train_h100.json").rename(bench_record("train_h100", str(results)))
    fourth = results_page.page(results, third)
    assert fourth.splitlines()[3:] == first.splitlines()[3:]  # regenerated from the files, nothing carried


def test_a_page_before_the_source_keys_keys_a_record_by_its_heading_and_machine(tmp_path):
    results = _results(tmp_path)
    first = results_page.page(results)
    unkeyed = "\n".join(line for line in first.splitlines() if not line.startswith("<!-- source:"))
    Path(bench_record("train_h100", str(results))).unlink()

    text = results_page.page(results, unkeyed)
    assert text.count("### `python benchmarks/train.py`") == 2  # the CPU record regenerated, the GPU one carried
    assert text.count(results_page.CARRIED) == 1 and "(`" + results.as_posix() + "/bench/*.json`: this run's" in text
    assert text.index("<!-- source: bench/train.json -->") < text.index(results_page.CARRIED)
    assert text.index(results_page.CARRIED) < text.index("| 15 MLPs on NVIDIA H100 | 12.0× faster |")


def test_a_section_never_on_the_page_whose_files_are_not_here_is_not_on_it(tmp_path):
    results = _results(tmp_path)
    for folder in ("paper", "bench"):
        shutil.rmtree(results / folder)
    Path(junit_report(str(results))).unlink()
    previous = results_page.page(results)  # the quick preset's sections only
    shutil.rmtree(results / "quick")

    text = results_page.page(results, previous)
    assert "### Claims, preset `quick`" in text and text.count(results_page.CARRIED) == 2  # its section and bullet
    assert "preset `paper`" not in text and "**paper**" not in text
    assert "## Benchmarks" not in text and "## Tests" not in text
    assert "_Carried" not in results_page.page(results) and "preset `" not in results_page.page(results)


def test_why_a_claim_does_not_hold_comes_from_the_runs(tmp_path):
    """A claim the run could not decide says which measurement fell short; a failing one, what
    the paper preset found for it, or that it is unmeasured at paper scale; the stand-in is named."""
    results = tmp_path / "results"
    paper = Paths(str(results / "paper"), "unused").claims("fig9")
    Path(paper).parent.mkdir(parents=True)
    pd.DataFrame([{"claim": "c1", "status": "holds"}]).to_csv(paper, index=False)
    quick = results / "quick"
    row = {"figure": "fig9", "claim": "c1", "status": "fails", "deciding": "d=8", "note": "quick preset"}
    assert results_page.why(row, quick) == "paper preset: holds"
    assert results_page.why(row | {"claim": "c2"}, quick) == "unmeasured at paper scale"
    assert results_page.why(row | {"figure": "fig5", "note": "synthetic CIFAR-10 stand-in"}, quick) == (
        "unmeasured at paper scale; data: the synthetic CIFAR-10 stand-in, not CIFAR-10"
    )
    undecided = row | {"status": "not evaluated", "deciding": "not decided: bn at depth 32 still learning"}
    assert results_page.why(undecided, quick) == "the run could not decide it: bn at depth 32 still learning"
