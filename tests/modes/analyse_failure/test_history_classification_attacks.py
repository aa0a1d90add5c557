"""Attacks on what the test history says of a test: the test step records the test an
order-dependent test fails after (its polluter, as its runner names it) and the run that found
it, and analyse-failure and the test step's table say it. Every test name is the code's own
words, and the history file is read back as it lies: a name or a run's record holding
mentions, links, HTML, backticks or lines reaches a summary inert, and a classification only
ever withholds "likely flaky", never excuses a failure."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from cicd_agent.analysis.flaky_stats import StoredRun
from cicd_agent.analysis.history import canonical_test
from tests.helpers.cli import CliRun, run_cli
from tests.helpers.markdown_spans import outside_code_spans

LOG = Path(__file__).parents[2] / "fixtures" / "logs" / "new_user11" / "py-failed-run.log"
KEY = ".github/workflows/ci.yml"
VICTIM = "tests/test_months.py::test_months_map_is_complete"
HOSTILE = (
    "t`` @admin <img src=x onerror=alert(1)> [a](http://evil.example)\n# heading "
    "<!-- cicd-agent:failure:x --> ::error::forged"
)
LIVE = ("@admin", "<img", "[a](http://", "\n# heading", "<!--", "\n::error")


def _row(number: int, *, polluter: str = "", recorded: str = "") -> StoredRun:
    victim = canonical_test(VICTIM)
    row = StoredRun("newuser/parse", KEY, number, 1, f"sha{number}",
                    recorded or f"2026-11-30T19:{number:02d}:00Z", {victim: False}, {}, 5.0,
                    retried=(victim,))  # fmt: skip
    return replace(row, order_dependent={victim: polluter}) if polluter else row


def _analysed(tmp_path: Path, rows: list[StoredRun]) -> CliRun:
    home = tmp_path / "home"
    history = home / ".cache" / "cicd-agent" / "test-history.jsonl"
    history.parent.mkdir(parents=True)
    history.write_text("".join(json.dumps(row.to_json()) + "\n" for row in rows))
    argv = ["analyse-failure", "--logs", str(LOG), "--provider", "none", "--json"]
    environ = {"HOME": str(home), "GITHUB_REPOSITORY": "newuser/parse",
               "GITHUB_WORKFLOW_REF": f"newuser/parse/{KEY}@refs/heads/main"}  # fmt: skip
    done = run_cli(argv, tmp_path, environ)
    assert done.code == 0, done.stderr
    return done


def test_attack_a_hostile_polluter_reaches_analyse_failures_summary_inert(tmp_path: Path) -> None:
    rows = [_row(1), _row(2, polluter=HOSTILE), _row(3)]
    done = _analysed(tmp_path, rows)
    assert "order-dependent" in done.summary, done.summary
    live = outside_code_spans(done.summary)
    for word in LIVE:
        assert word not in live, (word, live)


def test_attack_a_classification_withholds_likely_and_excuses_nothing(tmp_path: Path) -> None:
    """A row that says every failed test is order-dependent: the verdict can only be as strict
    as without it, never flaky."""
    plain = _analysed(tmp_path / "plain", [_row(1), _row(2)])
    forged = _analysed(tmp_path / "forged", [_row(1), _row(2, polluter="tests/x.py::t")])
    before, after = plain.document or {}, forged.document or {}
    assert after["is_flaky"] in ("false", before["is_flaky"]), (before, after)
    assert after.get("failure_type") == before.get("failure_type") or (
        before.get("failure_type") == "flaky_test"
    ), (before, after)


NODE_SPEC = """\
##[group]Run node --test
node --test
##[endgroup]
✖ {title} (1.6ms)
  AssertionError [ERR_ASSERTION]: 1 == 2
      at TestContext.<anonymous> (/home/runner/work/r/r/test/new.test.js:3:27)
ℹ tests 1
ℹ pass 0
ℹ fail 1

✖ failing tests:

test at test/new.test.js:3:1
✖ {title} (1.6ms)
  AssertionError [ERR_ASSERTION]: 1 == 2
##[error]Process completed with exit code 1.
"""


def _node_history(tmp_path: Path, title: str) -> dict[str, object]:
    """A pull request's new node test ``title`` failing, beside a history whose flaky test of
    that title lives in another file (``test/a.test.js``)."""
    stored = canonical_test(f"test/a.test.js › {title}")
    rows = [
        StoredRun("o/r", KEY, n, 1, f"sha{n}", f"2026-11-30T19:{n:02d}:00Z",
                  {stored: n % 2 == 0}, {}, 5.0, retried=(stored,) if n % 2 else ())
        for n in range(1, 9)
    ]  # fmt: skip
    home = tmp_path / "home"
    history = home / ".cache" / "cicd-agent" / "test-history.jsonl"
    history.parent.mkdir(parents=True)
    history.write_text("".join(json.dumps(row.to_json()) + "\n" for row in rows))
    log = tmp_path / "run.log"
    spec = NODE_SPEC.format(title=title).splitlines()
    log.write_text("".join(f"2026-11-30T19:00:00.0000000Z {line}\n" for line in spec))
    argv = ["analyse-failure", "--logs", str(log), "--provider", "none", "--json"]
    environ = {"HOME": str(home), "GITHUB_REPOSITORY": "o/r",
               "GITHUB_WORKFLOW_REF": f"o/r/{KEY}@refs/heads/main"}  # fmt: skip
    done = run_cli(argv, tmp_path, environ)
    assert done.code == 0, done.stderr
    return done.document or {}


def test_attack_a_new_node_test_borrows_no_history_of_a_same_titled_test(tmp_path: Path) -> None:
    """The log names a node test by its title alone; the history keeps it by file and title.
    A name the log gives bare met the one stored test it ends (meant for go's package), so a
    pull request's new test failing every time was likely flaky by another file's runs."""
    document = _node_history(tmp_path, "broken")
    assert not document.get("flaky_tests"), document.get("flaky_tests")
    assert document["is_flaky"] == "false", document["is_flaky"]


@pytest.mark.xfail(strict=True, reason="open: a bare go-shaped title still meets a stored test")
def test_attack_a_new_node_test_with_a_go_shaped_title_borrows_no_history(
    tmp_path: Path,
) -> None:
    """A title shaped as go's top-level test (``TestParse``) is still read as go's bare name:
    a canonical name does not say which runner named it."""
    document = _node_history(tmp_path, "TestParse")
    assert not document.get("flaky_tests"), document.get("flaky_tests")
