"""docs/results.md: every measured number of the project, regenerated from the files
the runs wrote — never typed in. (The README quotes none: it links this page.)

    python -m bnrank.results_page [--results results] [--out docs/results.md] [--previous PAGE]

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

What this machine lacks is kept, not dropped: some sections come from runs that an
ordinary machine cannot make again (the paper preset's chains, benchmarks of a GPU machine
lent now and then). So the generator reads the page it replaces (``--previous``, by
default ``--out``), and each section of it whose source files are not here — a preset's
claims, runs log or benchmark files, a ``results/bench/<name>.json``, ``results/tests.xml``
— is carried over verbatim, with one line under its heading: carried over from the page
regenerated <that page's date>, because <its files> are not on this machine; rerunning
<the command that makes them> regenerates it. A section carried again keeps the line it
has (its first date). A section whose files are here is always regenerated from them,
never carried; one never on the page whose files are not here is not on it. A preset's
bullet in the claims overview is kept in the same way. The order stays the generator's:
presets by name, bench records by file name, carried ones merged in.

Sections are keyed by their source files, relative to ``results/``: the generator writes
``<!-- source: paper/claims/*.csv -->`` (or ``paper/runs.tsv``, ``paper/benchmarks/``,
``bench/train.json``, ``tests.xml``) under every heading. On a page written before these
keys, a preset's sections and the tests' are keyed by their heading, which names them
exactly, and a bench record (two can share a command) by its heading and the machine its
"Run <date> on <machine>." line names: a record here with the same command and machine
replaces it, and a carried one sorts as its script's default file (``bench/<script>.json``).
The overview's bullets are keyed by preset.
"""

from __future__ import annotations

import argparse
import datetime
import json
import re
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from bnrank.claims import STATUSES
from bnrank.figures import FIGURES
from bnrank.paths import Paths, bench_record, junit_report

CARRIED = "_Carried over from the page regenerated"  # how a carried section's line begins
SOURCE = re.compile(r"^<!-- source: (.+) -->$")  # the line under a heading that keys its section
PRESET_HEADING = re.compile(r"^### (Claims|Workflow runs|Time per job), preset `(.+)`$")
BENCH_HEADING = re.compile(r"^### `(.+)`$")


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
    """The preset folders under ``results``: those that hold claims, a runs log or benchmark files."""
    return sorted(p for p in results.iterdir() if p.is_dir() and _is_preset(p)) if results.is_dir() else []


def _is_preset(folder: Path) -> bool:
    paths = _paths(folder)
    runs, jobs = Path(paths.runs()), Path(paths.benchmarks())
    return bool(_matches(paths.claims("*"))) or runs.exists() or any(jobs.rglob("*.tsv"))


def _source_key(kind: str, preset: str) -> str:
    """The files a section of a preset is made from, as the page names them (relative to ``results``)."""
    paths = _paths(Path(preset))
    shown = {"Claims": paths.claims("*"), "Workflow runs": paths.runs(), "Time per job": paths.benchmarks() + "/"}
    return shown[kind]


def _heading(title: str, key: str) -> list[str]:
    """A section's heading, with the line that keys it by its source files for a later carry-over."""
    return [title, f"<!-- source: {key} -->", ""]


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
    lines = _heading(f"### Claims, preset `{preset.name}`", _source_key("Claims", preset.name))
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
        lines += ["Claims that do not hold, and why (`why`: from the run's own numbers and the paper preset's):", ""]
        failing = failing.assign(
            value=failing["value"].map(lambda v: f"{v:.4g}"),
            why=[why(row, preset) for row in failing.to_dict("records")],
        )
        lines += _table(
            failing[["figure", "claim", "paper", "value", "threshold", "status", "deciding", "seeds", "why"]]
        )
    notes = sorted({str(n) for rows in found.values() for n in rows["note"].dropna().unique() if n})
    lines += [f"_Note on these claims: {n}_" for n in notes] + ([""] if notes else [])
    return lines


def why(row: dict, preset: Path) -> str:
    """Why a claim of ``preset`` does not hold, from data: a claim the run could not decide
    says which measurement fell short (its ``deciding``); a failing one, what the paper
    preset's run found for it (or that it is unmeasured at paper scale), and that its data
    were the synthetic CIFAR-10 stand-in where they were."""
    parts = []
    if row["status"] == "not evaluated":
        parts.append("the run could not decide it: " + str(row["deciding"]).removeprefix("not decided: "))
    elif preset.name != "paper":
        paper = Path(_paths(preset.parent / "paper").claims(row["figure"]))
        found = pd.read_csv(paper) if paper.exists() else pd.DataFrame(columns=["claim", "status"])
        status = found.loc[found["claim"] == row["claim"], "status"]
        parts.append(f"paper preset: {status.iloc[0]}" if len(status) else "unmeasured at paper scale")
    if "stand-in" in str(row.get("note", "")):
        parts.append("data: the synthetic CIFAR-10 stand-in, not CIFAR-10")
    return "; ".join(parts)


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
    lines = _heading(f"### Workflow runs, preset `{preset.name}`", _source_key("Workflow runs", preset.name))
    lines += [
        f"From `{_shown(str(log), preset.parent)}` (one row per `snakemake` invocation that ran jobs). "
        "A run that ran all the jobs of its DAG started from nothing for its targets.",
        "",
    ]
    return lines + _table(runs[["finished", "targets", "jobs", "wall", "cores", "machine"]])


def job_times_section(preset: Path) -> list[str]:
    folder = Path(_paths(preset).benchmarks())
    files = sorted(folder.rglob("*.tsv")) if folder.is_dir() else []
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
    lines = _heading(f"### Time per job, preset `{preset.name}`", _source_key("Time per job", preset.name))
    lines += [
        f"From Snakemake's benchmark files in `{_shown(str(folder), preset.parent)}/` (the newest written {written}): "
        "wall time of each job as it ran, summed per rule, and the largest resident memory.",
        "",
    ]
    return lines + _table(summary.rename(columns={"total": "total time", "longest": "longest job", "rss": "max RSS"}))


def bench_sections(results: Path) -> dict[str, list[str]]:
    """One section per record of ``make bench``, by its file (relative to ``results``), sorted by it."""
    return {_shown(str(f), results): bench_section(f, results) for f in _matches(bench_record("*", str(results)))}


def bench_section(record: Path, results: Path) -> list[str]:
    bench = json.loads(record.read_text())
    m = bench["machine"]
    lines = _heading(f"### `{bench['command']}`", _shown(str(record), results))
    lines += [f"{bench['description']} Run {bench['date']} on {m['host']}: {m['cpu']}, GPU: {m['gpus']}.", ""]
    # the ratio as a number is for programs; its row says it in words
    return lines + _table(pd.DataFrame(bench["rows"]).drop(columns="speedup", errors="ignore"))


def tests_section(results: Path) -> list[str]:
    report = Path(junit_report(str(results)))
    if not report.exists():
        return []
    suite = ElementTree.parse(report).getroot()
    suite = suite.find("testsuite") if suite.tag == "testsuites" else suite
    a = suite.attrib
    passed = int(a["tests"]) - int(a["failures"]) - int(a["errors"]) - int(a["skipped"])
    lines = _heading("## Tests", _shown(str(report), results))
    lines += [
        f"From `{_shown(str(report), results)}`, the JUnit report of `make test`, run {a.get('timestamp', '?')} "
        f"on {a.get('hostname', '?')}: "
        f"{passed} passed, {a['failures']} failed, {a['errors']} errors, {a['skipped']} skipped, "
        f"in {_duration(float(a['time']))}.",
        "",
    ]
    return lines


def claims_overview(preset: Path) -> list[str]:
    """A preset's bullet: the counts, then every claim that does not hold, by figure and id."""
    found = [pd.read_csv(path).assign(figure=f) for f, path in _claim_files(preset).items()]
    if not found:
        return []
    everything = pd.concat(found, ignore_index=True)
    counts = everything["status"].value_counts()
    total = ", ".join(f"{counts.get(s, 0)} {s}" for s in STATUSES)
    lines = [f"- preset **{preset.name}** ({everything['figure'].nunique()} figures): {total}."]
    for r in everything[everything["status"] != "holds"].itertuples():
        lines += [f"  - {r.figure} `{r.claim}` {r.status}: {r.deciding}"]
    return lines


# ------------------------------------------------------------------ what the page before had


@dataclass(frozen=True)
class Previous:
    """The page being replaced, as far as a carry-over needs it."""

    date: str  # when it was regenerated, as its first paragraph says
    sections: dict[str, list[str]]  # a preset's sections and the tests', by source key
    bench: dict[str, list[str]]  # bench records, by source key (or heading and machine, unkeyed)
    bullets: dict[str, list[str]]  # the claims overview, by preset
    presets: set[str]  # every preset it has a section or a bullet of


def previous_page(text: str) -> Previous:
    """The sections of a page this module wrote (none from an empty text), each by its key."""
    date = re.search(r"^Regenerated (.+?) by ", text, re.MULTILINE)
    sections, bench, bullets, presets = {}, {}, {}, set()
    for block in _blocks(text):
        key, preset = _key(block), PRESET_HEADING.match(block[0])
        if BENCH_HEADING.match(block[0]):
            bench[key or _bench_identity(block)] = block
        elif key:
            sections[key] = block
        elif block[0] == "## Claims":
            bullets = _bullets(block)
        presets |= {preset[2]} if preset else set()
    return Previous(date[1] if date else "?", sections, bench, bullets, presets | set(bullets))


def _blocks(text: str) -> list[list[str]]:
    """A page cut at its headings: each heading with the lines up to the next, trailing blanks dropped."""
    blocks: list[list[str]] = []
    for line in text.splitlines():
        if line.startswith("#") or not blocks:
            blocks.append([])
        blocks[-1].append(line)
    return [_trimmed(b) for b in blocks]


def _trimmed(lines: list[str]) -> list[str]:
    while lines and not lines[-1].strip():
        lines = lines[:-1]
    return lines


def _key(block: list[str]) -> str | None:
    """The source key a section's heading is followed by, else (pages before keys) what its heading says."""
    keyed = SOURCE.match(block[1]) if len(block) > 1 else None
    if keyed:
        return keyed[1]
    preset = PRESET_HEADING.match(block[0])
    if preset:
        return _source_key(preset[1], preset[2])
    return _tests_key() if block[0] == "## Tests" else None


def _tests_key() -> str:
    """The tests section's source key: the JUnit report, relative to ``results``."""
    return Path(junit_report(".")).as_posix()


def _bench_identity(block: list[str]) -> str:
    """An unkeyed bench record's key: its heading and the machine of its "Run <date> on <machine>." line."""
    run = next((line for line in block if " Run " in line), "")
    return f"{block[0]} on {run.rpartition(' Run ')[2].partition(' on ')[2].removesuffix('.')}"


def _bullets(block: list[str]) -> dict[str, list[str]]:
    """The claims overview's bullets, by preset: "- preset **<name>** ..." and its sub-bullets."""
    bullets: dict[str, list[str]] = {}
    name = None
    for line in block:
        head = re.match(r"^- preset \*\*(.+?)\*\*", line)
        name = head[1] if head else name if line.startswith("  ") else None
        if name:
            bullets.setdefault(name, []).append(line)
    return bullets


# ------------------------------------------------------------------ carrying sections over

MAKERS = {"Claims": claims_section, "Workflow runs": runs_section, "Time per job": job_times_section}


def _carried(lines: list[str]) -> bool:
    """Whether a section (or bullet) was carried over already: then it keeps the line it has."""
    return any(CARRIED in line for line in lines)


def _carried_line(previous: Previous, source: str, command: str) -> str:
    return (
        f"{CARRIED} {previous.date}, because its source files ({source}) are not on this machine; "
        f"rerunning {command} regenerates it._"
    )


def _carry_section(lines: list[str], line: str) -> list[str]:
    """A section carried over: as it was, with ``line`` under its heading (and source key)."""
    if _carried(lines):
        return lines + [""]
    after = 2 if len(lines) > 1 and SOURCE.match(lines[1]) else 1
    return [*lines[:after], "", line, *lines[after:], ""]


def _files(results: Path, key: str) -> str:
    """A section's source files as its carried-over line names them: where they would be here."""
    return f"`{results.as_posix()}/{key}`"


def _preset_command(name: str) -> str:
    """What makes a preset's files (the paper's is the default config)."""
    return "`make paper`" if name == "paper" else f"`snakemake all --configfile presets/{name}.yaml`"


def _or_carried(lines: list[str], key: str, command: str, results: Path, previous: Previous) -> list[str]:
    """A section made from its files here; else the page before's, carried over; else nothing."""
    if lines or key not in previous.sections:
        return lines
    return _carry_section(previous.sections[key], _carried_line(previous, _files(results, key), command))


def _preset_section(kind: str, name: str, results: Path, previous: Previous) -> list[str]:
    key = _source_key(kind, name)
    return _or_carried(MAKERS[kind](results / name), key, _preset_command(name), results, previous)


def _overview(names: list[str], results: Path, previous: Previous) -> list[str]:
    """Each preset's bullet: from its claims here, else the page before's, carried over."""
    lines = []
    for name in names:
        bullet = claims_overview(results / name)
        if not bullet and name in previous.bullets:
            bullet = previous.bullets[name]
            source = _files(results, _source_key("Claims", name))
            line = _carried_line(previous, source, _preset_command(name))
            bullet = bullet if _carried(bullet) else [bullet[0], f"  - {line}", *bullet[1:]]
        lines += bullet
    return lines


def _bench(results: Path, previous: Previous) -> list[str]:
    """The records here, and those of the page before whose file is not here, sorted by file name."""
    here = bench_sections(results)
    machines = {_bench_identity(lines) for lines in here.values()}
    entries = list(here.items())
    for key, lines in previous.bench.items():
        if key not in here and key not in machines:
            entries.append(
                (_bench_order(key, lines), _carry_section(lines, _bench_line(key, lines, results, previous)))
            )
    return [line for _, lines in sorted(entries, key=lambda entry: entry[0]) for line in lines]


def _bench_order(key: str, lines: list[str]) -> str:
    """Where a record goes among the generator's (by file): an unkeyed one as if in its script's default file."""
    if not key.startswith("### "):
        return key
    script = re.search(r"benchmarks/(\w+)\.py", lines[0])
    return Path(bench_record(script[1] if script else "~", ".")).as_posix()


def _bench_line(key: str, lines: list[str], results: Path, previous: Previous) -> str:
    command = BENCH_HEADING.match(lines[0])[1]
    if key.startswith("### "):  # a page written before the keys: it did not name the file
        source, output = (
            f"`{results.as_posix()}/bench/*.json`: this run's record, which that page did not name",
            "--output",
        )
    else:
        source, output = _files(results, key), f"--output {results.as_posix()}/{key}"
    return _carried_line(previous, source, f"`{command} {output}` on a machine like the one it names")


def page(results: Path, previous: str = "") -> str:
    """The page from the files under ``results``; ``previous``, the page it replaces, gives what they lack."""
    before = previous_page(previous)
    names = sorted({p.name for p in _presets(results)} | before.presets)
    overview = _overview(names, results, before)
    claims = [x for name in names for x in _preset_section("Claims", name, results, before)]
    time = [
        x
        for name in names
        for kind in ("Workflow runs", "Time per job")
        for x in _preset_section(kind, name, results, before)
    ]
    bench = _bench(results, before)
    tests = _or_carried(tests_section(results), _tests_key(), "`make test`", results, before)
    now = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    carried = " A section whose files are not on this machine is carried over from the page before, and says so."
    lines = [
        "# Results",
        "",
        f"Regenerated {now} by `make results-page` (`python -m bnrank.results_page`) from the files under "
        f"`{results}/` that the runs wrote. Nothing here is typed by hand: rerun the commands and regenerate the "
        "page to check it. Timings depend on the machine each section names."
        + (carried if _carried(overview + claims + time + bench + tests) else ""),
        "",
        "## Claims",
        "",
    ]
    if overview:
        lines += ["What holds and what fails, per preset (the sections below have the details):", "", *overview, ""]
    lines += claims + ["## Time", ""] + time
    if bench:
        written = bench_record("<name>", str(results))
        lines += ["## Benchmarks", "", f"From `make bench` (`benchmarks/<name>.py --output`, into `{written}`).", ""]
        lines += bench
    lines += tests
    return "\n".join(lines).rstrip() + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--results", type=Path, default=Path("results"))
    parser.add_argument("--out", type=Path, default=Path("docs/results.md"))
    parser.add_argument("--previous", type=Path, help="the page it replaces, for what is not here (default: --out)")
    args = parser.parse_args()
    previous = args.previous or args.out
    args.out.write_text(page(args.results, previous.read_text() if previous.exists() else ""))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
