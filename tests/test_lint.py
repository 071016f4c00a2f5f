"""`make lint`'s workflow check (bnrank.lint): Snakemake's linter on small Snakefiles, with
the conda/container finding accepted and every other one failing the check."""

from __future__ import annotations

import textwrap

import pytest

from bnrank import lint

CLEAN = """
    rule job:
        output:
            "done.txt",
        log:
            "job.log",
        shell:
            "touch {output} 2> {log}"
"""
# a rule without a log, and an absolute path: a finding about a rule and one about the file
FLAWED = """
    rule job:
        output:
            "/tmp/done.txt",
        shell:
            "touch {output}"
"""


def test_only_the_conda_or_container_finding_is_accepted(tmp_path, capsys):
    snakefile = tmp_path / "Snakefile"
    snakefile.write_text(textwrap.dedent(CLEAN))
    assert [title for _, title in lint.findings(snakefile)] == [*lint.ACCEPTED]
    assert lint.main([str(snakefile)]) == 0
    assert "1 accepted, 0 other finding(s)" in capsys.readouterr().out


def test_any_other_finding_fails_the_check_and_is_listed(tmp_path, capsys):
    snakefile = tmp_path / "Snakefile"
    snakefile.write_text(textwrap.dedent(FLAWED))
    assert lint.main([str(snakefile)]) == 1
    listed = capsys.readouterr().err.splitlines()
    assert listed == [
        f'snakefile {snakefile}: Absolute path "/tmp/done.txt" in line 4',
        f"rule job (line 2, {snakefile}): No log directive defined",
    ]


def test_a_snakefile_that_does_not_load_fails_the_check(tmp_path):
    snakefile = tmp_path / "Snakefile"
    snakefile.write_text("rule job:\n    output: undefined_name\n")
    with pytest.raises(RuntimeError, match="failed without a finding"):
        lint.findings(snakefile)
