"""docs/results.md: every measured number of the project, regenerated from the files
the runs wrote — never typed in. (The README quotes none: it links this page.)

    python -m bnrank.results_page [--results results] [--out docs/results.md]

Sources, each named on the page with its date and machine, each found where
``bnrank.paths`` puts it:

- ``results/<preset>/claims/*.csv`` (``Paths.claims``): each figure's claims — an
  overview of every preset (counts, and each claim that does not hold, by figure and id),
  then per preset the counts per figure and every claim that fails, with the paper's
  statement it tests;
- ``results/<preset>/runs.tsv`` (``Paths.runs``): one row per ``snakemake`` invocation
  (the Snakefile's ``onsuccess`` hook): targets, jobs run, wall time, cores, machine;
- ``results/<preset>/benchmarks/`` (``Paths.benchmarks``): Snakemake's per-job benchmark
  files (wall time, memory), summed per rule;
- ``results/bench/*.json`` (``paths.bench_record``): the output of ``make bench``
  (benchmarks/*.py --output), one table per record, its rows as the script wrote them
  except ``speedup``, the reference's time over this project's (above 1: faster), which
  the rows also say in words (``bnrank.runs.speed_comparison``);
- ``results/tests.xml`` (``paths.junit_report``): the JUnit report of ``make test``.
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
from bnrank.paths import Paths, bench_record, junit_report


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


def _paths(preset: Path) -> Paths:
    """Where a preset's run put its files (this page reads no prepared data set)."""
    return Paths(str(preset), "unused")


def _shown(path: str, results: Path) -> str:
    """A path (or pattern) under ``results`` as the page names it: relative to ``results``."""
    return Path(path).relative_to(results).as_posix()


def _matches(pattern: str) -> list[Path]:
    """The files a ``bnrank.paths`` pattern ("*" for a name) matches, sorted."""
    return sorted(Path(pattern).parent.glob(Path(pattern).name))


def _presets(results: Path) -> list[Path]:
    """The preset folders under ``results`` that hold claims."""
    return sorted(p for p in results.iterdir() if p.is_dir() and _matches(_paths(p).claims("*")))


def _claim_files(preset: Path) -> dict[str, Path]:
    """Each figure's claims file that a run of ``preset`` wrote, in registry order."""
    files = {f: Path(_paths(preset).claims(f)) for f in FIGURES}
    return {f: p for f, p in files.items() if p.exists()}


def claims_section(preset: Path) -> list[str]:
    files = _claim_files(preset)
    found = {f: pd.read_csv(p) for f, p in files.items()}
    if not found:
        return []
    newest = max(files.values(), key=lambda p: p.stat().st_mtime)
    pattern = _shown(_paths(preset).claims("*"), preset.parent)
    lines = [f"### Claims, preset `{preset.name}`", ""]
    lines += [f"From `{pattern}`, the newest written {_when(newest.stat().st_mtime)}.", ""]
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
    log = Path(_paths(preset).runs())
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
        f"From `{_shown(str(log), preset.parent)}` (one row per `snakemake` invocation that ran jobs). "
        "A run that ran all the jobs of its DAG started from nothing for its targets.",
        "",
    ]
    return lines + _table(runs[["finished", "targets", "jobs", "wall", "cores", "machine"]])


def job_times_section(preset: Path) -> list[str]:
    folder = Path(_paths(preset).benchmarks())
    files = sorted(folder.rglob("*.tsv"))
    if not files:
        return []
    rows = []
    for f in files:
        rule = f.relative_to(folder).with_suffix("").parts[0]  # <rule>.tsv or <rule>/<job>.tsv
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
        f"From Snakemake's benchmark files in `{_shown(str(folder), preset.parent)}/` (the newest written {written}): "
        "wall time of each job as it ran, summed per rule, and the largest resident memory.",
        "",
    ]
    return lines + _table(summary.rename(columns={"total": "total time", "longest": "longest job", "rss": "max RSS"}))


def bench_section(results: Path) -> list[str]:
    lines = []
    for f in _matches(bench_record("*", str(results))):
        bench = json.loads(f.read_text())
        m = bench["machine"]
        lines += [f"### `{bench['command']}`", ""]
        lines += [f"{bench['description']} Run {bench['date']} on {m['host']}: {m['cpu']}, GPU: {m['gpus']}.", ""]
        # the ratio as a number is for programs; its row says it in words
        lines += _table(pd.DataFrame(bench["rows"]).drop(columns="speedup", errors="ignore"))
    return lines


def tests_section(results: Path) -> list[str]:
    report = Path(junit_report(str(results)))
    if not report.exists():
        return []
    suite = ElementTree.parse(report).getroot()
    suite = suite.find("testsuite") if suite.tag == "testsuites" else suite
    a = suite.attrib
    passed = int(a["tests"]) - int(a["failures"]) - int(a["errors"]) - int(a["skipped"])
    lines = ["## Tests", ""]
    lines += [
        f"From `{_shown(str(report), results)}`, the JUnit report of `make test`, run {a.get('timestamp', '?')} "
        f"on {a.get('hostname', '?')}: "
        f"{passed} passed, {a['failures']} failed, {a['errors']} errors, {a['skipped']} skipped, "
        f"in {_duration(float(a['time']))}.",
        "",
    ]
    return lines


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
    overview = claims_overview(results)
    if overview:
        lines += ["What holds and what fails, per preset (the sections below have the details):", "", *overview, ""]
    for preset in presets:
        lines += claims_section(preset)
    lines += ["## Time", ""]
    for preset in presets:
        lines += runs_section(preset) + job_times_section(preset)
    bench = bench_section(results)
    if bench:
        written = bench_record("<name>", str(results))
        lines += ["## Benchmarks", "", f"From `make bench` (`benchmarks/<name>.py --output`, into `{written}`).", ""]
        lines += bench
    lines += tests_section(results)
    return "\n".join(lines).rstrip() + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--results", type=Path, default=Path("results"))
    parser.add_argument("--out", type=Path, default=Path("docs/results.md"))
    args = parser.parse_args()
    args.out.write_text(page(args.results))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
