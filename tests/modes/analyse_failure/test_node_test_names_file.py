"""analyse-failure names a failed ``node --test`` test as the test step does, ``file › suite ›
test``: the file from TAP's ``location:`` of that test, made relative to the checkout. The log
is node's own output, run here on a failing suite. A location outside the checkout (another
absolute path, or one that climbs out with ``..``) is never followed: the name stays bare."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from cicd_agent.modes.analyse_failure.logs.analyse import analyse_scans, scan_jobs
from cicd_agent.modes.analyse_failure.logs.located import checkout_path
from tests.modes.analyse_failure.job_logs import job_log

SUITE = """\
const { describe, it, test } = require('node:test');
const assert = require('node:assert');
describe('calc', () => {
  it('adds', () => assert.equal(1 + 1, 2));
  describe('rounding', () => {
    it('halves up', () => assert.strictEqual(Math.round(2.5), 2));
  });
});
test('alone', () => assert.strictEqual('a', 'b'));
"""
WANTED = ("test/calc.test.js › calc › rounding › halves up", "test/calc.test.js › alone")
BARE = ("halves up", "alone")


@pytest.fixture(scope="module")
def node_log(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A checkout with a failing suite, and what ``node --test`` printed there (TAP: its
    output is not a terminal, as on a runner, for node 18.15 to 22)."""
    node = shutil.which("node")
    assert node, "node is not installed"
    checkout = tmp_path_factory.mktemp("node") / "app"
    (checkout / "test").mkdir(parents=True)
    (checkout / "test" / "calc.test.js").write_text(SUITE)
    done = subprocess.run([node, "--test", "--test-reporter=tap"], cwd=checkout,
                          capture_output=True, text=True, timeout=120, check=False)  # fmt: skip
    assert done.returncode == 1 and "not ok" in done.stdout, done.stdout + done.stderr
    assert f"location: '{checkout}/test/calc.test.js:6:5'" in done.stdout
    return checkout, done.stdout


def _names(log: str, checkout: Path | None) -> tuple[str, ...]:
    analysis = analyse_scans(scan_jobs([job_log("test", log.encode())]), checkout=checkout)
    return analysis.failed_tests


def test_a_node_test_is_named_by_its_file_and_suites_as_the_test_step_names_it(
    node_log: tuple[Path, str],
) -> None:
    checkout, log = node_log
    assert _names(log, checkout) == WANTED


def test_the_runners_workspace_is_the_checkout_when_none_is_given(
    node_log: tuple[Path, str],
) -> None:
    checkout, log = node_log
    on_runner = log.replace(f"'{checkout}/", "'/home/runner/work/app/app/")
    assert _names(on_runner, None) == WANTED


def test_attack_a_location_outside_the_checkout_is_not_followed(
    node_log: tuple[Path, str], tmp_path: Path
) -> None:
    checkout, log = node_log
    assert _names(log, tmp_path) == BARE  # another checkout: its absolute path names nothing
    assert _names(log, None) == BARE
    climbing = log.replace(f"'{checkout}/test/", f"'{checkout}/../../etc/")
    assert _names(climbing, checkout) == BARE
    on_runner = log.replace(f"'{checkout}/test/", "'/home/runner/work/app/app/../../../etc/")
    assert _names(on_runner, None) == BARE
    assert checkout_path("/etc/passwd", None) is None
    assert checkout_path("C:/a/app/app/test/x.js", None) == "test/x.js"  # Windows' workspace
    assert checkout_path("C:/Windows/x.js", None) is None
