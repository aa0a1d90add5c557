"""Attacks on the test step's changed-lines tracer (``runners/pytest/changed_lines.py``): a
change whose line runs in a failing test without the tracer seeing it, so the failure is
labelled likely flaky though the change broke it. Each runs real pytest on a real git change,
as ``test_test_step_changed_lines.py`` does."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from cicd_agent.modes.test_step.attempts import run_attempts
from cicd_agent.modes.test_step.judge import judge_step
from cicd_agent.modes.test_step.types import StepVerdict
from cicd_agent.sandbox.step import read_change
from tests.git_builder import GitRepoBuilder
from tests.helpers.gen_tests import PROJECT_PYTHON
from tests.helpers.job_run import JobRun

COMMAND = [PROJECT_PYTHON, "-m", "pytest", "-q", "-p", "no:randomly", "-p", "no:xdist"]

TEXT_BASE = '''\
def greeting():
    return """Dear reader,
this
letter
comes
from
the
world"""
'''
TEXT_TEST = """\
import calc


def test_greeting():
    assert calc.greeting().endswith("world")
"""
"""The change edits the second line of a string spanning two lines: no bytecode instruction
is on that line, so no ``line`` event ever names it, though every call of ``greeting`` returns
the changed text (an SQL query, a template or a message split over lines)."""

THREAD_BASE = """\
import _thread


def in_worker(job):
    done = _thread.allocate_lock()
    done.acquire()
    box = []

    def run():
        box.append(job())
        done.release()

    _thread.start_new_thread(run, ())
    done.acquire()
    return box[0]


def compute():
    a = 40
    b = 1
    c = 0
    d = 0
    e = a + b + 1
    f = c + d
    g = f
    h = g
    return e + h


def answer():
    return in_worker(compute)
"""
THREAD_TEST = """\
import calc


def test_answer():
    assert calc.answer() == 42
"""
"""The base runs ``compute`` on a thread started with ``_thread`` (as a C library's own
threads call back into Python): ``threading.settrace`` never reaches such a thread, and no
audit event the tracer watches says one started. The change breaks ``compute``."""


def _verdict(root: Path, base: dict[str, str], head: dict[str, str]) -> StepVerdict:
    repo = GitRepoBuilder(root)
    first = repo.commit("base", {**base, "pyproject.toml": "[project]\nname='p'\n"})
    second = repo.commit("change", head)
    change, unread = read_change(first, second, repo.path)
    assert unread == "" and change is not None
    attempts = run_attempts(COMMAND, 0, cwd=repo.path, run=JobRun({"PATH": "/usr/bin:/bin"}),
                            trusted=True, change=change)  # fmt: skip
    verdict = judge_step(attempts, [], date(2026, 1, 1), code_is_proof=True, change=change)
    assert verdict.failing, (verdict.said, attempts[0].output[-600:])  # the change broke it
    return verdict


def _likely_flaky(root: Path, base: dict[str, str], head: dict[str, str]) -> dict[str, str]:
    return dict(_verdict(root, base, head).likely_flaky)


@pytest.fixture(scope="module")
def unlit(tmp_path_factory: pytest.TempPathFactory) -> tuple[tuple[str, ...], dict[str, str]]:
    """One change breaking both the multi-line string's function and the ``_thread`` worker's,
    one run: the tests that failed, and those labelled likely flaky."""
    base = {"text.py": TEXT_BASE, "test_text.py": TEXT_TEST.replace("calc", "text"),
            "calc.py": THREAD_BASE, "test_calc.py": THREAD_TEST}
    verdict = _verdict(tmp_path_factory.mktemp("unlit") / "project", base,
                       {"text.py": TEXT_BASE.replace("world", "there"),
                        "calc.py": THREAD_BASE.replace("a + b + 1", "a + b + 2")})  # fmt: skip
    return verdict.failing, dict(verdict.likely_flaky)


def test_attack_a_changed_line_inside_a_multiline_string_is_seen(
    unlit: tuple[tuple[str, ...], dict[str, str]],
) -> None:
    """ATTACK: the changed last line of the string has no bytecode; it is read as the line
    the string begins on, which runs in every call of ``greeting``."""
    failing, flaky = unlit
    assert "test_text.py::test_greeting" in failing, unlit
    assert "test_text.py::test_greeting" not in flaky, flaky


def test_attack_a_changed_line_run_on_a_low_level_thread_is_seen(
    unlit: tuple[tuple[str, ...], dict[str, str]],
) -> None:
    """ATTACK: ``_thread.start_new_thread`` is wrapped as the tracer loads, so the thread it
    starts sets the tracer before it runs ``compute``."""
    failing, flaky = unlit
    assert "test_calc.py::test_answer" in failing, unlit
    assert "test_calc.py::test_answer" not in flaky, flaky


def test_a_changed_line_with_no_bytecode_is_read_as_the_lines_of_its_expression(
    tmp_path: Path,
) -> None:
    """Only a line where some syntax begins has a ``line`` event: a changed line in the middle
    of a string, an operator alone on its line, a comment inside a call or an ``else`` of a
    conditional expression is read as the lines its innermost expression's parts begin on;
    a line of a block's own (a comment between statements, ``else:``) adds nothing, nor does
    a line that begins something."""
    from cicd_agent.runners.pytest.changed_lines import _spread

    source = tmp_path / "shapes.py"
    source.write_text(
        'def f(a, b):\n'             # 1
        '    text = """one\n'         # 2
        'two"""\n'                    # 3
        '    total = (a\n'            # 4
        '             +\n'            # 5
        '             b)\n'           # 6
        '    print(a,\n'              # 7
        '          # a comment\n'     # 8
        '          b)\n'              # 9
        '    # between statements\n'  # 10
        '    pick = (a\n'             # 11
        '            if b\n'          # 12
        '            else\n'          # 13
        '            0)\n'            # 14
        '    if a:\n'                 # 15
        '        pass\n'              # 16
        '    else:\n'                 # 17
        '        pass\n'              # 18
    )  # fmt: skip
    spread = _spread(str(source), frozenset({3, 5, 8, 10, 13, 17, 16}))
    assert spread == frozenset({2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 17, 16}), sorted(spread)
    assert _spread(str(tmp_path / "gone.py"), frozenset({3})) == frozenset({3})
    (tmp_path / "broken.py").write_text('x = """\n')
    assert _spread(str(tmp_path / "broken.py"), frozenset({2})) == frozenset({2})


HIDER_BASE = """\
import sys
import threading


def quiet():
    return 1


def blind():
    return 1
"""
HIDER_HEAD = """\
import sys
import threading


def quiet():
    sys.settrace(None)
    threading.settrace(None)
    return 2


def blind():
    sys._getframe().f_trace_lines = False
    return 2
"""
HIDER_TEST = """\
import calc


def test_quiet():
    assert calc.quiet() == 1


def test_blind():
    assert calc.blind() == 1
"""
"""Changed code that turns the tracer off (``sys.settrace(None)``, ``threading.settrace(None)``)
or turns off its own frame's line events (``f_trace_lines``) before the line that breaks it."""


def test_attack_changed_code_that_turns_the_tracer_off_is_still_seen(tmp_path: Path) -> None:
    """ATTACK: the hiding line is itself a changed line, and the tracer hears of it (its
    ``line`` event) before it runs: neither failure is labelled likely flaky."""
    found = _likely_flaky(tmp_path / "project", {"calc.py": HIDER_BASE, "test_calc.py": HIDER_TEST},
                          {"calc.py": HIDER_HEAD})  # fmt: skip
    assert found == {}, found


PREIMPORT_CONFTEST = "import calc  # imported before any test, as a plugin would\n"


def test_attack_a_conftest_that_imports_the_changed_module_first_labels_nothing(
    tmp_path: Path,
) -> None:
    """ATTACK: a conftest imports the changed module before the tests are collected; our
    tracer was set as pytest loaded it, earlier, so the changed module constant runs under it,
    outside every test: no failure is labelled."""
    base = {"calc.py": "LIMIT = 1\n", "conftest.py": PREIMPORT_CONFTEST,
            "test_calc.py": "import calc\n\n\ndef test_limit():\n    assert calc.LIMIT == 1\n"}
    found = _likely_flaky(tmp_path / "project", base, {"calc.py": "LIMIT = 2\n"})
    assert found == {}, found
