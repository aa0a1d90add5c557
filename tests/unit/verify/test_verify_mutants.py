"""Mutants of a change's lines (a kept test must depend on them), at a glance: what a
person would mutate on each language's line is what is made, a line of comments or imports gives
none, a token inside a string is no operator, the verdict names the line and the mutation, and
a mutant is written only into the copy it is given, never through a link out of it. No runner
here: the gates' runs against mutants are test_gen_tests_gate.py's, test_runner_gate.py's and
test_gate_dependence.py's."""

from __future__ import annotations

import itertools
import os
from pathlib import Path

import pytest

from cicd_agent.local.checkout_files import CheckoutFileError
from cicd_agent.verify import mutants, mutation
from cicd_agent.verify.mutants import MutantResult, Outcome, check, mutated
from cicd_agent.verify.mutation import Mutant
from tests.helpers.plugin_run import plugin_evidence

PY = '''"""Prices."""
import math


def shipping(weight, express=False):
    cost = 4.90  # "a > b" in a comment
    if weight > 2:
        cost += 1.5 * (weight - 2)
    label = "a > b"
    return round(cost, 2) if not express else cost * 2
'''
GO = "package calc\n\nfunc Sign(n int) int {\n\tif n < 0 {\n\t\treturn -1\n\t}\n\treturn 1\n}\n"
TS = ("export function pick<T>(items: Array<T>, n: number): T | undefined {\n"
      "  if (n >= items.length || n < 0) {\n    return undefined;\n  }\n  return items[n];\n}\n")  # fmt: skip
RS = "pub fn sign(n: i32) -> i32 {\n    if n < 0 && !ZERO {\n        return -1;\n    }\n    1\n}\n"


def _shown(path: str, text: str, lines: range) -> list[str]:
    return [str(mutant) for mutant in mutation.mutants(path, text, lines)]


def test_python_conditions_come_first_then_arithmetic_numbers_and_statements() -> None:
    shown = _shown("src/shop.py", PY, range(6, 11))
    assert shown[:4] == [
        "src/shop.py:7 `>` mutated to `<=`",
        "src/shop.py:10 `not` removed",
        "src/shop.py:8 `+=` mutated to `-=`",
        "src/shop.py:6 `4.90` mutated to `5.90`",
    ]
    # a string's or a comment's ``>`` is no operator; a binding is never deleted (every caller
    # fails, a test that checks nothing included); each mutant parses
    assert not any("`a > b`" in s or "label" in s or "cost = 4.90`" in s for s in shown)
    assert "src/shop.py:9 `\"a > b\"` mutated to `\"~a > b\"`" in shown


def test_go_typescript_and_rust_lines_get_their_negated_conditions() -> None:
    assert _shown("calc/sign.go", GO, range(4, 8))[:3] == [
        "calc/sign.go:4 `<` mutated to `>=`", "calc/sign.go:5 `1` mutated to `2`",
        "calc/sign.go:7 `1` mutated to `2`"]  # fmt: skip
    ts = _shown("src/pick.ts", TS, range(1, 7))
    assert ts[0] == "src/pick.ts:2 `>=` mutated to `<`"
    assert not any("`<` mutated" in s and ":1 " in s for s in ts)  # ``Array<T>`` is a generic
    assert "src/pick.ts:2 `if (n >= items.length || n < 0) {` mutated to " \
        "`if (!(n >= items.length || n < 0)) {`" in ts  # fmt: skip
    rs = _shown("src/lib.rs", RS, range(2, 3))
    assert rs[:4] == ["src/lib.rs:2 `<` mutated to `>=`", "src/lib.rs:2 `&&` mutated to `||`",
                      "src/lib.rs:2 `!` removed", "src/lib.rs:2 `if n < 0 && !ZERO {` mutated "
                      "to `if !(n < 0 && !ZERO) {`"]  # fmt: skip


STREAM = """export function createStream(
    callback: (error: Error | null, value: string) => void,
    onItem?: (item: string) => void
): Stream {
    const handler = new Handler(
        (error: Error | null) => callback(error, handler.value),
        onItem
    );
    return new Stream(handler);
}
"""
TOTAL = """export function total(prices: number[], label?: string): string {
    const name: string = label || "total";
    const ready: boolean = !prices.length;
    return `${name}: ${prices.reduce((sum, price) => sum + price, 0) / 100}`;
}
"""


@pytest.mark.parametrize("suffix", [".ts", ".js"])
def test_a_parameter_or_an_argument_on_its_own_line_is_no_statement(suffix: str) -> None:
    # htmlparser2 (set 3): its last parameter and last argument, deleted as statements, were
    # a name undefined or a parameter unused, which ts-jest refused (TS2304, TS6133)
    shown = _shown(f"src/stream{suffix}", STREAM, range(1, 11))
    assert not any(":3 " in s or ":7 " in s for s in shown), shown
    assert f"src/stream{suffix}:9 `return new Stream(handler);` removed" in shown


def test_typescript_mutants_that_keep_the_types_come_first() -> None:
    # ts-jest refuses a mutant that does not type-check: ``||`` made ``&&`` where a string is
    # declared, a ``!`` dropped where a boolean is, a ``+`` that may join strings; JavaScript's
    # order stays the strongest first
    assert _shown("src/total.ts", TOTAL, range(2, 5))[:3] == [
        "src/total.ts:4 `/` mutated to `*`", "src/total.ts:4 `0` mutated to `1`",
        "src/total.ts:4 `100` mutated to `101`"]  # fmt: skip
    assert _shown("src/total.js", TOTAL, range(2, 5))[:3] == [
        "src/total.js:2 `||` mutated to `&&`", "src/total.js:3 `!` removed",
        "src/total.js:4 `+` mutated to `-`"]  # fmt: skip


@pytest.mark.parametrize(("path", "text"), [
    ("src/a.py", "import os\nfrom x import y  # a > b\n# if a > b:\n\n"),
    ("a.go", 'package a\n\nimport (\n\t"fmt"\n)\n// x := 1 + 2\n'),
    ("src/a.js", 'import { x } from "./x";\n// return a + 1;\n/* a > b */\n'),
    ("README.md", "a > b\n"),
])  # fmt: skip
def test_comments_imports_and_unknown_languages_give_no_mutant(path: str, text: str) -> None:
    assert list(mutation.mutants(path, text, range(1, 10))) == []
    assert check([], lambda _: MutantResult(Outcome.KILLED)) == mutants.Dependence(
        None, "could not check dependence: no mutant can be made of the changed lines it runs "
        "(comments, imports or names only)")  # fmt: skip


def test_the_verdict_names_the_mutant_it_failed_on_or_every_one_it_passed() -> None:
    found = list(mutation.mutants("calc/sign.go", GO, range(4, 8)))
    said = iter([MutantResult(Outcome.NO_RESULT), MutantResult(Outcome.SURVIVED),
                 MutantResult(Outcome.KILLED, "sign_test.go › TestSign: sign_test.go:9: got 2"),
                 MutantResult(Outcome.SURVIVED)])  # fmt: skip
    assert check(found, lambda _: next(said)) == mutants.Dependence(
        True, "fails when calc/sign.go:7 `1` mutated to `2` (its check sign_test.go › TestSign: "
        "sign_test.go:9: got 2)", 4)  # the control's run counted  # fmt: skip
    assert check(found, lambda _: MutantResult(Outcome.SURVIVED)) == mutants.Dependence(
        False, "does not depend on the change: passed with calc/sign.go:4 `<` mutated to `>=`; "
        "calc/sign.go:5 `1` mutated to `2`; calc/sign.go:7 `1` mutated to `2` (budget: 3 mutant "
        "runs)", 3)  # fmt: skip
    assert check(found, lambda _: MutantResult(Outcome.NO_RESULT)) == mutants.Dependence(
        None, "could not check dependence: none of 3 mutant(s) built, loaded and ran to an outcome "
        "within the timeout (budget: 3 "
        "mutant runs)", 3)  # fmt: skip


def test_a_kill_needs_a_failure_of_the_candidates_own_tests() -> None:
    def outcome(*said: str, checks: tuple[str, ...] = ()) -> Outcome:
        tests = {f"t{n}": word for n, word in enumerate(said)}
        return mutants.outcome(tests, {f"t{n}": "x.rs:3: assertion failed" for n in checks}).outcome

    assert outcome("passed", "failed", checks=("1",)) is Outcome.KILLED
    assert outcome("passed", "passed") is Outcome.SURVIVED
    assert outcome() is Outcome.NO_RESULT
    assert outcome("passed", "skipped") is Outcome.NO_RESULT
    assert outcome("unseen") is Outcome.NO_RESULT


def test_a_failure_that_is_no_check_of_the_candidates_is_a_crash_not_a_kill() -> None:
    """rust-fnv's ``assert!(h == h || h != h)`` was kept on an overflowing mutant: a
    failure or error its runner read as no check of its own (a panic or exception raised inside
    the code under test) crashed; one failed check among its tests kills, and names it."""
    crashed = mutants.outcome({"a.rs › t": "failed", "a.rs › u": "error"}, {})
    assert crashed == MutantResult(Outcome.CRASHED, "a.rs › t")
    killed = mutants.outcome({"a.rs › t": "failed", "a.rs › u": "failed"},
                             {"a.rs › u": "a.rs:7: assertion failed: h == 3"})  # fmt: skip
    assert killed == MutantResult(Outcome.KILLED, "a.rs:7: assertion failed: h == 3")


def test_a_crash_is_neither_a_kill_nor_a_survival() -> None:
    """A crash is no kill: crashed on one mutant and passed on another, it does not depend on
    the change (each run named); crashed on every one, it could not be checked (a crash shows it
    ran the change, not whether it checks it: set 4's countUp, whose one mutant crashed, lost its
    right candidate when that dropped it); one that fails its own check on a mutant is still
    kept although another mutant crashed it first."""
    found = list(mutation.mutants("calc/sign.go", GO, range(4, 8)))
    said = iter([MutantResult(Outcome.CRASHED, "sign_test.go › TestSign"), MutantResult(Outcome.SURVIVED),
                 MutantResult(Outcome.NO_RESULT)])  # fmt: skip
    assert check(found, lambda _: next(said)) == mutants.Dependence(
        False, "does not depend on the change: no check of its failed with calc/sign.go:4 `<` "
        "mutated to `>=`: sign_test.go › TestSign crashed in the code under test (an error, not "
        "its assertion); passed with calc/sign.go:5 `1` mutated to `2` (budget: 3 mutant runs)",
        3)  # fmt: skip
    crashed = check(found, lambda _: MutantResult(Outcome.CRASHED, "t"))
    assert crashed.depends is None and crashed.label.startswith(
        "could not check dependence: no check of its failed with calc/sign.go:4 `<` mutated to "
        "`>=`: t crashed in the code under test"), crashed  # fmt: skip
    assert crashed.label.endswith("which shows it runs the change, not that it checks it (budget:"
                                  " 3 mutant runs)")  # fmt: skip
    right = iter([MutantResult(Outcome.CRASHED, "t"),
                  MutantResult(Outcome.KILLED, "t: sign_test.go:9: got 2"),
                  MutantResult(Outcome.SURVIVED)])  # the control passes  # fmt: skip
    assert check(found, lambda _: next(right)) == mutants.Dependence(
        True, "fails when calc/sign.go:5 `1` mutated to `2` (its check t: sign_test.go:9: got 2)",
        3)  # fmt: skip


def test_a_mutant_is_written_into_the_copy_and_the_file_restored_after(tmp_path: Path) -> None:
    (tmp_path / "calc").mkdir()
    source = tmp_path / "calc" / "sign.go"
    source.write_text(GO)
    os.utime(source, ns=(1_000_000_000, 1_000_000_000))
    [first, *_] = mutation.of_lines(tmp_path, {"calc/sign.go": range(4, 5)})
    with mutated(tmp_path, first):
        assert "if n >= 0 {" in source.read_text()
        assert source.stat().st_mtime_ns != 1_000_000_000  # a compiled copy is not reused
    assert (source.read_text(), source.stat().st_mtime_ns) == (GO, 1_000_000_000)


def test_attack_a_source_that_is_a_link_out_of_the_copy_is_never_written(tmp_path: Path) -> None:
    """Attack: the pull request's changed file is a link to a file outside the sandbox's copy
    (the checkout the copy was made from): no mutant is made of it, and writing one is
    refused without touching the link's target."""
    outside, copy = tmp_path / "outside.go", tmp_path / "copy"
    outside.write_text(GO)
    (copy / "calc").mkdir(parents=True)
    os.symlink(outside, copy / "calc" / "sign.go")
    assert list(mutation.of_lines(copy, {"calc/sign.go": range(4, 5)})) == []
    mutant = Mutant("calc/sign.go", 4, "<", ">=", GO.index("<"), GO)
    with pytest.raises(CheckoutFileError), mutated(copy, mutant):
        pass
    assert outside.read_text() == GO


def test_a_returned_value_is_negated_and_a_fallback_swapped_but_no_half_statement_deleted() -> None:
    """Real lines where no other mutant builds: Go's last ``return ok`` (deleting it does not
    compile), and entities' ``): number => input.codePointAt(index) ?? Number.NaN;`` (the end
    of a statement begun lines above)."""
    go = "func (e *E) Is(target error) bool {\n\t_, ok := target.(*E)\n\treturn ok\n}\n"
    assert _shown("retry.go", go, range(1, 5))[0] == "retry.go:3 `return ok` mutated to `return !(ok)`"
    ts = "export const f = (\n    index: number,\n): number => input.at(index) ?? Number.NaN;\n"
    assert _shown("src/escape.ts", ts, range(3, 4)) == ["src/escape.ts:3 `??` mutated to `&&`"]


def test_attack_a_changed_line_cannot_end_the_code_span_its_mutant_is_named_in() -> None:
    """Attack: the pull request's line holds backticks, so the verdict quoting it in a code
    span (`` `…` ``) would end the span and put the rest in the summary as Markdown."""
    js = 'log("`</code>[x](https://evil.example)`");\n'
    [mutant] = [m for m in mutation.mutants("src/a.js", js, [1]) if m.after == ""]
    assert str(mutant) == "src/a.js:1 `log(\"'</code>[x](https://evil.example)'\");` removed"


def test_attack_a_test_failing_on_any_change_of_the_file_is_not_kept() -> None:
    """Attack: a candidate that compares the changed file's hash, size or time with
    the head's, or knows a mutant's run by its folder, fails on every mutant without testing
    what the change computes. After a kill it runs once more on the control, the file with a
    blank line added (which changes no behaviour): failing there too, it is dropped; a right
    test passes the control and is kept."""
    found = list(mutation.mutants("calc/sign.go", GO, range(4, 8)))
    ran: list[str] = []

    def detector(mutant: Mutant) -> MutantResult:
        ran.append(mutant.text)
        return MutantResult(Outcome.SURVIVED if mutant.text == GO else Outcome.KILLED, "t: x_test.go:3: x")

    verdict = check(found, detector)
    assert (verdict.depends, verdict.runs) == (False, 2), verdict
    assert verdict.label.endswith("a blank line is added at the end of calc/sign.go, which "
                                  "changes no behaviour (it checks the file, not the code)")
    assert ran[1] == GO + "\n"  # the control: the head's text, one blank line more
    right = check(found, lambda mutant: MutantResult(Outcome.SURVIVED) if mutant.after == "\n"
                  else MutantResult(Outcome.KILLED, "t: x_test.go:3: x"))  # fmt: skip
    assert right == mutants.Dependence(
        True, "fails when calc/sign.go:4 `<` mutated to `>=` (its check t: x_test.go:3: x)", 2)
    unread = check(found, lambda mutant: MutantResult(Outcome.NO_RESULT, "it timed out")
                   if mutant.after == "\n" else MutantResult(Outcome.KILLED, "t"))  # fmt: skip
    assert (unread.depends, unread.runs) == (None, 2)
    assert unread.label.endswith("control run (calc/sign.go with a blank line added) is no "
                                 "result (it timed out)")  # a recurrence says why


@pytest.mark.parametrize("path", ["big.py", "big.js"])
def test_attack_thousands_of_changed_operators_make_only_the_mutants_a_check_runs(
    path: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Attack: 1,000 changed lines of ten additions each. Each of their 9,000 mutants
    held a copy of the file (a 200 KB module took 4 GiB; a 1 MB one would take 100 GiB), and
    each Python mutant was parsed whole (4,000 lines: over 5 minutes): only the mutants a
    check takes are built and parsed now (mut65 made them lazy at the same time)."""
    text = "".join(f"x{i} = a+a+a+a+a+a+a+a+a+a\n" for i in range(1000))
    parsed: list[str] = []
    monkeypatch.setattr(mutation, "_parses", lambda text: parsed.append(text) or True)
    (tmp_path / path).write_text(text)
    found = list(itertools.islice(mutation.of_lines(tmp_path, {path: range(1, 1001)}),
                                  mutants.BUDGET + 1))  # as check() takes them
    assert len(parsed) == (mutants.BUDGET + 1 if path.endswith(".py") else 0)
    assert str(found[0]) == f"{path}:1 `+` mutated to `-`" and found[0].text.startswith("x0 = a-a+")


def test_attack_a_long_changed_line_gets_its_tokens_mutants_only() -> None:
    """Attack: a ``return`` line of 40,000 spaces took 6 s in the statement patterns
    (quadratic: a minified file's megabyte line would stall the gate for hours): a line
    longer than :data:`MAX_LINE` gets no statement's mutant, its operators' still."""
    text = "function f(a) {\n  return a" + " " * 40_000 + "+ b\n}\n"
    assert _shown("m.js", text, range(2, 3)) == ["m.js:2 `+` mutated to `-`"]


def test_attack_a_tautology_is_not_kept_by_a_mutant_that_raises(tmp_path: Path) -> None:
    """Attack: ``first([5])`` then ``assert True`` checks nothing; the change's first
    mutant makes ``first`` raise, so the candidate failed on it and passed the control: it was
    kept as depending on the change. Run by pytest with gen-tests' plugin, the ``IndexError``
    raised in ``first`` is no check of the test's: a crash, and on the next mutant it passes."""
    source = "def first(items):\n    return items[0]\n"
    (tmp_path / "first.py").write_text(source)
    (tmp_path / "test_first.py").write_text(
        "from first import first\n\n\ndef test_runs():\n    first([5])\n    assert True\n")

    def run(mutant: Mutant) -> MutantResult:
        with mutated(tmp_path, mutant):
            said = plugin_evidence(tmp_path, "test_first.py")
        tests, checks = said["tests"], said["checks"]
        assert isinstance(tests, dict) and isinstance(checks, dict)
        return mutants.outcome(tests, checks)

    found = list(mutation.of_lines(tmp_path, {"first.py": [2]}))
    assert str(found[0]) == "first.py:2 `0` mutated to `1`"
    verdict = check(found, run)
    assert verdict.depends is False, verdict  # it crashed on one and passed the other
    assert verdict.label.startswith("does not depend on the change: no check of its failed with "
                                    "first.py:2 `0` mutated to `1`: test_first.py::test_runs "
                                    "crashed in the code under test")  # fmt: skip


RUNES = """package sh

func unescape(r rune) rune {
\tx := r
\tif r == 't' {
\t\tx = '\\t'
\t}
\treturn x
}
"""


def test_a_go_assignment_is_deleted_and_a_rune_becomes_another_rune() -> None:
    """Two mutants that build where the only changed lines assign a rune (a real Go change
    whose every mutant, an invalid rune literal, failed to build, so its tautology was kept as
    "could not check dependence"): ``x = '\\t'`` assigns a name declared above (deleting it
    builds; a ``:=`` binding never goes), and ``'\\t'`` becomes ``'~'``, never ``'~\\t'``."""
    assert _shown("sh/sh.go", RUNES, range(6, 7)) == [
        "sh/sh.go:6 `x = '\\t'` removed", "sh/sh.go:6 `'\\t'` mutated to `'~'`"]  # fmt: skip
    assert not any(":4 " in s and "removed" in s for s in _shown("sh/sh.go", RUNES, range(4, 5)))


def test_attack_a_patched_test_that_only_errs_where_the_old_one_erred_is_not_proof() -> None:
    """Attack: every mutant the unpatched test failed only made the code raise, and the
    patched test raises there too; a test made to check nothing errs there as well, so the
    dependence is unjudged, never shown."""
    source = "def first(items):\n    return items[0]\n"  # the test calls first([5])
    found = [Mutant("app/calc.py", 2, "0", "1", source.index("0"), source)]  # IndexError

    def erred(mutant: Mutant) -> MutantResult:
        if mutant.after == "\n":  # the control: a blank line added, the test passes
            return MutantResult(Outcome.SURVIVED)
        return MutantResult(Outcome.CRASHED, "tests/test_r.py::test_a")

    said = mutants.still_fails(found, erred, erred)
    assert said.depends is None, said.label  # checked at most: never verified on an error
    assert said.label.startswith("could not check dependence: tests/test_r.py::test_a erred in "
                                 "the code under test when app/calc.py:2 `0` mutated to `1`")


@pytest.mark.parametrize("weakened_first", [True, False])
def test_attack_a_patch_that_weakens_one_of_two_checks_is_refuted(weakened_first: bool) -> None:
    """Attack: the unpatched test failed on two mutants; the patch drops the assertion that
    caught one of them and keeps the one that caught the other. Whichever mutant came first,
    the one it now passes refutes it: a weakened test is no fix, though it still catches
    something."""
    source = "def area(w, h):\n    return w * h + 0\n"
    times, plus = (Mutant("app/calc.py", 2, op, into, source.index(op), source)
                   for op, into in (("*", "/"), ("+", "-")))  # fmt: skip
    found = [times, plus] if weakened_first else [plus, times]

    def before(mutant: Mutant) -> MutantResult:
        return MutantResult(Outcome.KILLED, "tests/test_calc.py:4: assert 6 == 5")

    def after(mutant: Mutant) -> MutantResult:
        if mutant in (times, times.neutral(), plus.neutral()):  # the `*` check is gone
            return MutantResult(Outcome.SURVIVED)
        return MutantResult(Outcome.KILLED, "tests/test_calc.py:5: assert 1 == 2")

    said = mutants.still_fails(found, before, after)
    assert said.depends is False, said.label
    assert "app/calc.py:2 `*` mutated to `/`" in said.label


def test_a_test_that_errs_under_several_mutants_is_named_once() -> None:
    """A patched test that erred under three mutants is named once with the three, not three
    times with the same words (a new user's fix-flaky line read it thrice)."""
    source = "def first(a, b, c):\n    return not a\n    return not b\n    return not c\n"
    found = [Mutant("app/calc.py", n, "not", "", source.index("not", 20 * (n - 2)), source)
             for n in (2, 3, 4)]  # fmt: skip

    def erred(mutant: Mutant) -> MutantResult:
        if mutant.after == "\n":
            return MutantResult(Outcome.SURVIVED)
        return MutantResult(Outcome.CRASHED, "tests/test_r.py::test_a")

    label = mutants.still_fails(found, erred, erred).label
    assert label.count("tests/test_r.py::test_a") == 1, label
    assert label.count("as it did before the patch") == 1, label
    assert all(f"app/calc.py:{n} " in label for n in (2, 3, 4)), label
