"""pytest behind the seam, its tests beside the boot folders' own (``pytest_boot/``,
``pytest_in_run/``, run in processes of their own): its runs in chosen orders and a set-up
moved for the flaky-test fixer; its part of the test step, asked through its row of the
runners' table (the usage error it stops on, its changed-lines tracer, a teardown's failure
read as the test's); the fix judge's watch on a failed step's command."""

from __future__ import annotations

import ast
import json
import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from cicd_agent.analysis.changed_lines import Touched
from cicd_agent.runners.jest.runner import Jest
from cicd_agent.runners.orders import SetUp
from cicd_agent.runners.patched_lines import PatchedLines
from cicd_agent.runners.protocol import RetriesStep, TracesChanges
from cicd_agent.runners.pytest.orders import PytestOrders
from cicd_agent.runners.pytest.runner import Pytest
from cicd_agent.runners.pytest.sessions import PytestSessions
from cicd_agent.runners.pytest.set_up import set_up_of, with_set_up
from cicd_agent.runners.pytest.step import RECORD, USAGE, read_record
from cicd_agent.runners.pytest.watch import PytestWatch
from cicd_agent.runners.table import PYTEST, TABLE
from tests.git_builder import GitRepoBuilder

DONOR = '''\
import os
from app import config
from .helpers import local_thing

LIMIT = 3


def test_cleaner(tmp_path):
    """Resets the mode."""
    config.reset()
    assert config.SETTINGS == {}
    os.environ.pop("MODE", None)
    config.limit(LIMIT)
    local_thing()
    (tmp_path / "x").write_text("")
    if config.ready():
        return
    pytest.skip("not here")
    sys.exit(0)
'''
VICTIM = '''\
from app.config import describe


def test_victim():
    """It reads the mode."""
    assert describe() == "running normally"
'''


def test_only_a_donors_statements_the_victim_can_run_are_moved_with_their_imports() -> None:
    moved = set_up_of({"tests/test_a.py": DONOR, "tests/test_b.py": VICTIM},
                      "tests/test_a.py::test_cleaner", "tests/test_b.py::test_victim")  # fmt: skip
    assert moved.statements == ("config.reset()", 'os.environ.pop("MODE", None)')
    assert moved.imports == ("from app import config", "import os")
    # not: the assertion, a name of the donor's own file (LIMIT), a relative import, a fixture
    # the victim does not take (tmp_path), a return, a skip, an exit


def test_the_patched_victim_runs_them_first_and_still_parses() -> None:
    moved = SetUp("tests/test_a.py::test_cleaner", ("config.reset()", "x = [\n    1,\n]"),
                  ("from app import config",))  # fmt: skip
    patched = with_set_up(VICTIM, "tests/test_b.py::test_victim", moved, {0, 1})
    ast.parse(patched)
    lines = patched.splitlines()
    at = lines.index('    """It reads the mode."""')
    assert lines[at + 1].startswith("    # set-up moved from tests/test_a.py::test_cleaner")
    assert lines[at + 2 : at + 7] == ["    from app import config", "    config.reset()",
                                      "    x = [", "        1,", "    ]"]  # fmt: skip
    only_first = with_set_up(VICTIM, "tests/test_b.py::test_victim", moved, {0})
    assert "x = [" not in only_first and "config.reset()" in only_first


def test_a_method_donor_in_another_class_gives_no_self_statement() -> None:
    text = ("class TestA:\n    def test_clean(self):\n        self.db.clear()\n        reset()\n\n"
            "class TestB:\n    def test_victim(self):\n        assert run()\n")  # fmt: skip
    moved = set_up_of({"tests/test_c.py": text}, "tests/test_c.py::TestA::test_clean",
                      "tests/test_c.py::TestB::test_victim")  # fmt: skip
    assert moved.statements == ("reset()",)


def test_an_attack_a_donor_id_with_a_newline_stays_in_its_comment() -> None:
    moved = SetUp("tests/test_a.py::test_x[a\nimport os; os.system('id')]", ("reset()",))
    patched = with_set_up(VICTIM, "tests/test_b.py::test_victim", moved, {0})
    assert "\nimport os" not in patched and "    import os" not in patched
    tree = ast.parse(patched)
    assert [type(node).__name__ for node in ast.walk(tree) if isinstance(node, ast.Import)] == []


def test_the_code_a_test_calls_by_name_is_found_outside_the_tests(tmp_path: Path) -> None:
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "__init__.py").write_text("")
    (tmp_path / "app" / "config.py").write_text(
        "def describe():\n    x = 1\n    return x\n\n\ndef other():\n    return 2\n")
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_b.py").write_text(VICTIM)
    found = PytestOrders().under_test(tmp_path, "tests/test_b.py::test_victim")
    assert found == {"app/config.py": frozenset({2, 3})}


def test_chosen_tests_run_in_the_chosen_order_each_once(tmp_path: Path) -> None:
    """The ids go in a file, never on the command line; a test not named does not run."""
    repo = GitRepoBuilder(tmp_path / "project")
    repo.commit("tests", {"tests/test_o.py": (
        "SEEN = []\n\n\ndef test_a():\n    SEEN.append('a')\n\n\n"
        "def test_b():\n    assert SEEN == []\n\n\ndef test_c():\n    pass\n")})
    orders = next(row.in_order for row in TABLE if row.in_order is not None)
    environ = {"PATH": os.environ["PATH"], "HOME": "/nonexistent"}
    command = orders.command([sys.executable, "-m", "pytest", "-q"])
    assert command is not None and orders.command(["go", "test"]) is None
    with orders.sandbox(repo.path, environ) as sandbox:
        space = sandbox.workspace("t")
        argv = [*command, *orders.in_order(space, ["tests/test_o.py::test_b",
                                                    "tests/test_o.py::test_a"])]  # fmt: skip
        assert not any("::" in word for word in argv)
        said, why = orders.read(*sandbox.session(argv, space, timeout=120))
        assert said is not None, why
        assert list(said.tests.items()) == [("tests/test_o.py::test_b", "passed"),
                                            ("tests/test_o.py::test_a", "passed")]  # fmt: skip
        space = sandbox.workspace("t")
        argv = [*command, *orders.in_order(space, ["tests/test_o.py::test_a",
                                                    "tests/test_o.py::test_b"])]  # fmt: skip
        said, why = orders.read(*sandbox.session(argv, space, timeout=120))
        assert said is not None and said.tests["tests/test_o.py::test_b"] == "failed", why


def test_a_function_a_package_re_exports_is_followed_to_its_own_module(tmp_path: Path) -> None:
    """``import app as dc`` then ``dc.query()``, ``query`` defined in ``app/q.py`` and only
    imported by ``app/__init__.py`` (seen on IDoFT's datacommons: no mutant before)."""
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "__init__.py").write_text("from app.q import query\n")
    (tmp_path / "app" / "q.py").write_text("def query(text):\n    return text.upper()\n")
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_q.py").write_text(
        "import app as dc\n\n\ndef test_q():\n    assert dc.query('a') == 'A'\n")
    found = PytestOrders().under_test(tmp_path, "tests/test_q.py::test_q")
    assert found == {"app/q.py": frozenset({2})}


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


PASSED = b"""<?xml version="1.0"?><testsuite><testcase classname="tests.test_calc"
name="test_add" file="tests/test_calc.py"/></testsuite>"""


def _records(*records: dict[str, object]) -> bytes:
    return b"\n".join(json.dumps({"pid": 7, **record}).encode() for record in records)


def _seen(watch: PytestWatch, stream: bytes, folder: Path, repo: Path) -> tuple[str, bool, str]:
    seen = watch.seen(stream, folder, repo, patched=(), failed_tests=("tests/test_calc.py::test_add",),
                      test_files=(), script="python -m pytest", installed=())  # fmt: skip
    return seen.guarded, seen.loaded, seen.problem


def test_the_registry_hands_out_pytest_s_watch_installed_under_a_fresh_name(tmp_path: Path) -> None:
    first, second = PYTEST.watches.watch(tmp_path), PYTEST.watches.watch(tmp_path)
    assert isinstance(first, PytestWatch)
    assert first.module != second.module
    assert (tmp_path / "fix-boot" / f"{first.module}.py").is_file()


def test_a_judged_run_loads_the_check_and_writes_its_report_into_our_folder(tmp_path: Path) -> None:
    watch = PYTEST.watches.watch(tmp_path)
    changed = PatchedLines.of(tmp_path / "repo", [("calc.py", "x = 1\n", "x = 2\n")])
    options = watch.environment({"PYTEST_ADDOPTS": "-q"}, "FD", ("t.py::test_a",), (), changed,
                                folder=tmp_path / "tests")  # fmt: skip
    words = shlex.split(options["PYTEST_ADDOPTS"])
    assert words[:2] == ["-p", watch.module]
    assert words[-2:] == ["-q", f"--junitxml={tmp_path / 'tests' / 'report.xml'}"]
    assert options["PYTHONPATH"] == str(tmp_path / "fix-boot")


def test_the_guard_s_reason_comes_first_and_alone(tmp_path: Path) -> None:
    stream = _records({"loaded": True},
                      {"import_guard": {"file": str(tmp_path / "calc.py"), "line": 3}})  # fmt: skip
    guarded, loaded, problem = _seen(PYTEST.watches.watch(tmp_path), stream, tmp_path, tmp_path)
    assert guarded.startswith("not verified: line 3 of calc.py, which the patch changes, ran")
    assert loaded
    assert problem == ""


def test_no_report_is_no_evidence_and_a_run_without_the_check_is_unloaded(tmp_path: Path) -> None:
    guarded, loaded, problem = _seen(PYTEST.watches.watch(tmp_path), b"", tmp_path, tmp_path)
    assert (guarded, loaded) == ("", False)
    assert problem.startswith("not verified: the run gave no per-test evidence (no test report")


def test_a_report_showing_the_test_is_not_enough_without_the_check_s_records(
    tmp_path: Path,
) -> None:
    (tmp_path / "report.xml").write_bytes(PASSED)
    watch = PYTEST.watches.watch(tmp_path)
    assert watch.passing(tmp_path) == 1
    _guarded, _loaded, problem = _seen(watch, b"", tmp_path, tmp_path)
    assert problem == ("not verified: pytest never loaded the fix step's in-run check (its runs "
                       "went unseen)")  # fmt: skip


TEARDOWN = (
    "import pytest\n\n\n@pytest.fixture\ndef db():\n    yield\n"
    "    raise RuntimeError('the database was left locked')\n\n\n"
    "def test_quarantined(db):\n    assert False\n\n\ndef test_ok():\n    pass\n"
)


def step_report(tmp_path: Path, files: dict[str, str]) -> tuple[dict[str, bool], set[str]]:
    """The outcomes and the unsure ids of a real pytest run of ``files``, asked and read as
    the test step asks and reads them."""
    project = tmp_path / "project"
    for name, text in files.items():
        (project / name).parent.mkdir(parents=True, exist_ok=True)
        (project / name).write_text(text)
    runner = Pytest()
    folder = tmp_path / "step"
    folder.mkdir()
    argv = runner.step_command([sys.executable, "-m", "pytest", "-p", "no:cacheprovider"],
                               folder, None)  # fmt: skip
    assert argv is not None
    subprocess.run(argv, cwd=project, capture_output=True, check=False, timeout=120)
    found = runner.step_outcomes(folder, "", project)
    return dict(found), set(getattr(found, "unsure", set()))


def test_a_test_whose_call_and_teardown_both_fail_is_one_test_not_two(tmp_path: Path) -> None:
    """pytest writes a test whose call failed and whose fixture then failed in teardown as two
    results under one id (JUnit allows one failure a test case). It is one test: its id stays
    sure, so the quarantine entry naming it still excuses it (before: unsure, so a quarantined
    flake that leaves its fixture broken failed the step)."""
    outcomes, unsure = step_report(tmp_path, {"tests/test_s.py": TEARDOWN})
    assert outcomes == {"tests/test_s.py::test_quarantined": False, "tests/test_s.py::test_ok": True}
    assert unsure == set()


def test_two_tests_bearing_one_id_stay_unsure_whatever_their_teardowns_do(tmp_path: Path) -> None:
    """A twin written in another file whose method lies in the quarantined test's file (the
    step rebuilds both ids alike) stays unsure, its teardown failing too or not."""
    helper = TEARDOWN.replace("def test_quarantined(db):\n    assert False\n",
                              "def test_quarantined(db):\n    pass\n\n\nclass Helper:\n"
                              "    def test_quarantined(self, db):\n        assert False\n")  # fmt: skip
    twin = ("import pathlib\nimport sys\n\nsys.path.insert(0, str(pathlib.Path(__file__).parent"
            " / 'tests'))\nfrom test_s import Helper, db  # noqa: E402,F401\n\n\n"
            "class test_s(Helper):\n    pass\n")  # fmt: skip
    ini = "[pytest]\npython_files = tests.py test_*.py\npython_classes = test_s Test\n"
    outcomes, unsure = step_report(tmp_path, {"pytest.ini": ini, "tests/test_s.py": helper,
                                              "tests.py": twin})  # fmt: skip
    assert outcomes["tests/test_s.py::test_quarantined"] is False
    assert "tests/test_s.py::test_quarantined" in unsure


def test_the_tracer_traces_nothing_unless_the_step_names_the_lines(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("CICD_CHANGED_LINES", raising=False)
    before = sys.gettrace()
    from cicd_agent.runners.pytest import changed_lines as pytest_changed_lines

    assert sys.gettrace() is before and pytest_changed_lines._LINES == {}


def test_a_coverage_run_of_pytest_runs_its_chosen_files_as_pytest_alone() -> None:
    """The verifier reruns chosen files with the project's own pytest words, never under the
    project's ``coverage run`` (whose own settings would measure and report)."""
    sessions = PytestSessions()
    words = ["coverage", "run", "-m", "pytest", "tests", "-x"]
    assert sessions.own_part(words) == (
        ("python", "-m", "pytest", "tests", "-x"),
        ("python", "-m", "pytest"),
    )
    assert sessions.own_part(["make", "test"]) is None
