"""docs/results.md: every measured number of the project, regenerated from the files
the runs wrote — never typed in.

    python -m bnrank.results_page [--results results] [--out docs/results.md] [--readme README.md]

It also rewrites the README's block between ``<!-- claims:start -->`` and
``<!-- claims:end -->``: which claims hold and which fail, per preset, from the same files.

Sources, each named on the page with its date and machine:

- ``results/<preset>/claims/*.csv``: each figure's claims (counts, and every claim that
  fails, with the paper's statement it tests);
- ``results/<preset>/runs.tsv``: one row per ``snakemake`` invocation (the Snakefile's
  ``onsuccess`` hook): targets, jobs run, wall time, cores, machine;
- ``results/<preset>/benchmarks/``: Snakemake's per-job benchmark files (wall time,
  memory), summed per rule;
- ``results/bench/*.json``: the output of ``make bench`` (benchmarks/*.py --output);
- ``results/tests.xml``: the JUnit report of ``make test``.
"""

from __future__ import annotations

import argparse
import datetime
import json
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import pandas as pd

from bnrank.claims import STATUSES
from bnrank.figures import FIGURES


def _when(seconds: float) -> str:
    """A time stamp (seconds since the epoch, e.g. a file's mtime) as the page writes dates."""
    return datetime.datetime.fromtimestamp(seconds, datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")


def _table(frame: pd.DataFrame) -> list[str]:
    """A frame as a Markdown table."""
    head = "| " + " | ".join(map(str, frame.columns)) + " |"
    rule = "|" + "---|" * len(frame.columns)
    rows = ["| " + " | ".join(str(v).replace("|", "\\|") for v in row) + " |" for row in frame.itertuples(index=False)]
    return [head, rule, *rows, ""]


def _duration(seconds: float) -> str:
    minutes, secs = divmod(round(float(seconds)), 60)
    return f"{minutes} min {secs:02d} s" if minutes else f"{secs} s"


def _presets(results: Path) -> list[Path]:
    """The preset folders under ``results`` that hold claims."""
    return sorted(p for p in results.iterdir() if p.is_dir() and (p / "claims").is_dir())


def _claim_files(preset: Path) -> dict[str, Path]:
    """Each figure's claims file that a run of ``preset`` wrote, in registry order."""
    files = {f: preset / "claims" / f"{f}.csv" for f in FIGURES}
    return {f: p for f, p in files.items() if p.exists()}


def claims_section(preset: Path) -> list[str]:
    files = _claim_files(preset)
    found = {f: pd.read_csv(p) for f, p in files.items()}
    if not found:
        return []
    newest = max(files.values(), key=lambda p: p.stat().st_mtime)
    lines = [f"### Claims, preset `{preset.name}`", ""]
    lines += [f"From `{preset.name}/claims/*.csv`, the newest written {_when(newest.stat().st_mtime)}.", ""]
    counts = pd.DataFrame(
        [{"figure": f, **{s: int((rows["status"] == s).sum()) for s in STATUSES}} for f, rows in found.items()]
    )
    total = counts[list(STATUSES)].sum()
    lines += [", ".join(f"**{total[s]} {s}**" for s in STATUSES), ""]
    lines += _table(counts)
    failing = pd.concat([rows.assign(figure=f) for f, rows in found.items()], ignore_index=True).query(
        "status != 'holds'"
    )
    if len(failing):
        lines += ["Claims that do not hold:", ""]
        failing = failing.assign(value=failing["value"].map(lambda v: f"{v:.4g}"))
        lines += _table(failing[["figure", "claim", "paper", "value", "threshold", "status", "deciding", "seeds"]])
    notes = sorted({str(n) for rows in found.values() for n in rows["note"].dropna().unique() if n})
    lines += [f"_Note on these claims: {n}_" for n in notes] + ([""] if notes else [])
    return lines


def runs_section(preset: Path) -> list[str]:
    log = preset / "runs.tsv"
    if not log.exists():
        return []
    runs = pd.read_csv(log, sep="\t")
    runs = runs.assign(
        wall=runs["seconds"].map(_duration),
        jobs=runs["jobs_run"].astype(str) + " of " + runs["jobs_in_dag"].astype(str),
        machine=runs["host"] + ": " + runs["cpu"] + ", GPU: " + runs["gpus"],
    )
    lines = [f"### Workflow runs, preset `{preset.name}`", ""]
    lines += [
        f"From `{preset.name}/runs.tsv` (one row per `snakemake` invocation that ran jobs). A run that ran all "
        "the jobs of its DAG started from nothing for its targets.",
        "",
    ]
    return lines + _table(runs[["finished", "targets", "jobs", "wall", "cores", "machine"]])


def job_times_section(preset: Path) -> list[str]:
    files = sorted((preset / "benchmarks").rglob("*.tsv"))
    if not files:
        return []
    rows = []
    for f in files:
        rule = f.relative_to(preset / "benchmarks").with_suffix("").parts[0]  # benchmarks/<rule>[/<job>].tsv
        t = pd.read_csv(f, sep="\t")
        rows.append({"rule": rule, "s": t["s"].median(), "max_rss": t["max_rss"].median(), "when": f.stat().st_mtime})
    jobs = pd.DataFrame(rows)
    summary = jobs.groupby("rule").agg(
        jobs=("s", "size"), total=("s", "sum"), longest=("s", "max"), rss=("max_rss", "max")
    )
    summary = summary.reset_index().assign(
        total=lambda t: t["total"].map(_duration),
        longest=lambda t: t["longest"].map(_duration),
        rss=lambda t: t["rss"].map(lambda m: f"{m:.0f} MB"),
    )
    written = _when(jobs["when"].max())
    lines = [f"### Time per job, preset `{preset.name}`", ""]
    lines += [
        f"From Snakemake's benchmark files in `{preset.name}/benchmarks/` (the newest written {written}): wall time "
        "of each job as it ran, summed per rule, and the largest resident memory.",
        "",
    ]
    return lines + _table(summary.rename(columns={"total": "total time", "longest": "longest job", "rss": "max RSS"}))


def bench_section(results: Path) -> list[str]:
    files = sorted((results / "bench").glob("*.json"))
    lines = []
    for f in files:
        bench = json.loads(f.read_text())
        m = bench["machine"]
        lines += [f"### `{bench['command']}`", ""]
        lines += [f"{bench['description']} Run {bench['date']} on {m['host']}: {m['cpu']}, GPU: {m['gpus']}.", ""]
        lines += _table(pd.DataFrame(bench["rows"]))
    return lines


def tests_section(results: Path) -> list[str]:
    report = results / "tests.xml"
    if not report.exists():
        return []
    suite = ElementTree.parse(report).getroot()
    suite = suite.find("testsuite") if suite.tag == "testsuites" else suite
    a = suite.attrib
    passed = int(a["tests"]) - int(a["failures"]) - int(a["errors"]) - int(a["skipped"])
    lines = ["## Tests", ""]
    lines += [
        f"From `tests.xml`, the JUnit report of `make test`, run {a.get('timestamp', '?')} "
        f"on {a.get('hostname', '?')}: "
        f"{passed} passed, {a['failures']} failed, {a['errors']} errors, {a['skipped']} skipped, "
        f"in {_duration(float(a['time']))}.",
        "",
    ]
    return lines


def page(results: Path) -> str:
    presets = _presets(results)
    now = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        "# Results",
        "",
        f"Regenerated {now} by `make results-page` (`python -m bnrank.results_page`) from the files under "
        f"`{results}/` that the runs wrote. Nothing here is typed by hand: rerun the commands and regenerate the "
        "page to check it. Timings depend on the machine each section names.",
        "",
        "## Claims",
        "",
    ]
    for preset in presets:
        lines += claims_section(preset)
    lines += ["## Time", ""]
    for preset in presets:
        lines += runs_section(preset) + job_times_section(preset)
    bench = bench_section(results)
    if bench:
        lines += ["## Benchmarks", "", "From `make bench` (`benchmarks/*.py --output results/bench/<name>.json`).", ""]
        lines += bench
    lines += tests_section(results)
    return "\n".join(lines).rstrip() + "\n"


README_START, README_END = "<!-- claims:start -->", "<!-- claims:end -->"


def claims_overview(results: Path) -> list[str]:
    """Per preset: the counts, then every claim that does not hold, by figure and id."""
    lines = []
    for preset in _presets(results):
        found = [pd.read_csv(path).assign(figure=f) for f, path in _claim_files(preset).items()]
        if not found:
            continue
        everything = pd.concat(found, ignore_index=True)
        counts = everything["status"].value_counts()
        total = ", ".join(f"{counts.get(s, 0)} {s}" for s in STATUSES)
        lines += [f"- preset **{preset.name}** ({everything['figure'].nunique()} figures): {total}."]
        for r in everything[everything["status"] != "holds"].itertuples():
            lines += [f"  - {r.figure} `{r.claim}` {r.status}: {r.deciding}"]
    return lines


def update_readme(readme: Path, results: Path) -> None:
    """Replace the README's claims block with the overview of ``results``."""
    text = readme.read_text()
    start, end = text.index(README_START) + len(README_START), text.index(README_END)
    block = [
        "",
        f"Generated by `make results-page` from `{results}/<preset>/claims/*.csv` (docs/results.md has the details):",
        "",
        *claims_overview(results),
        "",
    ]
    readme.write_text(text[:start] + "\n".join(block) + text[end:])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--results", type=Path, default=Path("results"))
    parser.add_argument("--out", type=Path, default=Path("docs/results.md"))
    parser.add_argument("--readme", type=Path, default=Path("README.md"))
    args = parser.parse_args()
    args.out.write_text(page(args.results))
    update_readme(args.readme, args.results)
    print(f"wrote {args.out} and the claims block of {args.readme}")


if __name__ == "__main__":
    main()
