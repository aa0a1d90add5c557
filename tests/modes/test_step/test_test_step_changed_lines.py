"""The test step's differential coverage on a real pytest project and a real git change: a
failure that ran no line the change touched is named likely flaky with that evidence; a
regression that ran a changed line is not, nor a failure that reaches the changed line only on
its failing path; a record a test forges to hide a changed line excuses nothing, and on code
from someone who cannot push no failure is labelled at all."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from cicd_agent.analysis.changed_lines import NO_CHANGED_LINE, touched
from cicd_agent.analysis.diff import parse_diff
from cicd_agent.local.checkout import GitCheckout
from cicd_agent.modes.test_step.attempts import run_attempts
from cicd_agent.modes.test_step.judge import judge_step
from cicd_agent.modes.test_step.types import Attempt, StepVerdict
from cicd_agent.sandbox.step import read_change
from tests.git_builder import GitRepoBuilder
from tests.helpers.gen_tests import PROJECT_PYTHON
from tests.helpers.job_run import JobRun

BASE = """\
def add(a, b):
    return a + b


def sub(a, b):
    return a - b


def div(a, b):
    if b == 0:
        raise ZeroDivisionError("b is zero")
    return a / b
"""
HEAD = BASE.replace("return a - b", "return a - b - 1").replace('"b is zero"', '"no b"')
TESTS = """\
import os
import pathlib

import calc

HERE = pathlib.Path(__file__).parent


def _count(name):
    counter = HERE / f"{name}.count"
    seen = int(counter.read_text()) if counter.exists() else 0
    counter.write_text(str(seen + 1))
    return seen


def test_add():
    assert calc.add(1, 2) == 3


def test_sub():
    assert calc.sub(3, 2) == 1  # the change broke it: a regression that ran the changed line


def test_timing_flake():
    assert _count("timing") > 0  # fails on the first run only, touching nothing changed


def test_zero_message():
    try:
        calc.div(1, 0)
    except ZeroDivisionError as error:
        assert str(error) == "b is zero"  # the changed line runs only on this failing path
"""
FORGER = """\
import atexit
import json
import os


def test_forger():
    # Attack: rewrite the tracer's record at exit, so test_sub seems to run no changed line.
    record = os.environ.get("CICD_CHANGED_RECORD", "")
    forged = {"tests": {"tests/test_calc.py::test_sub": False,
                        "tests/test_calc.py::test_timing_flake": False,
                        "tests/test_calc.py::test_zero_message": False}, "outside": False}
    if record:
        atexit.register(lambda: open(record, "w").write(json.dumps(forged)))
"""
SHADOW = """\
import json
import os

# Attack: a module of the checkout named as our tracer; ``python -m pytest`` puts the checkout
# first on sys.path, so ``-p cicd_changed_lines`` would load this instead and its record says
# no test ran a changed line.
record = os.environ.get("CICD_CHANGED_RECORD", "")
if record:
    with open(record, "w") as file:
        json.dump({"tests": {"tests/test_calc.py::test_sub": False}, "outside": False}, file)
"""
COMMAND = [PROJECT_PYTHON, "-m", "pytest", "-q", "-p", "no:randomly", "-p", "no:xdist"]
SUB, FLAKE, ZERO = ("tests.test_calc.test_sub", "tests.test_calc.test_timing_flake",
                    "tests.test_calc.test_zero_message")  # fmt: skip
"""The tests as the runs compare them (canonical); a verdict names each as pytest prints it."""
SUB_ID, FLAKE_ID, ZERO_ID = ("tests/test_calc.py::test_sub", "tests/test_calc.py::test_timing_flake",
                             "tests/test_calc.py::test_zero_message")  # fmt: skip


def _project(root: Path, forger: bool = False) -> tuple[Path, object]:
    repo = GitRepoBuilder(root)
    base = repo.commit("base", {"calc.py": BASE, "tests/test_calc.py": TESTS,
                                "pyproject.toml": "[project]\nname='p'\n"})  # fmt: skip
    files = {"calc.py": HEAD, **({"tests/test_forge.py": FORGER, "cicd_changed_lines.py": SHADOW}
                                 if forger else {})}
    head = repo.commit("change", files)
    change, unread = read_change(base, head, repo.path)
    assert unread == "" and change is not None
    return repo.path, change


def _judge(attempts: list[Attempt], change: object, *, proof: bool = True) -> StepVerdict:
    return judge_step(attempts, [], date(2026, 1, 1), code_is_proof=proof,
                      change=change)  # type: ignore[arg-type]  # fmt: skip


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[Attempt], object]:
    root, change = _project(tmp_path_factory.mktemp("deflaker") / "project")
    return run_attempts(COMMAND, 1, cwd=root, run=JobRun({"PATH": "/usr/bin:/bin"}),
                        trusted=True, change=change), change  # type: ignore[arg-type]  # fmt: skip


def test_a_failure_that_ran_no_changed_line_is_likely_flaky_with_its_evidence(
    run: tuple[list[Attempt], object],
) -> None:
    attempts, change = run
    verdict = _judge(attempts, change)
    # run again at once in its own process (a fresh item, reported to nobody): it passed
    assert dict(verdict.likely_flaky) == {
        FLAKE_ID: f"{NO_CHANGED_LINE}; run again in the same process, it passed"
    }
    assert NO_CHANGED_LINE == "failed without running any line this change touched"
    assert FLAKE in attempts[0].failed()  # the first run's report keeps its failure
    # retried in a clean process: it passed there, and only the retries' word is the verdict's
    assert dict(verdict.flaky).keys() == {FLAKE_ID} and not verdict.passed


def test_a_regression_that_ran_a_changed_line_is_never_called_flaky(
    run: tuple[list[Attempt], object],
) -> None:
    attempts, change = run
    record = attempts[0].ran_changed
    assert record is not None and record.tests[SUB] is True and record.outside is False
    assert SUB_ID not in dict(_judge(attempts, change).likely_flaky)
    assert SUB_ID in _judge(attempts, change).failing


def test_attack_a_changed_line_run_only_on_the_failing_path_counts(
    run: tuple[list[Attempt], object],
) -> None:
    """The changed message is built only when the test fails: coverage of a passing rerun would
    miss it; the failing run's own record holds it."""
    attempts, change = run
    assert attempts[0].ran_changed is not None and attempts[0].ran_changed.tests[ZERO] is True
    assert ZERO_ID not in dict(_judge(attempts, change).likely_flaky)


def test_attack_a_forged_record_excuses_nothing(tmp_path: Path) -> None:
    """A test rewrites the record at exit, and a module of the checkout takes our tracer's name,
    to hide the changed line test_sub ran: the record's path is out of the environment before
    any code of the project runs, and our tracer's name is drawn afresh for each run, so
    neither finds it; the label would only describe a failure anyway, and on code from someone
    who cannot push it is not given at all."""
    root, change = _project(tmp_path / "project", forger=True)
    attempts = run_attempts(COMMAND, 1, cwd=root, run=JobRun({"PATH": "/usr/bin:/bin"}),
                            trusted=True, change=change)  # type: ignore[arg-type]  # fmt: skip
    assert attempts[0].ran_changed is not None and attempts[0].ran_changed.tests[SUB] is True
    trusted = _judge(attempts, change)
    assert SUB_ID not in dict(trusted.likely_flaky)
    assert SUB_ID in trusted.failing and not trusted.passed
    untrusted = _judge(attempts, change, proof=False)
    assert untrusted.likely_flaky == () and not untrusted.passed
    assert "cannot push" in untrusted.said[-1]


def test_no_failure_is_called_flaky_when_a_changed_line_runs_at_import(tmp_path: Path) -> None:
    """A changed module constant shapes every test without running inside one."""
    repo = GitRepoBuilder(tmp_path / "project")
    base = repo.commit("base", {"calc.py": "LIMIT = 1\n", "tests/test_c.py":
                                "import calc\n\ndef test_limit():\n    assert calc.LIMIT == 1\n",
                                "pyproject.toml": "[project]\nname='p'\n"})  # fmt: skip
    head = repo.commit("change", {"calc.py": "LIMIT = 2\n"})
    change = touched(GitCheckout(repo.path).diff(base, head).files, {"calc.py": "LIMIT = 2\n"})
    attempts = run_attempts(COMMAND, 0, cwd=repo.path, run=JobRun({"PATH": "/usr/bin:/bin"}),
                            trusted=True, change=change)  # fmt: skip
    verdict = _judge(attempts, change)
    assert verdict.likely_flaky == () and "outside every test" in verdict.said[-1]


def test_a_change_that_cannot_be_read_says_why(tmp_path: Path) -> None:
    repo = GitRepoBuilder(tmp_path / "project")
    repo.commit("base", {"a.py": "A = 1\n"})
    change, unread = read_change("0" * 40, "HEAD", repo.path)
    assert change is None and unread == "the event names no change to compare"
    change, unread = read_change("f" * 40, "HEAD", repo.path)
    assert change is None and "fetch-depth: 0" in unread


def test_a_whole_new_function_does_not_count_as_run_at_import() -> None:
    """Its header only binds a new name at import; its body is what a test runs."""
    text = "def old():\n    return 1\n\n\ndef new():\n    return 2\n"
    from cicd_agent.analysis.changed_lines import _new_headers, _parse

    assert _new_headers(_parse(text), {4, 5, 6}) == {5}
    assert _new_headers(_parse(text), {6}) == set()  # a changed body: its header is no new definition


def _touched(
    before: str, after: str | None, path: str = "calc.py"
) -> tuple[dict[str, set[int]], tuple[str, ...]]:
    """What :func:`touched` makes of git's own diff of ``before`` to ``after`` (None: deleted)."""
    import subprocess
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        (Path(folder) / "a").write_text(before)
        (Path(folder) / "b").write_text(after or "")
        raw = subprocess.run(["git", "diff", "--no-index", "a", "b"], cwd=folder,
                             capture_output=True, text=True, check=False).stdout  # fmt: skip
    text = raw.replace("a/a", f"a/{path}").replace("b/b", f"b/{path}")
    if after is None:
        text = text.replace("+++ b/", "+++ /dev/null\n#").replace(
            "index ", "deleted file mode 100644\nindex ", 1
        )
    files = parse_diff(text).files
    change = touched(files, {} if after is None else {path: after})
    return {p: set(found) for p, found in change.lines.items()}, change.untraced


REMOVED = """\
import os


def f(x):
    y = x + 1
    return y


def g(a):
    if a:
        return 1
    return 2
"""


def test_a_removed_line_counts_its_neighbouring_code_not_the_hunks_context() -> None:
    """Its neighbours run when it would have; the context around them (a def line run at
    import) does not, and counting it withheld the label from the whole run."""
    lines, _ = _touched(REMOVED.replace("    return y", "    os.sync()\n    return y"), REMOVED)
    assert lines == {"calc.py": {5, 6}}
    lines, _ = _touched(REMOVED.replace("    return y\n", "    return y\n    print(y)\n"), REMOVED)
    assert lines == {"calc.py": {6}}  # its last statement: not the next def's line


def test_a_removal_keeps_what_the_removed_code_hung_on() -> None:
    """A removed else is reached through its if; a removed method, a module or a line of a long
    call leave lines no test runs in their place, so what ran them counts, or the label stops."""
    before = REMOVED.replace("    return 2", "    else:\n        raise ValueError(a)\n    return 2")
    assert _touched(before, REMOVED)[0] == {"calc.py": {10, 11, 12}}
    method = "class C:\n    def a(self):\n        return 1\n\n    def b(self):\n        return 2\n"
    gone = method.replace("    def a(self):\n        return 1\n\n", "")
    assert _touched(method, gone)[0] == {"calc.py": {2}}  # b's def line: run at import
    assert _touched(REMOVED, None) == ({}, ("calc.py",))
    call = "x = dict(\n    a=1,\n    b=2,\n)\nif (x and\n        y):\n    pass\n"
    assert _touched(call, call.replace("    b=2,\n", ""))[0] == {"calc.py": {1, 2, 3}}
    longer = call.replace("(x and\n", "(x and\n        w and\n")
    assert _touched(longer, call)[0] == {"calc.py": {5, 6}}  # the if's header, however long
    text = 'T = """a\n\nb"""\n\n\nU = 1  # one\n'
    squeezed = text.replace("a\n\nb", "a\nb").replace("\n\n\n", "\n\n").replace("  # one", "")
    assert _touched(text, squeezed)[0] == {"calc.py": {1, 2, 4}}  # a string's blank line counts
    assert _touched('T = """a\nb"""\n', 'T = """a\nc\nb"""\n')[0] == {"calc.py": {1, 2}}
