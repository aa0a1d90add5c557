"""A go test's set-up read from its text with no Go parser (:mod:`cicd_agent.runners.go.set_up`):
statements end where Go ends them, whatever braces a string or a comment holds (a ``//`` in a
string ends no line's code); checks and
early ends are never moved; the imports the moved statements use are added; a broken file (a
pull request's) gives no statement and no crash; the lines a test calls are its package's."""

from __future__ import annotations

import pytest

from cicd_agent.runners.go import set_up
from cicd_agent.runners.orders import SetUp

CLEANER = """package calc

import (
\t"os"
\tstr "strings"
\t"testing"
)

func TestCleaner(t *testing.T) {
\tSetMode("normal") // a comment with a } in it
\tfor i := 0; i < 2; i++ {
\t\t_ = i
\t}
\tx := Add(
\t\t1,
\t\t2,
\t)
\t/* a { block comment */
\tif Mode != "normal" {
\t\tt.Fatal("reset }")
\t}
\t_ = os.Getenv("X") + `}` + str.ToLower("{")
\tn := 0
\tn++
\tu := "http://x"
\t_ = u +
\t\t"y"
\t_ = x + n
\tdefer SetMode("normal")
\treturn
}
"""
VICTIM = """package calc

import "testing"

func TestVictim(t *testing.T) {
\tif Describe() != "running normally" {
\t\tt.Fatal("x")
\t}
}
"""
CLEANER_ID, VICTIM_ID = "example.com/m/calc.TestCleaner", "example.com/m/calc.TestVictim"


def test_statements_end_where_go_ends_them_and_checks_and_early_ends_stay() -> None:
    moved = set_up.set_up_of({"a": CLEANER, "b": VICTIM}, CLEANER_ID, VICTIM_ID)
    assert moved.why_not == ""
    assert moved.statements == (
        '\tSetMode("normal") // a comment with a } in it',
        "\tfor i := 0; i < 2; i++ {\n\t\t_ = i\n\t}",
        "\tx := Add(\n\t\t1,\n\t\t2,\n\t)",
        '\t_ = os.Getenv("X") + `}` + str.ToLower("{")',
        "\tn := 0", "\tn++", '\tu := "http://x"', '\t_ = u +\n\t\t"y"', "\t_ = x + n",
    )  # fmt: skip
    assert moved.imports == ('"os"', 'str "strings"')


def test_with_set_up_adds_only_the_kept_statements_and_the_imports_they_use() -> None:
    moved = set_up.set_up_of({"a": CLEANER, "b": VICTIM}, CLEANER_ID, VICTIM_ID)
    patched = set_up.with_set_up(VICTIM, VICTIM_ID, moved, {0, 3})
    assert patched == (
        'package calc\n\nimport "os"\nimport str "strings"\n\nimport "testing"\n\n'
        "func TestVictim(t *testing.T) {\n"
        f"\t// set-up moved from {CLEANER_ID}\n"
        '\tSetMode("normal") // a comment with a } in it\n'
        '\t_ = os.Getenv("X") + `}` + str.ToLower("{")\n'
        '\tif Describe() != "running normally" {\n\t\tt.Fatal("x")\n\t}\n}\n'
    )  # fmt: skip
    only_first = set_up.with_set_up(VICTIM, VICTIM_ID, moved, {0})
    assert '"os"' not in only_first  # an import no kept statement uses would not build


def test_a_broken_file_gives_no_statement_and_no_crash() -> None:
    """An unclosed brace or string (a pull request's file) finds no function end."""
    for broken in ('func TestCleaner(t *testing.T) {\n\tx := "unclosed\n',
                   "func TestCleaner(t *testing.T) {\n\tif x {\n", "package calc\n"):  # fmt: skip
        moved = set_up.set_up_of({"a": broken, "b": VICTIM}, CLEANER_ID, VICTIM_ID)
        assert moved.statements == () and moved.why_not
    assert set_up.with_set_up("package calc\n", VICTIM_ID, SetUp(CLEANER_ID, ("\tx()",)), {0}) == ""


def test_the_lines_a_test_calls_are_its_packages_functions_bodies() -> None:
    source = ('package calc\n\nvar Mode = "normal"\n\nfunc Describe() string {\n'
              '\tif Mode == "normal" {\n\t\treturn "running normally"\n\t}\n'
              '\treturn "running in " + Mode\n}\n\nfunc Unused() int {\n\treturn 1\n}\n')  # fmt: skip
    assert set_up.called_lines(VICTIM, VICTIM_ID, {"calc/mode.go": source}) == {
        "calc/mode.go": frozenset({6, 7, 8, 9})}  # fmt: skip


EARLY_ENDS = """package calc

import (
\t"os"
\t"testing"
)

func TestCleaner(t *testing.T) {
\tSetMode("normal")
\tif Mode == "normal" {
\t\treturn
\t}
\tif err := Reset(); err != nil { panic(err) }
\tfunc() { os.Exit(0) }()
\tfor i := 0; i < 1; i++ { runtime.Goexit() }
\tlog.Fatalf("x %d", 1)
\t_ = "return panic(x)"
}
"""


def test_attack_an_early_end_inside_a_statement_is_never_moved() -> None:
    """``if Mode == "normal" { return }`` moved first into the failing test ended it before
    its checks: it passed in every order, and its patch read ``verified``. A statement holding
    an early end anywhere in its code (a block's, a closure's) stays; one in a string moves."""
    moved = set_up.set_up_of({"a": EARLY_ENDS, "b": VICTIM}, CLEANER_ID, VICTIM_ID)
    assert moved.statements == ('\tSetMode("normal")', '\t_ = "return panic(x)"'), moved


HIDDEN_ENDS = """package calc

import (
\trt "runtime"
\t"syscall"
\t"testing"
)

var tb skipper

func TestCleaner(t *testing.T) {
\tSetMode("normal")
\ttb.SkipNow()
\tif Mode == "x" { rt.Goexit() }
\tsyscall.Exit(0)
\tfunc() { tb.Skipf("done") }()
\tExit(0)
}
"""
NAMED_TB = VICTIM.replace("TestVictim(t *testing.T)", "TestVictim(tb *testing.T)").replace(
    "\t\tt.Fatal", "\t\ttb.Fatal"
)


def test_attack_an_early_end_by_another_name_is_never_moved() -> None:
    """The cleaner's own ``tb`` is a package variable, but the failing test's ``*testing.T`` is
    named ``tb``: moved first, ``tb.SkipNow()`` skipped its checks. So did an exit through an
    import's other name (``rt.Goexit``), one no word list named (``syscall.Exit`` ends the test
    binary with status 0 before any check), and a dot import's ``Exit``."""
    moved = set_up.set_up_of({"a": HIDDEN_ENDS, "b": NAMED_TB}, CLEANER_ID, VICTIM_ID)
    assert moved.statements == ('\tSetMode("normal")',), moved


INSIDE_CLEANER = """package calc

import (
\t"strings"
\t"testing"
)

func TestCleaner(t *testing.T) {
\treset()
\tλreset()
\tn := len(mode)
\tSetMode(strings.ToLower("NORMAL"))
\tlabel := "reset()"
\t_ = n
\t_ = Config{name: label}
}
"""
OUTSIDE_VICTIM = """package calc_test

import (
\t"testing"

\t"example.com/m/calc"
)

func reset() { calc.SetMode("lenient") }

func TestVictim(t *testing.T) {
\tif calc.Describe() != "running normally" {
\t\tt.Fatal("x")
\t}
}
"""


def test_attack_an_unexported_name_moved_into_the_external_tests_is_not_read_as_another() -> None:
    """The cleaner, in package ``calc``, calls its package's ``reset``; the failing test's
    external package (``calc_test``) declares a ``reset`` of its own, which no package's name
    can reach across: moved, the cleaner's ``reset()`` built and ran the other one. A statement
    naming an unexported name it does not declare (nor a builtin, an import, a field's key)
    reads otherwise there, and stays; so does one whose first letter is no ASCII one (``λ``)."""
    moved = set_up.set_up_of({"a": INSIDE_CLEANER, "b": OUTSIDE_VICTIM}, CLEANER_ID, VICTIM_ID)
    assert [s.strip() for s in moved.statements] == [
        'calc.SetMode(strings.ToLower("NORMAL"))', 'label := "reset()"',
        "_ = calc.Config{name: label}",
    ], moved
    donor = OUTSIDE_VICTIM.replace(
        "func TestVictim(t *testing.T) {",
        'func TestCleaner(t *testing.T) {\n\treset()\n\tcalc.SetMode("normal")',
    )
    out = set_up.set_up_of({"a": donor, "b": VICTIM}, CLEANER_ID, VICTIM_ID)
    assert [s.strip() for s in out.statements] == ['SetMode("normal")'], out


@pytest.mark.timeout(60)
def test_attack_a_statement_of_very_many_names_is_read_across_packages_in_one_pass() -> None:
    """The names a statement declares were read by a pattern tried from every name, so a
    cleaner's call of 100,000 names held the step for many minutes; a name after a line's end is
    not one the ``:=`` of the next line declares."""
    many = ", ".join(["a"] * 100_000)
    cleaner = INSIDE_CLEANER.replace(
        "\treset()\n",
        f"\tx, y := 1, 2\n\tSetMode(x, y)\n\tSetMode({many})\n\tif x > 0 {{\n\t\tx = mode\n"
        "\t\tz := 1\n\t\t_ = z\n\t}\n",
    )
    moved = set_up.set_up_of({"a": cleaner, "b": OUTSIDE_VICTIM}, CLEANER_ID, VICTIM_ID)
    assert [s.strip() for s in moved.statements][:2] == ["x, y := 1, 2", "calc.SetMode(x, y)"]
    assert not [s for s in moved.statements if "mode" in s or "a, a" in s], moved.statements[2:]
