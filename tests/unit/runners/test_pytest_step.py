"""pytest's part of the test step, asked through its row of the runners' table as the step
asks it (:class:`RetriesStep`, :class:`TracesChanges`): the usage error it stops on, and its
tracer's record, read only where it is one."""

from __future__ import annotations

import json
import os
from pathlib import Path

from cicd_agent.analysis.changed_lines import Touched
from cicd_agent.runners.jest.runner import Jest
from cicd_agent.runners.protocol import RetriesStep, TracesChanges
from cicd_agent.runners.pytest.step import RECORD, USAGE, read_record
from cicd_agent.runners.table import TABLE


def _pytest() -> tuple[RetriesStep, TracesChanges]:
    row = next(row for row in TABLE if row.name == "pytest")
    assert row.step is not None and row.tracer is not None
    return row.step, row.tracer


def test_pytest_says_its_usage_error_and_other_runners_say_none() -> None:
    said = "ERROR: usage: pytest [options]\npytest: error: unrecognized arguments: --bogus\n"
    step, _ = _pytest()
    stopped = step.step_stopped(USAGE, said)
    assert stopped is not None and "unrecognized arguments: --bogus" in str(stopped)
    assert step.step_stopped(1, said) is None  # tests failed: no usage error
    assert Jest().step_stopped(USAGE, said) is None  # another runner's 4 is its own


def test_the_tracer_is_drawn_per_step_and_needs_a_line_to_trace(tmp_path: Path) -> None:
    change = Touched({"calc.py": frozenset({3})})
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    _, traces = _pytest()
    one = traces.step_tracer(["pytest"], change, tmp_path / "a", tmp_path, {"PYTHONPATH": "/theirs"})
    other = traces.step_tracer(["pytest"], change, tmp_path / "b", tmp_path, {})
    assert one is not None and other is not None
    assert one.arguments[0] == "-p" and one.arguments != other.arguments  # a name per step
    run = one.environment(tmp_path / "run")
    assert run["PYTHONPATH"].split(os.pathsep) == [str(tmp_path / "a" / "boot"), "/theirs"]
    assert run[RECORD] == str(tmp_path / "run" / "changed.json")
    assert traces.step_tracer(["pytest"], Touched({}, ("data.json",)), tmp_path, tmp_path, {}) is None


def test_attack_a_record_that_is_not_one_is_no_record(tmp_path: Path) -> None:
    path = tmp_path / "changed.json"
    good = {"tests": {"tests/test_a.py::test_b": False}, "outside": False}
    path.write_text(json.dumps(good))
    record = read_record(path)
    assert record is not None and record.tests == {"tests.test_a.test_b": False}
    for forged in ([], {"tests": {"t": "yes"}, "outside": False}, {"tests": {}, "outside": 0},
                   {"tests": {}, "outside": False, "blind": 1}):  # fmt: skip
        path.write_text(json.dumps(forged))
        assert read_record(path) is None, forged
    link = tmp_path / "link.json"
    path.write_text(json.dumps(good))
    link.symlink_to(path)
    assert read_record(link) is None  # written in the tests' process: no link followed
