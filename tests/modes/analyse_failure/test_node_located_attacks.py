"""Attacks on naming a failed ``node --test`` test by the ``location:`` its TAP report gives.
The log is what the pull request's tests printed, so a location, a title and a suite's name are
the attacker's: none may send the reader to a file on this host, give a failed test another
test's name (a quarantined one's, or one the history knows), or stall it. Each suite here is
run by the real ``node --test``, with our test-step reporter beside TAP, so the two namings of
one failure are compared as they come."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import pytest

from cicd_agent.actions.markdown import code_span
from cicd_agent.analysis.flaky_stats import FlakyStat
from cicd_agent.analysis.history import canonical_test
from cicd_agent.job.repo_config import QuarantineEntry
from cicd_agent.modes.analyse_failure.flakiness import _stat_of
from cicd_agent.modes.analyse_failure.logs.analyse import analyse_scans, scan_jobs
from cicd_agent.modes.analyse_failure.logs.located import SEPARATOR, checkout_path
from cicd_agent.modes.analyse_failure.logs.runner_reports import failing_verdicts
from cicd_agent.modes.analyse_failure.quarantine import judge
from cicd_agent.runners.node.node_test import REPORTER, step_outcomes
from tests.helpers.cli import run_cli
from tests.modes.analyse_failure.job_logs import job_log

NODE = shutil.which("node")
ROOT = Path(__file__).resolve().parents[3]
TODAY = date(2026, 1, 1)


def _run(checkout: Path, files: dict[str, str]) -> tuple[str, set[str]]:
    """``files`` written under ``checkout`` and run by ``node --test``: its TAP, and the failed
    tests as the test step's reporter names them."""
    assert NODE, "node is not installed"
    for name, text in files.items():
        (checkout / name).parent.mkdir(parents=True, exist_ok=True)
        (checkout / name).write_text(text)
    folder = checkout.parent / f"{checkout.name}-step"
    folder.mkdir(exist_ok=True)
    (folder / "reporter.mjs").write_text(REPORTER)
    done = subprocess.run(
        [NODE, "--test", "--test-reporter=tap", "--test-reporter-destination=stdout",
         f"--test-reporter={folder / 'reporter.mjs'}",
         f"--test-reporter-destination={folder / 'node-tests.jsonl'}"],
        cwd=checkout, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert "not ok" in done.stdout, done.stdout + done.stderr
    found = step_outcomes(folder, done.stdout, checkout)
    return done.stdout, {test for test, passed in found.items() if not passed}


def _names(log: str, checkout: Path | None) -> tuple[str, ...]:
    return analyse_scans(scan_jobs([job_log("test", log.encode())]), checkout=checkout).failed_tests


FORGING = """\
const { describe, it, test } = require('node:test');
const assert = require('node:assert');
const forged = "  location: '/home/runner/work/app/app/test/q.js:1:1'";
describe('outer', () => {
  it('prints', () => {
    console.log(`not ok 9 - quarantined\\n  ---\\n${forged}\\n  ...`);
    console.log('# Subtest: forged');
    assert.fail(`x\\n${forged}\\n  ...\\n`);
  });
  it('says', (t) => { t.diagnostic(forged); assert.fail('no'); });
});
test('in error', () => { throw new Error(`y\\n${forged}`); });
"""


def test_attack_a_location_the_tests_print_does_not_name_them(tmp_path: Path) -> None:
    checkout = tmp_path / "app"
    log, stepped = _run(checkout, {"test/sub/a.test.js": FORGING})
    wanted = {
        "test/sub/a.test.js › outer › prints",
        "test/sub/a.test.js › outer › says",
        "test/sub/a.test.js › in error",
    }
    assert stepped == wanted
    assert set(_names(log, checkout)) == wanted
    on_runner = log.replace(f"'{checkout}/", "'/home/runner/work/app/app/")
    assert set(_names(on_runner, None)) == wanted


def test_attack_without_its_location_a_test_is_not_named_by_one_its_error_prints(
    tmp_path: Path,
) -> None:
    """A node that prints no ``location:`` (before 20): the one in the error's text, indented
    under ``error: |-``, is the test's own words, not its report's field."""
    checkout = tmp_path / "app"
    log, _ = _run(checkout, {"test/sub/a.test.js": FORGING})
    on_runner = log.replace(f"'{checkout}/", "'/home/runner/work/app/app/")
    older = "\n".join(
        line
        for line in on_runner.splitlines()
        if not line.lstrip().startswith("location: '/h") or "test/q.js" in line
    )
    assert "test/q.js:1:1'" in older and "a.test.js:5:3'" not in older
    assert set(_names(older, None)) == {"prints", "says", "in error"}


SIBLINGS = """\
const { describe, it } = require('node:test');
describe('flaky', () => { it('quarantined', () => { throw new Error('a'); }); });
describe('new', () => { it('quarantined', () => { throw new Error('b'); }); });
"""


def test_attack_a_test_whose_suite_the_kept_lines_skip_is_not_named_in_another(
    tmp_path: Path,
) -> None:
    """The reader keeps a log's lines around its failures, not all of them: where the line
    opening a test's suite is among those left out, the suite above it is another's."""
    checkout = tmp_path / "app"
    log, stepped = _run(checkout, {"test/s.test.js": SIBLINGS})
    assert stepped == {"test/s.test.js › flaky › quarantined", "test/s.test.js › new › quarantined"}
    numbered = list(enumerate(log.splitlines()))
    kept = [(n, line) for n, line in numbered if line != "# Subtest: new"]
    named = failing_verdicts([line for _, line in kept], checkout, [n for n, _ in kept])
    assert [name for _, name in named] == ["test/s.test.js › flaky › quarantined", "quarantined"]


NESTED = """\
const { describe, it } = require('node:test');
describe('a › b', () => {
  describe('test/q.js', () => {
    it('quarantined › too', () => { throw new Error('no'); });
  });
});
"""


def test_names_agree_with_the_test_step_for_nested_suites_and_separators_in_titles(
    tmp_path: Path,
) -> None:
    checkout = tmp_path / "app"
    log, stepped = _run(checkout, {"test/deep/er/n.test.js": NESTED})
    assert stepped == {"test/deep/er/n.test.js › a › b › test/q.js › quarantined › too"}
    assert set(_names(log, checkout)) == stepped


SEPARATED = """\
const { test } = require('node:test');
test('test/q.js › quarantined', () => { throw new Error('mine, not the flaky one'); });
"""
ENTRY = QuarantineEntry(test="test/q.js › quarantined", owner="@o", expires=date(2027, 1, 1))
FLAKY = FlakyStat(canonical_test(ENTRY.test), runs=20, failures=6, flips=6, lost_seconds=1.0)


def test_attack_a_title_holding_the_separator_cannot_forge_a_file_when_placed(
    tmp_path: Path,
) -> None:
    checkout = tmp_path / "app"
    log, stepped = _run(checkout, {"test/new.test.js": SEPARATED})
    assert stepped == {"test/new.test.js › test/q.js › quarantined"}
    analysis = analyse_scans(scan_jobs([job_log("test", log.encode())]), checkout=checkout)
    assert set(analysis.failed_tests) == stepped
    report = judge(analysis, [ENTRY], TODAY)
    assert report is None or not report.applies
    assert _stat_of([FLAKY], analysis.failed_tests[0]) is None


@pytest.mark.xfail(
    strict=True,
    reason="open: a test the log cannot place in the checkout (a checkout path the reader is "
    "not given, a self-hosted runner's _work folder, the spec reporter) keeps its bare title, "
    "and a title `test/q.js › quarantined` is then the quarantined test's id and history",
)
def test_attack_an_unplaced_title_holding_the_separator_is_not_a_quarantined_test(
    tmp_path: Path,
) -> None:
    checkout = tmp_path / "app"
    log, _ = _run(checkout, {"test/new.test.js": SEPARATED})
    self_hosted = log.replace(f"'{checkout}/", "'/opt/actions-runner/_work/app/app/")
    analysis = analyse_scans(scan_jobs([job_log("test", self_hosted.encode())]), checkout=None)
    report = judge(analysis, [ENTRY], TODAY)
    assert report is None or not report.applies
    assert _stat_of([FLAKY], analysis.failed_tests[0]) is None


LONG = """\
const { test } = require('node:test');
test('%s', () => { throw new Error('no'); });
test('has # hash', () => { throw new Error('no'); });
"""


@pytest.mark.xfail(
    strict=True,
    reason="open: the test step keeps 500 characters of a title and 64 titles, and the TAP "
    "reader cuts a name at `#` (TAP's escaped `\\#`): such a test has two names",
)
def test_names_agree_for_a_long_title_and_a_hash(tmp_path: Path) -> None:
    checkout = tmp_path / "app"
    log, stepped = _run(checkout, {"test/l.test.js": LONG % ("t" * 600)})
    assert set(_names(log, checkout)) == stepped


PATHS = [
    "{c}/../../etc/passwd",
    "{c}//etc/passwd",
    "{c}/./test/x.js",
    "{c}/test/",
    "{c}/test//x.js",
    "/proc/self/environ",
    "/home/runner/work//etc/passwd",
    "/home/runner/work/app/app//etc/passwd",
    "/home/runner/work/app/app/../../../etc/passwd",
    "/home/runner/work/app/app/test/%2e%2e/%2e%2e/etc",
    "/HOME/RUNNER/WORK/app/app/../../etc/passwd",
    "file:///etc/passwd",
    "file://{c}/../x",
    "{c}/test/x\x00.js",
    "{c}/" + "a/" * 5000 + "x.js",
    "C:\\a\\app\\app\\..\\..\\Windows\\x.js",
    "\\\\host\\share\\x.js",
]


@pytest.mark.parametrize("path", PATHS)
def test_attack_a_location_is_a_name_never_a_place_outside(path: str, tmp_path: Path) -> None:
    got = checkout_path(path.format(c=tmp_path), tmp_path)
    assert got is None or (
        not got.startswith("/") and ".." not in got.split("/") and ":" not in got
    ), got


def test_attack_no_file_a_location_names_is_opened(tmp_path: Path) -> None:
    """A FIFO blocks whoever opens it: the real CLI over a log whose locations (and stack
    frames) name a FIFO in the checkout, a symlink in it to a FIFO outside, and a symlink to a
    folder of the host ends, so nothing opened them. ``main`` itself: the console script would
    restart in an isolated interpreter, the installed package's and not this tree's."""
    checkout = tmp_path / "app"
    log, _ = _run(checkout, {"test/a.test.js": SEPARATED})
    outside = tmp_path / "outside"
    outside.mkdir()
    os.mkfifo(outside / "fifo")
    os.mkfifo(checkout / "test" / "fifo.js")
    (checkout / "test" / "link.js").symlink_to(outside / "fifo")
    (checkout / "test" / "host").symlink_to("/proc/self")
    for target in ("fifo.js", "link.js", "host/environ"):
        log += log.replace("test/a.test.js", f"test/{target}")
    logs = tmp_path / "logs"
    logs.mkdir()
    (logs / "test.txt").write_text(log)
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-c", "import sys; from cicd_agent.cli import main; sys.exit(main())",
         "analyse-failure", "--provider", "none", "--json", "--logs", str(logs),
         "--repo", str(checkout)],
        capture_output=True, text=True, timeout=120, check=False,
        env={"PATH": os.environ["PATH"], "PYTHONPATH": f"{ROOT / 'src'}{os.pathsep}{ROOT}"},
    )  # fmt: skip
    assert time.monotonic() - started < 120
    assert done.stdout.startswith("{"), done.stderr
    answer = json.loads(done.stdout)
    assert "failures" in answer, done.stdout[:2000]
    named = {failure["test"] for failure in answer["failures"]}
    assert named == {"test/a.test.js › test/q.js › quarantined"}, named  # one cause, four logs
    assert "test/fifo.js › test/q.js › quarantined" in _names(log, checkout)


DEEP = """\
const { describe, it } = require('node:test');
function nest(depth, body) {
  if (depth === 0) return body();
  describe(`level ${depth} › @here`, () => nest(depth - 1, body));
}
nest(%d, () => {
  for (let i = 0; i < %d; i++) it(`t${i}`, () => { throw new Error('e'.repeat(200)); });
});
"""


def test_attack_ten_megabytes_of_deeply_nested_tap_is_read_in_bounded_time(
    tmp_path: Path,
) -> None:
    checkout = tmp_path / "app"
    log, stepped = _run(checkout, {"test/deep.test.js": DEEP % (60, 2100)})
    assert len(log) > 10 << 20, len(log)
    started = time.monotonic()
    names = _names(log, checkout)
    took = time.monotonic() - started
    assert took < 60, took
    # the report the reader keeps drops lines between failures: a test whose suites it cannot
    # see whole keeps its bare title, never its file with some of its suites
    assert names and all(name in stepped or SEPARATOR not in name for name in names)
    assert {name for name in names if SEPARATOR in name} <= stepped


HOSTILE_FILE = "test/@admin <img src=x onerror=alert(1)> `x` [y](http:evil).test.js"


def test_attack_a_hostile_file_name_stays_inside_code_where_posted(tmp_path: Path) -> None:
    checkout = tmp_path / "app"
    log, stepped = _run(checkout, {HOSTILE_FILE: SEPARATED})
    (name,) = stepped
    assert _names(log, checkout) == (name,)
    logs = tmp_path / "logs"
    logs.mkdir()
    (logs / "test.txt").write_text(log)
    done = run_cli(
        ["analyse-failure", "--provider", "none", "--json", "--logs", str(logs),
         "--repo", str(checkout)],
        tmp_path,
    )  # fmt: skip
    assert name in {failure["test"] for failure in json.loads(done.stdout)["failures"]}
    fenced = re.compile(r"^(`{3,})text\n.*?^\1$", re.MULTILINE | re.DOTALL)
    posted = fenced.sub("", done.summary).replace(code_span(name, 200), "")
    assert "@admin" in done.summary
    assert "<img" not in posted and "@admin" not in posted, posted


TALL = """\
const { describe, it } = require('node:test');
function nest(depth, body) {
  if (depth === 0) return body();
  describe(`${depth} ` + 's'.repeat(1000), () => nest(depth - 1, body));
}
nest(200, () => { for (let i = 0; i < 3; i++) it(`t${i}`, () => { throw new Error('e'); }); });
"""


def test_attack_two_hundred_suites_of_long_titles_give_a_bounded_name(tmp_path: Path) -> None:
    checkout = tmp_path / "app"
    log, stepped = _run(checkout, {"test/d.test.js": TALL})
    assert max(map(len, stepped)) < 64 * 503 + 100  # the test step keeps 64 titles of 500
    names = _names(log, checkout)
    assert len(names) == 3 and max(map(len, names)) <= max(map(len, stepped)), names
