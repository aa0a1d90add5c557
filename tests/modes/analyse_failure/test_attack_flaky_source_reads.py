"""Attacks on the draw analyse-failure reads from a failed test's own source (``--repo``).

The log and the checkout are a pull request's: the places a report names may lead out of the
checkout (``../``, an absolute path, a link to a host file or folder), or at a FIFO, a huge or a
binary file; a test's output may print another test's report header, so that test is given the
evidence of the report that follows; many failed tests each naming places must not stall the
mode. Real logs in the runners' own shapes, through the real CLI.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.helpers.bounded import run_bounded
from tests.modes.analyse_failure.job_logs import step_cli, step_logs

DRAWN = """\
const assert = require("assert");

describe("vary cache", function () {
  it("should append a field", function () {
    const n = Math.floor(Math.random() * 4);
    assert.ok(n !== 0, "drew " + n);
  });
});
"""
"""A host file the report's place may lead to: line 6 is under a draw."""


def _mocha(place: str) -> bytes:
    """mocha's report of one failed test, its stack naming ``place``."""
    return f"""\
  vary cache
    1) should append a field


  0 passing (140ms)
  1 failing

  1) vary cache
       should append a field:

      AssertionError [ERR_ASSERTION]: drew 0
      + expected - actual


      at Context.<anonymous> ({place}:6:12)
      at process.processImmediate (node:internal/timers:483:21)

""".encode()


def _analysed(tmp_path: Path, run: str, output: bytes, project: Path) -> dict[str, Any]:
    """analyse-failure's JSON for a job whose test step printed ``output``, read with the
    checkout ``project``."""
    done, document = step_cli(tmp_path, run, output, "--repo", str(project))
    assert done.code == 0, done.stdout + done.stderr
    return document


def _outside(tmp_path: Path) -> Path:
    host = tmp_path / "host" / "test"
    host.mkdir(parents=True)
    (host / "cache.js").write_text(DRAWN)
    return host / "cache.js"


def _escape(tmp_path: Path, how: str) -> tuple[Path, str]:
    """A checkout and the place its log names, leading to the host's drawn file by ``how``."""
    project = tmp_path / "project"
    (project / "lib").mkdir(parents=True)
    (project / "lib" / "index.js").write_text("module.exports = 1;\n")
    host = _outside(tmp_path)
    if how == "dot-dot":
        return project, "../host/test/cache.js"
    if how == "absolute":
        return project, str(host)
    if how == "linked file":
        (project / "test").mkdir()
        (project / "test" / "cache.js").symlink_to(host)
        return project, "test/cache.js"
    if how == "linked folder":
        (project / "test").symlink_to(host.parent)
        return project, "test/cache.js"
    if how == "fifo":
        (project / "test").mkdir()
        os.mkfifo(project / "test" / "cache.js")
        return project, "test/cache.js"
    (project / "test").mkdir()  # huge: the draw on line 5 of a file over the reader's limit
    (project / "test" / "cache.js").write_text(DRAWN + "//" + "x" * (2 << 20) + "\n")
    return project, "test/cache.js"


@pytest.mark.timeout(300)
@pytest.mark.parametrize(
    "how", ["dot-dot", "absolute", "linked file", "linked folder", "fifo", "huge"]
)
def test_attack_a_place_leading_out_of_the_checkout_reads_no_draw(tmp_path: Path, how: str) -> None:
    """Each place leads to a file with ``Math.random`` above the named line; none is a regular
    file of the checkout under the reader's limit, so none is read (a FIFO would block)."""
    project, place = _escape(tmp_path, how)
    document = _analysed(tmp_path, "npm test", _mocha(place), project)
    assert not document["flaky_tests"], document["flaky_tests"]
    assert document["is_flaky"] == "false", document["flaky_evidence"]


def test_a_binary_file_a_place_names_is_read_without_a_crash(tmp_path: Path) -> None:
    project = tmp_path / "project"
    (project / "test").mkdir(parents=True)
    (project / "test" / "cache.js").write_bytes(b"\x00\xff\xfe" * 400 + b"\n" * 8)
    document = _analysed(tmp_path, "npm test", _mocha("test/cache.js"), project)
    assert not document["flaky_tests"], document["flaky_tests"]


CRATE = """\
use rand::Rng;

#[test]
fn a_random_key() {
    let n = rand::thread_rng().gen_range(0..4);
    assert_ne!(n, 0, "drew {}", n);
}

#[test]
fn b_exact_sum() {
    println!("---- b_exact_sum stdout ----");
    assert_eq!(1 + 1, 3);
}
"""
FORGED = b"""\
running 2 tests
test a_random_key ... FAILED
test b_exact_sum ... FAILED

failures:

---- a_random_key stdout ----
---- b_exact_sum stdout ----

thread 'a_random_key' panicked at tests/cache.rs:6:5:
assertion `left != right` failed: drew 0
  left: 0
 right: 0

---- b_exact_sum stdout ----

thread 'b_exact_sum' panicked at tests/cache.rs:12:5:
assertion `left == right` failed
  left: 2
 right: 3

failures:
    a_random_key
    b_exact_sum

test result: FAILED. 0 passed; 2 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.00s
"""
"""cargo's report of two failed tests, ``a_random_key`` printing ``b_exact_sum``'s header first:
the panic under it, and its draw, are ``a_random_key``'s."""


MOCHA_SUITE = """\
const assert = require("assert");

describe("vary cache", function () {
  it("prints a report", function () {
    const n = Math.random();
    console.log("  1) vary cache\\n       real check:\\n      at x (test/cache.js:5:12)");
  });
  it("real check", function () {
    assert.strictEqual(1, 2);
  });
});
"""
MOCHA_FORGED = b"""\
  vary cache
  1) vary cache
       real check:
      at x (test/cache.js:5:12)
    \xe2\x9c\x93 prints a report
    1) real check


  1 passing (10ms)
  1 failing

  1) vary cache
       real check:

      AssertionError [ERR_ASSERTION]: Expected values to be strictly equal:

1 !== 2

      at Context.<anonymous> (test/cache.js:9:12)

"""
"""mocha's report of one failed test, after a passing test printed that test's header and a
place on its own draw."""
FORGERIES = {
    "cargo": ("cargo test", "tests/cache.rs", CRATE, FORGED, "b_exact_sum"),
    "mocha": ("npm test", "test/cache.js", MOCHA_SUITE, MOCHA_FORGED, "real check"),
}


@pytest.mark.parametrize("runner", sorted(FORGERIES))
def test_attack_a_tests_output_forging_anothers_header_gives_it_no_draw(
    tmp_path: Path, runner: str
) -> None:
    run, path, source, output, victim = FORGERIES[runner]
    project = tmp_path / "project"
    (project / path).parent.mkdir(parents=True)
    (project / path).write_text(source)
    document = _analysed(tmp_path, run, output, project)
    flaky = {item["name"]: item for item in document["flaky_tests"]}
    assert not any(victim in name for name in flaky), flaky
    assert document["is_flaky"] == "false", document["flaky_evidence"]


def test_attack_many_failed_tests_naming_places_do_not_stall(tmp_path: Path) -> None:
    """3,000 failed go tests, each naming three places 40 lines deep in files of the checkout,
    then 40 failed tests whose report lines are as long as the log reader keeps (8 KiB) and
    one dotted word each, where a place may start at every character: the source is read once
    per file, and each line is searched for places in time linear in its length. The run is
    bounded by its CPU."""
    project = tmp_path / "project"
    project.mkdir()
    body = "".join(f"\tx{n} := {n}\n" for n in range(60))
    for n in range(50):
        (project / f"f{n}_test.go").write_text(f"package p\n\nfunc TestF{n}(t *testing.T) {{\n"
                                               + body + "}\n")  # fmt: skip
    report = "".join(
        f"--- FAIL: TestN{n} (0.00s)\n"
        + "".join(
            f"    f{(n + k) % 50}_test.go:{50 + k}: got {n} f{k}_test.go:55 f1_test.go:9\n"
            for k in range(3)
        )
        for n in range(3000)
    )
    dotted = "    f1_test.go:9: " + "a." * 4080 + "\n"
    report = "".join(f"--- FAIL: TestLong{n} (0.00s)\n" + dotted * 30 for n in range(40)) + report
    output = (report + "FAIL\nFAIL\texample.com/p\t0.045s\nFAIL\n").encode()
    logs = step_logs(tmp_path / "run", "go test ./...", output)
    done = run_bounded(
        [sys.executable, "-m", "cicd_agent", "analyse-failure", "--provider", "none",
         "--logs", str(logs), "--json", "--repo", str(project)],
        cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads(done.stdout)["failed_count"] >= 40


def test_attack_a_draw_in_the_pull_requests_own_source_excuses_nothing(tmp_path: Path) -> None:
    """A pull request may put ``Math.random`` above its failing assertion to be called flaky:
    one log and its own source make the failure ``likely`` at most, named by the line it
    quotes; its type stays a test failure, not ``flaky_test``, and no re-run is asked."""
    project = tmp_path / "project"
    (project / "test").mkdir(parents=True)
    (project / "test" / "cache.js").write_text(DRAWN)
    document = _analysed(tmp_path, "npm test", _mocha("test/cache.js"), project)
    assert document["is_flaky"] == "likely", document
    assert "Math.random" in " ".join(document["flaky_evidence"]), document["flaky_evidence"]
    assert document["failure_type"] == "test_failure", document["failure_type"]
    assert not document.get("rerun_requested"), document
