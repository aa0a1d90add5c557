"""A value taken from the clock's fine digits is chance for an assertion, over two statements as
on one: an eleventh new user's crate (servo/rust-fnv) drew ``nanos`` from
``SystemTime::now()…subsec_nanos()`` and checked ``nanos % 10 < 7`` two lines down; analyse-failure
said "Flaky? No". The log and the test file are the trial's (tests/fixtures/logs/new_user11). A
clock read to time something (``start``, then ``elapsed < bound``) is no draw."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

from cicd_agent.modes.analyse_failure.logs.flaky import _drawn_in_source
from tests.helpers.cli import run_cli

FIXTURES = Path(__file__).parents[2] / "fixtures" / "logs" / "new_user11"


def test_a_clock_value_checked_two_statements_down_is_chance(tmp_path: Path) -> None:
    project = tmp_path / "project"
    (project / "tests").mkdir(parents=True)
    shutil.copy(FIXTURES / "shared.rs", project / "tests" / "shared.rs")
    argv = ["analyse-failure", "--provider", "none", "--json", "--repo", str(project),
            "--logs", str(FIXTURES / "rs-failed-run.log")]  # fmt: skip
    done = run_cli(argv, tmp_path)
    assert done.code == 0, done.stderr
    flaky = {item["name"]: item for item in json.loads(done.stdout)["flaky_tests"]}
    assert list(flaky) == ["c_random_bucket"], flaky  # b_starts_empty is order, not chance
    (said,) = flaky["c_random_bucket"]["evidence"]
    assert "drawn at random in its own source" in said, said
    assert "tests/shared.rs:20: let nanos = SystemTime::now()" in said, said


def _source(lines: list[str]) -> Callable[[str, int], str | None]:
    return lambda file, number: lines[number - 1] if 0 < number <= len(lines) else None


def test_a_clock_read_to_time_something_is_no_draw() -> None:
    lines = [
        "#[test]",
        "fn fast_enough() {",
        "    let start = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_nanos();",
        "    work();",
        "    let elapsed = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_nanos()",
        "        - start;",
        "    assert!(elapsed < 1_000_000);",
        "}",
    ]
    assert _drawn_in_source(["panicked at tests/t.rs:7:5:"], _source(lines)) is None
    read = "    let n = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().subsec_nanos();"
    drawn = [*lines[:2], read, "    assert!(n % 4 != 0);", "}"]
    said = _drawn_in_source(["panicked at tests/t.rs:4:5:"], _source(drawn))
    assert said is not None and said.startswith("tests/t.rs:3: let n = "), said
