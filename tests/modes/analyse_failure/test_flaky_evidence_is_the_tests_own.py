"""A failed test is called likely flaky only for what its own report shows.

A new user's trial (cachetools, go-humanize): ``test_starts_empty`` fails whenever it runs after
``test_fill`` (order, not chance), ``test_jitter`` fails on ``random.random() < 0.6``. When
both failed in one run, analyse-failure gave test_jitter's evidence to test_starts_empty too,
and called a random draw "a bound on time". Real pytest output of a cut-down copy of their
tests, and go's output as their log has it, through the real CLI.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.corpus.runner_log import Job, Step
from tests.helpers.gen_tests import PROJECT_PYTHON
from tests.modes.analyse_failure.job_logs import job_log, step_cli

SHARED = """\
import random
import unittest

_shared = {}


class SharedCacheTest(unittest.TestCase):
    def test_fill(self):
        _shared["a"] = 1
        _shared["b"] = 2

    def test_starts_empty(self):
        # passes alone, fails after test_fill
        self.assertEqual(len(_shared), 0)

    def test_jitter(self):
        # a "timing" test that depends on chance
        random.seed(0)  # 0.844...: this copy fails on every run
        self.assertLess(random.random(), 0.6)
"""
GO_OUTPUT = b"""\
--- FAIL: TestSharedStartsEmpty (0.00s)
    shared_test.go:22: expected no entries, got 2
--- FAIL: TestJitter (0.00s)
    shared_test.go:29: jitter 0.9134938184006148 above 0.6
FAIL
FAIL\tgithub.com/dustin/go-humanize\t0.045s
ok  \tgithub.com/dustin/go-humanize/english\t(cached)
FAIL
"""
JITTER = "tests/test_shared_cache.py::SharedCacheTest::test_jitter"
EMPTY = "tests/test_shared_cache.py::SharedCacheTest::test_starts_empty"


def _flaky(tmp_path: Path, run: str, output: bytes) -> tuple[dict[str, Any], str]:
    """analyse-failure's flaky tests (by name) and its summary of a job whose step printed
    ``output``."""
    done, document = step_cli(tmp_path, run, output)
    assert done.code == 0, done.stdout
    return {item["name"]: item for item in document["flaky_tests"]}, done.summary


def test_a_test_that_fails_by_order_gets_no_evidence_from_a_random_one(tmp_path: Path) -> None:
    project = tmp_path / "suite"
    (project / "tests").mkdir(parents=True)
    (project / "tests" / "test_shared_cache.py").write_text(SHARED)
    done = subprocess.run(
        [PROJECT_PYTHON, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:randomly",
         "tests"], cwd=project, capture_output=True, check=False, timeout=120,
    )  # fmt: skip
    assert b"2 failed, 1 passed" in done.stdout, done.stdout
    flaky, summary = _flaky(tmp_path / "run", "python -m pytest -q", done.stdout)
    assert EMPTY not in flaky, flaky[EMPTY]
    said = " ".join(flaky[JITTER]["evidence"])
    assert "drawn at random" in said and "random.random()" in said, said
    assert "on time" not in said and "timing varies" not in said, said
    assert "bound on time" not in summary, summary


def test_a_go_test_is_not_called_flaky_for_the_test_beside_it(tmp_path: Path) -> None:
    """``jitter 0.91 above 0.6`` names no time: nothing in the log says chance or a clock."""
    flaky, summary = _flaky(tmp_path, "go test ./...", GO_OUTPUT)
    assert "TestSharedStartsEmpty" not in flaky, flaky["TestSharedStartsEmpty"]
    assert "TestJitter" not in flaky, flaky["TestJitter"]
    assert "bound on time" not in summary, summary


def test_a_test_failing_every_first_run_is_not_proposed_for_quarantine(tmp_path: Path) -> None:
    """Their order-dependent test failed on 5 of 5 default-branch runs, each time passing on
    the step's retry: 0 flips. The proposal said it was "flipping without a change to their
    code", then that it "passed on a retry in 5 of the last 5"; but a test failing the first run
    of every run fails in the suite only (a test before it leaves state), and a quarantine would
    hide that: it is not proposed, and the history says why. TestJitter failed every run, never
    passing on a retry: the history names no flakiness of it either."""
    from datetime import date

    from cicd_agent.analysis.flaky_stats import StoredRun, stats
    from cicd_agent.analysis.history import canonical_test
    from cicd_agent.modes.analyse_failure.flakiness import _from_store, apart_only
    from cicd_agent.modes.analyse_failure.logs.analyse import analyse_scans, scan_jobs
    from cicd_agent.modes.analyse_failure.quarantine import judge
    from tests.corpus.runner_log import render

    empty, jitter = (f"github.com/dustin/go-humanize.{name}"
                     for name in ("TestSharedStartsEmpty", "TestJitter"))  # fmt: skip
    runs = [StoredRun("dustin/go-humanize", ".github/workflows/ci.yml", n, 1, f"sha{n}",
                      f"2026-11-{n:02d}T00:00Z", {canonical_test(empty): False,
                      canonical_test(jitter): False}, {}, 6.0, retried=(canonical_test(empty),))
            for n in range(1, 6)]  # fmt: skip
    failed = ["TestSharedStartsEmpty", "TestJitter"]
    found = _from_store(tuple(stats(runs)), failed, set())
    assert found == []
    assert list(apart_only(tuple(stats(runs)), failed)) == ["TestSharedStartsEmpty"]
    step = Step("Run go test ./...", run="go test ./...", output=GO_OUTPUT, exit_code=1)
    analysis = analyse_scans(scan_jobs([job_log("t", render(Job("t", [step]))[0])]))
    assert judge(analysis, (), date(2026, 11, 30), found) is None


# A new user's trial (xxhash, vary, a Rust crate): each test drew a value and failed on one
# draw. go test, mocha and cargo print no source line, only where it failed: the draw is read
# from the checkout, up from that line to the test's start. The logs are their runs' own.
DRAWS = {
    "go": ("go test ./...", "TestRandomSeed", "cache_test.go", """\
package xxhash

import (
\t"math/rand"
\t"testing"
\t"time"
)

func TestDigestsStartEmpty(t *testing.T) {
\tif n := 4; n == 0 {
\t\tt.Fatalf("never")
\t}
}

func TestRandomSeed(t *testing.T) {
\tr := rand.New(rand.NewSource(time.Now().UnixNano()))
\tn := r.Intn(4)
\tif n == 0 {
\t\tt.Fatalf("seed draw %d", n)
\t}
}
""", b"""\
--- FAIL: TestRandomSeed (0.00s)
    cache_test.go:19: seed draw 0
FAIL
FAIL\tgithub.com/cespare/xxhash/v2\t0.575s
FAIL
"""),
    "mocha": ("npm test", "vary cache should append a random field", "test/cache.js", """\
const assert = require("assert");

describe("vary cache", function () {
  it("should append a random field", function () {
    const n = Math.floor(Math.random() * 4);
    assert.ok(n !== 0, "drew " + n);
  });
});
""", b"""\
  vary cache
    1) should append a random field


  0 passing (140ms)
  1 failing

  1) vary cache
       should append a random field:

      AssertionError [ERR_ASSERTION]: drew 0
      + expected - actual


      at Context.<anonymous> (test/cache.js:6:12)
      at process.processImmediate (node:internal/timers:483:21)

"""),
    "cargo": ("cargo test", "c_random_key", "tests/cache.rs", """\
use std::time::{SystemTime, UNIX_EPOCH};

#[test]
fn c_random_key() {
    let n = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().subsec_nanos() % 4;
    assert_ne!(n, 0, "drew {}", n);
}
""", b"""\
running 1 test
test c_random_key ... FAILED

failures:

---- c_random_key stdout ----

thread 'c_random_key' (25101) panicked at tests/cache.rs:6:5:
assertion `left != right` failed: drew 0
  left: 0
 right: 0

failures:
    c_random_key

test result: FAILED. 0 passed; 1 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.00s
"""),
}


@pytest.mark.parametrize("runner", sorted(DRAWS))
def test_a_draw_in_the_tests_own_source_is_read_from_the_checkout(
    tmp_path: Path, runner: str
) -> None:
    run, test, path, source, output = DRAWS[runner]
    project = tmp_path / "project"
    (project / path).parent.mkdir(parents=True)
    (project / path).write_text(source)
    _, blind = step_cli(tmp_path / "blind", run, output)
    assert not blind["flaky_tests"], blind["flaky_tests"]  # the log alone says nothing of chance
    done, document = step_cli(tmp_path / "seen", run, output, "--repo", str(project))
    assert done.code == 0, done.stdout
    flaky = {item["name"]: item for item in document["flaky_tests"]}
    (said,) = [" ".join(item["evidence"]) for name, item in flaky.items() if test in name]
    assert "drawn at random in its own source" in said and f"{path}:" in said, said
    assert "rand" in said or "subsec_nanos" in said, said
    # the summary says where the word came from: not the log alone
    assert "Likely, from this log and the test's source" in done.summary, done.summary


def _go_verbose_source() -> str:
    lines = ["package version", "", "import (", '\t"math/rand"', '\t"testing"', '\t"time"', ")"]
    lines += ["", 'var sharedVersions = []string{"1.2.0"}', ""]
    lines += ["func TestSortInPlace(t *testing.T) {", '\tsharedVersions[0] = "1.0.0"', "}"]
    lines += [""] * (20 - len(lines) - 1)
    lines += ["func TestFixtureOrder(t *testing.T) {", '\tif sharedVersions[0] != "1.2.0" {',
              '\t\tt.Fatalf("fixture changed: %v", sharedVersions)', "\t}", "}", "", ""]  # fmt: skip
    lines += ["func TestRandomPrerelease(t *testing.T) {",
              "\tr := rand.New(rand.NewSource(time.Now().UnixNano()))", "\tn := r.Intn(10)",
              "\tif n > 6 {", '\t\tt.Fatalf("prerelease rc%d too high", n)', "\t}", "}"]  # fmt: skip
    return "\n".join(lines) + "\n"


GO_VERBOSE = b"""\
=== RUN   TestSortInPlace
--- PASS: TestSortInPlace (0.00s)
=== RUN   TestFixtureOrder
    version_sort_test.go:22: fixture changed: [1.0.0 1.1.0 1.2.0]
--- FAIL: TestFixtureOrder (0.00s)
=== RUN   TestRandomPrerelease
    version_sort_test.go:31: prerelease rc7 too high
--- FAIL: TestRandomPrerelease (0.00s)
FAIL
FAIL\tgithub.com/hashicorp/go-version\t0.012s
FAIL
"""


def test_go_verbose_lines_are_the_test_they_ran_under(tmp_path: Path) -> None:
    """A new user's go-version run with ``go test -v``: each test's lines come between its
    ``=== RUN`` and its ``--- FAIL``, the next test's after. The order-dependent test was called
    a random draw for the next test's line."""
    project = tmp_path / "project"
    project.mkdir()
    source = _go_verbose_source()
    assert source.splitlines()[21].strip().startswith('t.Fatalf("fixture')
    assert "rand.New" in source.splitlines()[27] and "Fatalf" in source.splitlines()[30]
    (project / "version_sort_test.go").write_text(source)
    _, document = step_cli(tmp_path, "go test -v ./...", GO_VERBOSE, "--repo", str(project))
    flaky = {item["name"]: item for item in document["flaky_tests"]}
    assert not [name for name in flaky if "TestFixtureOrder" in name], flaky
    # the random test's draw is printed above its FAIL, where a test could forge another's
    # start line: not read, so it is missed (less said, never another test's word)
    assert not flaky, flaky


def test_a_go_verbose_report_is_its_tests_lines_alone() -> None:
    """Each go -v test's report holds none of the lines past the next test's ``=== RUN``."""
    from cicd_agent.modes.analyse_failure.logs.test_blocks import blocks

    found = {name: lines[1:] for _, name, lines in blocks(GO_VERBOSE.decode().splitlines())}
    # a report ends at the next test's start: TestFixtureOrder's holds none of the next test's
    assert found["TestFixtureOrder"] == [], found
    # the last test's report runs on to the package's closing lines, no test's own
    assert not any("_test.go" in line for line in found["TestRandomPrerelease"]), found
