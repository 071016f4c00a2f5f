"""`make lint`'s check of the workflow: ``snakemake --lint``, failing on every finding but one.

The linter asks each rule for a conda environment or a container; this workflow's jobs
run in the pinned venv instead (README.md, "Two commands", says why), so that finding is
accepted and any other fails the check, listed. ``snakemake --lint`` itself exits 1 on any
finding. Its report is read as text: in Snakemake 9.27 the command line prints text even
for ``--lint json``, and the JSON of the Python API fails on any finding about a whole
Snakefile (a path it cannot serialise).

    python -m bnrank.lint [SNAKEFILE]    # exit status 1 on any other finding
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

# the titles of the findings accepted (snakemake/linting/rules.py)
ACCEPTED = frozenset({"Specify a conda environment or container for each rule."})
# "Lints for rule <name> (line <n>, <file>):" or "Lints for snakefile <file>:", then
# "    * <title>:" for each finding, its text and links indented further
ITEM = re.compile(r"^Lints for (.+):$")
FINDING = re.compile(r"^    \* (.+):$")


def findings(snakefile: Path) -> list[tuple[str, str]]:
    """Every finding of ``snakemake --lint`` on ``snakefile``: (what it is about, its title).
    RuntimeError if the linter fails without a finding it reports (the Snakefile does not
    load, or the report's format changed)."""
    command = [sys.executable, "-m", "snakemake", "--lint", "--nocolor", "--snakefile", str(snakefile)]
    done = subprocess.run(command, capture_output=True, text=True, cwd=snakefile.parent)
    found, item = [], None
    for line in done.stderr.splitlines():
        if m := ITEM.match(line):
            item = m[1]
        elif (m := FINDING.match(line)) and item:
            found.append((item, m[1]))
    if done.returncode != 0 and not found:
        raise RuntimeError(f"{' '.join(command)} failed without a finding:\n{done.stdout}{done.stderr}")
    return found


def problems(found: list[tuple[str, str]]) -> list[str]:
    """The findings other than the accepted ones, one line each: where, and what."""
    return [f"{item}: {title}" for item, title in found if title not in ACCEPTED]


def main(args: list[str]) -> int:
    snakefile = Path(args[0] if args else "Snakefile").resolve()
    found = findings(snakefile)
    other = problems(found)
    for line in other:
        print(line, file=sys.stderr)
    print(f"snakemake --lint {snakefile}: {len(found) - len(other)} accepted, {len(other)} other finding(s)")
    return 1 if other else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
