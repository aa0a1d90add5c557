"""A flaky test no order explains, fixed by a model and held to reruns, on real projects in the
sandbox: the model (the ``openai`` SDK over HTTP to a scripted server) rewrites the test's file;
the rewrite is ``checked`` only when the test passes M reruns alone (M from its old rate, 99 %),
the suite passes, and the mutation check still sees it fail on broken code. A rewrite that
still fails, that skips the test, or that no longer catches a broken function is ``refuted``;
the test's file reaches the model redacted, inside a fence."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cicd_agent.analysis.redact import Redactor
from cicd_agent.modes.test_step.dependence import reruns_needed
from cicd_agent.modes.test_step.fixer import BUDGET, fix_flaky
from cicd_agent.modes.test_step.model_fix import FlakyAnswer, unredacted, weakened
from cicd_agent.runners.pytest.loosened import loosened
from cicd_agent.runners.table import TABLE
from cicd_agent.verify.orders import OrderedRuns
from tests.git_builder import GitRepoBuilder
from tests.harness.model_server import TEST_API_KEY
from tests.helpers.gen_tests import PROJECT_PATH
from tests.modes.test_step.test_flaky_fixes import PYTEST, _step

SECRET = "ghp_" + "aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3z5A"
CALC = "def add(a, b):\n    return a + b\n"
FLAKY = '''\
import os

from app.calc import add

TOKEN = "''' + SECRET + '''"


def test_sometimes():
    seed = os.urandom(1)[0]
    expected = 5 if seed % 2 else 6  # a wrong expectation, one run in two
    assert add(2, 3) == expected


def test_fine():
    assert add(1, 1) == 2
'''
PROJECT = {"pyproject.toml": "[tool.pytest.ini_options]\ntestpaths = ['tests']\n",
           "app/__init__.py": "", "app/calc.py": CALC, "tests/test_r.py": FLAKY}  # fmt: skip
TEST = "tests/test_r.py::test_sometimes"


def _rewrite(line: str) -> str:
    return FLAKY.replace("    expected = 5 if seed % 2 else 6  # a wrong expectation, one run in two\n",
                         line)  # fmt: skip


def test_a_models_fix_that_holds_its_reruns_and_the_mutation_check_is_checked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, model_server: Any
) -> None:
    """Through the command line on a push, with history calling the test flaky: the model's
    rewrite is run alone M times, M from the rate its reruns showed, and shown as a checked
    patch; the file went to the model redacted, fenced, with the rule against weakening it."""

    def fixed_as_seen(request: Any) -> FlakyAnswer:  # the file as the model saw it, redacted
        seen = request.text("user").split("\n", 4)[4].split("\n", 1)[1].rsplit("\n", 1)[0]
        return FlakyAnswer(text=seen.replace("5 if seed % 2 else 6", "5"),
                           why="the expectation depended on a random byte")  # fmt: skip

    model_server.answer_with(fixed_as_seen)
    model = ("--provider", "openai", "--base-url", model_server.base_url, "--model", "gpt-4o-mini")
    _, document, summary = _step(tmp_path, monkeypatch, PROJECT, extra=model,
                                 flaky_before="tests.test_r.test_sometimes",
                                 github={"OPENAI_API_KEY": TEST_API_KEY})  # fmt: skip
    (fixed,) = document["flaky_fixes"]
    assert (fixed["test"], fixed["kind"], fixed["status"]) == (TEST, "not-order-dependent", "checked"), fixed
    before = fixed["runs_before"]
    assert fixed["runs_after"] == {"failed": 0, "runs": reruns_needed(before["failed"], before["runs"]),
                                   "order": []}  # fmt: skip
    patch = fixed["patch"].split("\n")
    assert [line for line in patch if line[:1] in ("+", "-") and line[:3] not in ("+++", "---")] == [
        "-    expected = 5 if seed % 2 else 6  # a wrong expectation, one run in two",
        "+    expected = 5  # a wrong expectation, one run in two"]  # the token's line untouched
    assert "checked, not verified: a model wrote it" in fixed["evidence"]
    assert "mutation check: fails when app/calc.py" in fixed["evidence"]
    assert "fix: **checked**" in summary
    (asked,) = model_server.chat_requests
    sent = asked.text("user")
    assert "<untrusted-data" in sent and "expected = 5 if seed % 2 else 6" in sent
    assert SECRET not in model_server.all_prompt_text()
    assert "Never delete, skip, weaken" in asked.text("system")


def _ordered_runs(folder: Path, files: dict[str, str]) -> Iterator[OrderedRuns]:
    """The project of ``files`` committed in ``folder``, its two tests run in the sandbox."""
    repo = GitRepoBuilder(folder / "project")
    repo.commit("tests", files)
    orders = next(row.in_order for row in TABLE if row.in_order is not None)
    command = orders.command([*PYTEST, "-k", "sometimes or fine"])
    assert command is not None
    with orders.sandbox(repo.path, {"PATH": PROJECT_PATH, "HOME": "/nonexistent"}) as sandbox:
        yield OrderedRuns(orders, sandbox, command, budget=BUDGET)


@pytest.fixture(scope="module")
def sandbox_runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OrderedRuns]:
    yield from _ordered_runs(tmp_path_factory.mktemp("model-fix"), PROJECT)


@pytest.mark.parametrize(("line", "said"), [
    ("    expected = 6\n", "reruns alone"),  # fails every run
    ("    expected = add(2, 3)\n", "mutation check: "),  # asserts add against itself
    ("    import pytest\n    pytest.skip('flaky')\n    expected = 5\n", "it adds "),
])  # fmt: skip
def test_attack_a_models_fix_that_fails_skips_or_stops_catching_is_refuted(
    sandbox_runs: OrderedRuns, line: str, said: str
) -> None:
    fixes, why = fix_flaky(sandbox_runs, [TEST], trusted=True,
                           propose=lambda *_: (_rewrite(line), "a fix"))  # fmt: skip
    assert why == ""
    (fixed,) = fixes
    assert fixed.kind == "not-order-dependent", fixed.evidence
    assert fixed.status == "refuted", fixed.evidence
    assert said in fixed.evidence.split("is refuted: ", 1)[1]
    assert not fixed.files  # nothing a draft could commit


def test_with_no_model_or_no_proposal_no_fix_is_claimed(sandbox_runs: OrderedRuns) -> None:
    for propose in (None, lambda *_: None):
        (fixed,), _ = fix_flaky(sandbox_runs, [TEST], trusted=True, propose=propose)
        assert fixed.status in ("none",) and not fixed.patch, fixed


def test_a_rewrite_with_fewer_assertions_or_a_retry_marker_checks_less() -> None:
    assert weakened(FLAKY, FLAKY.replace("    assert add(1, 1) == 2\n", "    add(1, 1)\n"))
    assert weakened(FLAKY, "import pytest\n@pytest.mark.flaky(reruns=3)\n" + FLAKY) == "it adds flaky, reruns"
    assert weakened(FLAKY, _rewrite("    expected = 5\n")) == ""


@pytest.mark.parametrize(("check", "said"), [
    ("assert add(2, 3) in (5, 6)", "`in`"),
    ("assert add(2, 3) >= 5", "`>=`"),
    ("assert add(2, 3) == 5 or add(2, 3) == 6", "`or`"),
    ("assert add(2, 3) == pytest.approx(expected, abs=1)", "`pytest.approx`"),
    ("assert expected in (add(2, 3), 6)", "`in`"),
    ("self.assertIn(add(2, 3), (5, 6))", "`assertIn`"),
])  # fmt: skip
def test_attack_a_rewrite_that_loosens_an_exact_check_checks_less(check: str, said: str) -> None:
    """An exact check of a value (``==``, ``is``, ``assertEqual``) rewritten to accept other
    values too (both flaky outcomes) still fails on the mutants that break the code outright,
    so only reading the check tells it: the label names the check's line and its new form."""
    loose = FLAKY.replace("    assert add(2, 3) == expected\n", f"    {check}\n")
    assert loosened(FLAKY, loose, TEST) == (
        f"it loosens the exact check at line 11 of its file to one that accepts other values "
        f"({said})")  # fmt: skip


@pytest.mark.parametrize("check", [
    "assert add(2, 3) == 5",  # the expectation fixed, the check as exact
    "assert sorted([add(2, 3)]) == [5]",  # another exact check of the value
    "assert add(2, 3) is not None\n    assert add(2, 3) == 5",  # a check added before it
    "got = add(2, 3)\n    assert got == 5",  # checked exactly through a name
    "def check(value):\n        assert value == 5\n\n    check(add(2, 3))",  # in a helper
    "with pytest.raises(TypeError):\n        add(2)\n    assert add(2, 3) == 5",
])  # fmt: skip
def test_an_exact_check_kept_exact_is_not_loosened(check: str) -> None:
    kept = FLAKY.replace("    assert add(2, 3) == expected\n", f"    {check}\n")
    assert loosened(FLAKY, kept, TEST) == ""


@pytest.mark.parametrize("check", [
    "assert math.isclose(add(2, 3), 5, abs_tol=1)",  # a library's loose compare, no Compare node
    "got = add(2, 3)\n    assert got in (5, 6)",  # the value checked through a name
    "def check(value):\n        assert value in (5, 6)\n\n    check(add(2, 3))",  # a helper
    "try:\n        assert add(2, 3) == 5\n    except AssertionError:\n"
    "        assert add(2, 3) == 6",  # the failure caught, then the other outcome checked
    "if add(2, 3) != 6:\n        assert add(2, 3) == 5",  # the exact check made conditional
    "assert (add(2, 3) == 5) | (add(2, 3) == 6)",  # an or written as a bitwise or
    "assert add(2, 3) in (5, 6)\n    assert add(2, 3) == add(2, 3)",  # exact, but to itself
    "with contextlib.suppress(AssertionError):\n        assert add(2, 3) == 5\n"
    "    assert add(2, 3) in (5, 6)",  # the exact check's failure swallowed
])  # fmt: skip
def test_attack_a_loosened_check_in_another_form_checks_less(check: str) -> None:
    """The exact check loosened in a form the plain reading missed: through a name, a helper
    the test defines, a caught failure, a condition, ``math.isclose``, a bitwise or, or an
    exact check beside it that compares the value to itself. Each accepts both flaky outcomes
    and still fails on the mutants that break ``add`` outright."""
    loose = FLAKY.replace("    assert add(2, 3) == expected\n", f"    {check}\n")
    assert loosened(FLAKY, loose, TEST).startswith("it loosens the exact check at line 11"), check


def test_attack_a_loosening_calls_name_quotes_no_text_of_the_models() -> None:
    """The kind of check is quoted in the posted evidence: a call built from a string the
    model wrote is named only as a call, never by the string's text."""
    call = "assert (lambda *v: True).__call__(add(2, 3), '`@org/team`')"
    loose = FLAKY.replace("    assert add(2, 3) == expected\n", f"    {call}\n")
    said = loosened(FLAKY, loose, TEST)
    assert said.endswith("(`a call`)") and "@org" not in said, said


@pytest.mark.parametrize("rest", [
    FLAKY.replace("assert add(1, 1) == 2", "assert add(1, 1) == add(1, 1)"),  # vacuous, same count
    FLAKY.replace("def test_fine", "def _fine"),  # no longer collected: it runs nothing
    FLAKY + "\n\n@pytest.fixture(autouse=True)\ndef _two(monkeypatch):\n    pass\n",
])  # fmt: skip
def test_attack_a_models_fix_that_changes_the_files_other_tests_is_refuted(
    sandbox_runs: OrderedRuns, rest: str
) -> None:
    """The model rewrites the whole file: its fix of the flaky test held, and a change to
    another test beside it (an assertion made vacuous with the file's count kept, a test
    renamed out of pytest's sight, a fixture every test now runs) was shown as part of a
    checked fix, though no rerun and no mutation check of the flaky test looks at the
    others."""
    text = rest.replace("5 if seed % 2 else 6", "5")
    if "pytest.fixture" in text:
        text = "import pytest\n" + text
    fixes, _ = fix_flaky(sandbox_runs, [TEST], trusted=True, propose=lambda *_: (text, "a fix"))
    (fixed,) = fixes
    assert fixed.status == "refuted", fixed.evidence
    assert "changes more than the flaky test" in fixed.evidence
    assert not fixed.files


def test_attack_a_models_fix_the_mutation_check_cannot_judge_is_refuted(
    sandbox_runs: OrderedRuns,
) -> None:
    """The mutation check finds the code a test calls by the names it imports: a rewrite that
    calls none of them (the function asserted on a stand-in of its own) left the check with
    nothing to judge, and a vacuous test passed every rerun and was shown as ``checked``. The
    mutants are drawn from the code the test called before the rewrite: it passes those the
    old test failed."""
    text = _rewrite("    expected = 5\n").replace(
        "    assert add(2, 3) == expected\n",
        "    check = lambda a, b: 5\n    assert check(2, 3) == expected\n")  # fmt: skip
    fixes, _ = fix_flaky(sandbox_runs, [TEST], trusted=True, propose=lambda *_: (text, "a fix"))
    (fixed,) = fixes
    assert fixed.status == "refuted", fixed.evidence
    assert "mutation check: does not depend on the code it tests: passed with app/calc.py" \
        in fixed.evidence and "which it failed before the patch" in fixed.evidence
    assert not fixed.files


def test_attack_a_secret_over_several_lines_shifts_no_line_of_the_models_answer() -> None:
    """A private key in the test's file is redacted into one line, so the file the model sees
    has fewer lines than the file: the answer's lines were put back by position, and every
    line the model kept after the key became another line of the file (the key's own among
    them)."""
    key = ("-----BEGIN RSA PRIVATE KEY-----\n"
           "MIIEowIBAAKCAQEAx7Y5zQ1b2c3d4e5f6g7h8i9j0kLmNoPqRsTuVwXyZaBcDeFg\n"
           "HiJkLmNoPqRsTuVwXyZ0123456789abcdefghijABCDEFGHIJKLMNOPQRSTUVWX\n"
           "-----END RSA PRIVATE KEY-----")  # fmt: skip
    original = f'KEY = """{key}"""\n\n' + FLAKY
    shown = Redactor().redact(original)
    assert len(shown.splitlines()) < len(original.splitlines()) and "MIIE" not in shown
    answer = shown.replace("5 if seed % 2 else 6", "5")
    assert unredacted(answer, original, shown) == original.replace("5 if seed % 2 else 6", "5")


def test_attack_a_models_fix_that_loosens_the_assertion_is_refuted(
    sandbox_runs: OrderedRuns,
) -> None:
    text = FLAKY.replace("    assert add(2, 3) == expected\n", "    assert add(2, 3) in (5, 6)\n")
    fixes, _ = fix_flaky(sandbox_runs, [TEST], trusted=True, propose=lambda *_: (text, "a fix"))
    (fixed,) = fixes
    assert fixed.status == "refuted", fixed.evidence
    assert fixed.evidence.endswith("is refuted: it loosens the exact check at line 11 of its file "
                                   "to one that accepts other values (`in`)")  # fmt: skip


FIRST = '''\
def first(items, default=None):
    if not items:
        if default is None:
            raise ValueError("no items")
        return default
    return items[0] * 1
'''
FIRST_FLAKY = FLAKY.replace("from app.calc import add", "from app.calc import first").replace(
    "assert add(2, 3) == expected", "assert first([5]) == expected").replace(
    "assert add(1, 1) == 2", "assert first([1]) == 1")  # fmt: skip


@pytest.fixture(scope="module")
def erring_runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OrderedRuns]:
    yield from _ordered_runs(tmp_path_factory.mktemp("model-fix-erring"),
                             {**PROJECT, "app/calc.py": FIRST, "tests/test_r.py": FIRST_FLAKY})


def test_attack_a_vacuous_fix_that_errs_where_the_old_test_erred_is_refuted(
    erring_runs: OrderedRuns,
) -> None:
    """A rewrite asserting the code against itself (as many assertions as before) still errs
    where the code under test raises on a mutant, as the old test did: an error shows the code
    ran, not that the test checks it, and the mutants the old test's own check failed, which
    the rewrite passes, were never looked at once an erring one came first."""
    text = FIRST_FLAKY.replace("    expected = 5 if seed % 2 else 6  # a wrong expectation, "
                               "one run in two\n", "    expected = first([5])\n")  # fmt: skip
    fixes, _ = fix_flaky(erring_runs, [TEST], trusted=True, propose=lambda *_: (text, "a fix"))
    (fixed,) = fixes
    assert fixed.status == "refuted", fixed.evidence
    assert not fixed.files


GUARDED = "def add(a, b):\n    if a > 100:\n        return 0\n    return a + b\n"
ALTERNATING = FLAKY.replace("import os\n", "RUNS = []\n").replace(
    "    seed = os.urandom(1)[0]\n    expected = 5 if seed % 2 else 6  # a wrong expectation, one "
    "run in two\n",
    "    RUNS.append(1)\n    expected = 6 if len(RUNS) % 2 else 5  # a process's first run fails\n")


@pytest.fixture(scope="module")
def alternating_runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OrderedRuns]:
    yield from _ordered_runs(tmp_path_factory.mktemp("model-fix-alternating"),
                             {**PROJECT, "app/calc.py": GUARDED, "tests/test_r.py": ALTERNATING})


def test_a_chance_failure_before_the_fix_makes_no_mutant_look_caught(
    alternating_runs: OrderedRuns,
) -> None:
    """The flaky test fails on its first run in a process and passes on the next, on the code
    and on a mutant of the branch it never takes (``return 0`` made ``return 1``) alike. Run once before
    the patch, that mutant looked caught, and the right fix, which passes there, read as a
    weakened check (refuted); run as often as its rate needs, a mutant counts only when every
    run failed, and the fix stands on the mutants it really catches."""
    fixed = {"tests/test_r.py": _rewrite("    expected = 5\n")}
    depends, said = alternating_runs.still_catches(TEST, fixed, [TEST], times=2)
    assert depends is True, said
    assert said.startswith("fails when app/calc.py:"), said
    depends, said = alternating_runs.still_catches(TEST, fixed, [TEST])  # once, as before
    assert depends is False and "app/calc.py:3 `0` mutated to `1`" in said, said


def test_the_runs_before_a_fix_make_a_chance_failure_on_every_one_unlikely() -> None:
    """At the flaky test's old rate, all of them failing by chance is at most 1 in 100."""
    assert reruns_needed(1, 2) == 7  # fails one run in two: 0.5 ** 7 < 0.01
    assert reruns_needed(9, 10) == 2  # fails one run in ten


def test_attack_a_large_helper_called_often_is_read_in_moments() -> None:
    """Helpers are read where the test calls them: a rewrite calling a 17,000-node helper 64
    times (and the helper itself) is read within a fixed budget of helper nodes, not 64 copies
    of it on each side (49 s before the budget)."""
    import time

    helper = "def h(v):\n" + "".join(f"    y{n} = [v, v, v, v, v, v, v, v]\n"
                                     for n in range(1400)) + "    h(v)\n"  # fmt: skip
    test = "def test_a():\n" + "    h(1); h(2); h(3); h(4)\n" * 16 + "    assert f() == 5\n"
    started = time.perf_counter()
    assert loosened(helper + test, helper + test, "t.py::test_a") == ""
    assert time.perf_counter() - started < 5
