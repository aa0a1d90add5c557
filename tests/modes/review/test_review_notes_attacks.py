"""Attacks on a compiler's notes read with its error, and on the placing of an error that names
a function of one letter: the pull request writes the code, so it writes what go vet, mypy and
tsc print about it. Each message here is the real go vet's where go is on the machine."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from cicd_agent.actions.markdown import neutralise
from cicd_agent.analysis.diff import parse_diff
from cicd_agent.modes.review.lint import placer
from cicd_agent.modes.review.lint.build_errors import BuildError, build_findings, changed_words
from cicd_agent.modes.review.lint.compile_errors import MAX_MESSAGE, go_type_errors
from cicd_agent.modes.review.lint.lint_reports import UnreadableReport, read_report
from tests.git_builder import GitRepoBuilder
from tests.helpers.cli import run_cli
from tests.helpers.gen_tests import path_env
from tests.helpers.sandbox import needs_sandbox
from tests.helpers.toolchains import needs_go

GO_MOD = "module example.com/m\n\ngo 1.19\n"


def _vet(root: Path, files: dict[str, str]) -> str:
    """go vet's standard error on ``files``, as review runs it (``-json``)."""
    go = shutil.which("go")
    if go is None:
        pytest.skip("no go here")
    for name, text in {"go.mod": GO_MOD, **files}.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    done = subprocess.run(
        [go, "vet", "-json", "./..."], cwd=root, capture_output=True, text=True,
        check=False, timeout=300,
        env={**os.environ, "GOPROXY": "off", "GOFLAGS": "", "GOTOOLCHAIN": "local",
             "GOCACHE": str(root.parent / "gocache"), "HOME": str(root.parent)},
    )  # fmt: skip
    return done.stderr


def _change(
    tmp_path: Path, before: dict[str, str], after: dict[str, str]
) -> tuple[dict[str, dict[int, str]], dict[str, dict[int, frozenset[str]]]]:
    """The added lines and their changed words of a real ``git diff`` from ``before`` to
    ``after``, as review reads them."""
    repo = GitRepoBuilder(tmp_path / "repo")
    base = repo.commit("start", dict(before))
    head = repo.commit("change", dict(after))
    diff = parse_diff(repo.git("diff", base, head))
    added = {f.path: dict(f.added_lines()) for f in diff.files}
    return added, {f.path: changed_words(f) for f in diff.files}


def _errors(text: str, root: Path) -> list[BuildError]:
    hits = read_report("go vet", text, str(root))
    return [BuildError(h.path, h.line, h.code, h.message, h.related) for h in hits]


def _clean(text: str) -> str:
    return neutralise(text)


TAGGED = """package m

func H(t struct {
	X int "@admin <b>x</b> `tick` [l](http://evil.example) \\x1b[31m \\n\\n# head <!-- c"
}, u int) {}

func K() { H(1) }
"""


@needs_go
def test_attack_markup_in_gos_notes_is_posted_inert(tmp_path: Path) -> None:
    """ATTACK: a struct tag is part of a type, so go vet's "want (struct{X int "…"}, int)"
    note prints the pull request's text: a mention, HTML, a link, backticks, an escape. The
    finding says it neutralised and bounded, as the error's own words are."""
    (tmp_path / "m").mkdir()
    text = _vet(tmp_path / "m", {"a.go": TAGGED})
    assert "\twant (struct{X int" in text, text
    errors = _errors(text, tmp_path / "m")
    assert len(errors) == 1 and "@admin <b>x</b>" in errors[0].message, errors
    (finding,), _, _ = build_findings("go vet", errors, {"a.go": {7: "func K() { H(1) }"}}, _clean)
    shown = finding.title + finding.body
    assert "@admin" not in shown and "<b>" not in shown and "<!--" not in shown, shown
    assert "](http://evil.example)" not in shown and "\x1b" not in shown, shown
    assert "\n" not in shown and len(finding.title) <= 200 and len(finding.body) < 1_000


def _flood(errors: int, notes: int, width: int) -> str:
    """go vet's output shaped as it prints a package that does not type-check, each error with
    ``notes`` tab-indented lines of ``width`` characters, then one error with a hundred
    thousand notes, then a last error after them all."""
    note = "\t" + ("want (" + "x" * width + ")")[:width]
    lines = ["# example.com/m"]
    for n in range(errors):
        lines.append(f"vet: ./a.go:{n + 1}:2: not enough arguments in call to F{n}")
        lines += [note] * notes
    lines.append("vet: ./b.go:1:2: cannot use x (variable of type int) as string value")
    lines += [note] * 100_000
    lines.append("vet: ./c.go:9:2: undefined: Last")
    return "\n".join(lines) + "\n"


def test_attack_a_flood_of_go_notes_stalls_nothing_and_loses_no_error(tmp_path: Path) -> None:
    """ATTACK: 10 MB of go vet's output, twenty thousand errors each with notes and one error
    with a hundred thousand of them: read at once (no joining in the square of the notes),
    every error kept, the last one too, each message bounded."""
    text = _flood(20_000, 4, 60)
    assert len(text) > 10_000_000
    started = time.monotonic()
    hits = read_report("go vet", text, str(tmp_path))
    took = time.monotonic() - started
    assert len(hits) == 20_002 and (hits[-1].path, hits[-1].line) == ("c.go", 9)
    assert hits[-1].message == "undefined: Last"
    assert max(len(hit.message) for hit in hits) <= MAX_MESSAGE
    assert took < 10, took  # about 1 s on a loaded machine


def test_attack_a_flood_of_go_notes_is_placed_in_bounded_time(tmp_path: Path) -> None:
    """ATTACK: the flood's twenty thousand errors, each message grown by its notes, placed over
    a diff declaring every function they name: the placing ends in bounded time, its findings
    bounded (fifty: the first are the causes), the two errors no line explains counted."""
    hits = read_report("go vet", _flood(20_000, 4, 60), str(tmp_path))
    errors = [BuildError(h.path, h.line, h.code, h.message) for h in hits]
    added = {"d.go": {n + 1: f"func F{n}(a, b int) {{}}" for n in range(20_000)}}
    started = time.monotonic()
    found, unexplained, unplaced = build_findings("go vet", errors, added, _clean)
    took = time.monotonic() - started
    # the last two name no declared function: on no line, and counted
    assert (len(found), unexplained, unplaced) == (50, 2, 0)
    assert took < 20, took  # about 3 s on a loaded machine


def test_attack_a_note_shaped_like_an_error_does_not_hide_an_unread_line() -> None:
    """ATTACK: every line go vet prints that is neither its report nor an error it reads means
    a package went unchecked. A line indented as a note is read as the error above it: one
    shaped like an error must not count as an error read, making up for the line not read."""
    text = "# example.com/m\ngo: something review cannot read\n\t./a.go:3:1: looks like one\n"
    with pytest.raises(UnreadableReport):
        read_report("go vet", text, "/r")
    assert go_type_errors(["\t./a.go:3:1: looks like one"]) == []


DECLARED = "package m\n\nfunc F(a int64) int64 { return a }\n"
CALLER = "package m\n\n// have want number: the words of a note\nfunc G() int64 {\n" + (
    "\treturn F(1)\n}\n"
)


@needs_go
@pytest.mark.xfail(
    strict=True,
    reason="open: an added line of the error's own file goes first if its change took away "
    "any plain word of the message (the notes' have, want, number too), before the "
    "declaration in another file",
)
def test_attack_the_notes_words_do_not_move_the_error_off_the_declaration(
    tmp_path: Path,
) -> None:
    """ATTACK: ``func F(a int64)`` made ``func F(a, b int64)`` in a.go breaks the call in b.go.
    The pull request also rewrites a comment in b.go that held the words go vet's notes say
    ("have", "want", "number"): the error must stay on the declaration that caused it."""
    before = {"go.mod": GO_MOD, "a.go": DECLARED, "b.go": CALLER}
    after = {"a.go": DECLARED.replace("(a int64)", "(a, b int64)"),
             "b.go": CALLER.replace("have want number: the words of a note", "ok")}  # fmt: skip
    (tmp_path / "m").mkdir()
    errors = _errors(_vet(tmp_path / "m", {**before, **after}), tmp_path / "m")
    assert [(e.path, e.line) for e in errors] == [("b.go", 5)], errors
    assert "have (number) want (int64, int64)" in errors[0].message
    added, changed = _change(tmp_path, before, after)
    (finding,), _, _ = build_findings("go vet", errors, added, _clean, changed)
    assert (finding.path, finding.line) == ("a.go", 3)


PACKAGE = "package m\n\nfunc F(a int) int { return a }\n"
USES = "package m\n\n" + "// filler\n" * 16 + "func G() int {\n\treturn F(1)\n}\n"
FILLER = "// filler\n" * 16
DECOYS = {
    "another package": ("z/z.go", f"package z\n\n{FILLER}func F(a, b int) {{}}\n"),
    "a file go does not build": (
        "y.go",
        f"//go:build ignore\n\npackage m\n{FILLER[10:]}func F(a, b int) {{}}\n",
    ),
    "the package's external tests": ("m_test.go", f"package m_test\n\n{FILLER}func F() {{}}\n"),
    "a method of that name": (
        "t.go",
        f"package m\n\ntype T struct{{}}\n{FILLER[10:]}func (T) F(a, b int) {{}}\n",
    ),
    "a raw string's line": (
        "r.go",
        f"package m\n\nvar s = `\n{FILLER[20:]}func F(a, b int) {{}}\n`\n",
    ),
    "a block comment's line": (
        "c.go",
        f"package m\n\n/*\n{FILLER[20:]}func F(a, b int) {{}}\n*/\n",
    ),
}


OPEN = pytest.mark.xfail(
    strict=True,
    reason="open: a line read alone that opens with `func F` (another package's, a file go "
    "does not build, a method, a line inside a raw string) takes the error as the declaration "
    "does, and a new file's words all count as changed",
)
HELD = {"a block comment's line"}  # an added block comment's lines are comment, never code


@needs_go
@pytest.mark.parametrize(
    "decoy", [pytest.param(d, marks=() if d in HELD else OPEN) for d in sorted(DECOYS)]
)
def test_attack_a_one_letter_name_declared_elsewhere_does_not_take_the_error(
    tmp_path: Path, decoy: str
) -> None:
    """ATTACK: the change narrows ``func F`` in package m (a.go:3); the pull request also adds
    a line opening with ``func F`` that is not m's function, nearer the caller's line. go vet's
    error at b.go:20 is about m's F: it must stay on a.go:3."""
    path, text = DECOYS[decoy]
    before = {"go.mod": GO_MOD, "a.go": PACKAGE, "b.go": USES}
    after = {"a.go": PACKAGE.replace("(a int)", "(a, b int)"), path: text}
    (tmp_path / "m").mkdir()
    errors = _errors(_vet(tmp_path / "m", {**before, **after}), tmp_path / "m")
    assert [(e.path, e.line) for e in errors] == [("b.go", 20)], errors
    added, changed = _change(tmp_path, before, after)
    (finding,), _, _ = build_findings("go vet", errors, added, _clean, changed)
    assert (finding.path, finding.line) == ("a.go", 3)


GENERIC = "package m\n\nfunc F[T any](a T) T { return a }\n"


@needs_go
def test_attack_a_generic_one_letter_function_holds_its_callers_error(tmp_path: Path) -> None:
    """ATTACK: ``func F[T any]`` (its type parameter a letter too, in go vet's "want (T, T)")
    made to take two arguments: the error at the unchanged caller is on the declaration."""
    before = {"go.mod": GO_MOD, "a.go": GENERIC, "b.go": USES}
    after = {"a.go": GENERIC.replace("(a T)", "(a, b T)")}
    (tmp_path / "m").mkdir()
    errors = _errors(_vet(tmp_path / "m", {**before, **after}), tmp_path / "m")
    assert [(e.path, e.line) for e in errors] == [("b.go", 20)], errors
    added, changed = _change(tmp_path, before, after)
    (finding,), _, _ = build_findings("go vet", errors, added, _clean, changed)
    assert (finding.path, finding.line) == ("a.go", 3)


STRINGS = "package m\n\nfunc G(s string) {}\n"
CALLS = 'package m\n\nfunc K() {\n\tG("F")\n}\n'


@needs_go
@pytest.mark.xfail(
    strict=True,
    reason='open: a letter Go quotes as a string\'s value ("F") is read as a name, so a line '
    "declaring func F takes an error that is about G",
)
def test_attack_a_quoted_string_of_one_letter_is_no_name(tmp_path: Path) -> None:
    """ATTACK: ``func G(s string)`` made ``func G(n int)`` breaks ``G("F")``; go vet says
    ``cannot use "F" (untyped string constant) as int value in argument to G``. The pull
    request adds ``func F`` in a new file: the letter Go quotes is a string, not the name, and
    the error must stay on G's changed declaration."""
    before = {"go.mod": GO_MOD, "a.go": STRINGS, "b.go": CALLS}
    after = {"a.go": STRINGS.replace("(s string)", "(n int)"), "c.go": "package m\n\nfunc F() {}\n"}
    (tmp_path / "m").mkdir()
    errors = _errors(_vet(tmp_path / "m", {**before, **after}), tmp_path / "m")
    assert [(e.path, e.line) for e in errors] == [("b.go", 4)], errors
    assert '"F" (untyped string constant)' in errors[0].message
    added, changed = _change(tmp_path, before, after)
    (finding,), _, _ = build_findings("go vet", errors, added, _clean, changed)
    assert (finding.path, finding.line) == ("a.go", 3)


def _placing(declare: str, said: str) -> tuple[float, int]:
    """Seconds and errors left unplaced for a thousand errors each naming the letters or
    names ``said``, over a diff of twenty thousand added declarations."""
    added: dict[str, dict[int, str]] = {f"p{n}.go": {} for n in range(50)}
    for n in range(20_000):
        added[f"p{n % 50}.go"][n] = declare.format(chr(ord("a") + n % 26))
    errors = [BuildError("x.go", 9, "typecheck", said) for _ in range(1_000)]
    started = time.monotonic()
    unplaced = build_findings("go vet", errors, added, str)[2]
    return time.monotonic() - started, unplaced


def test_attack_many_quoted_letters_over_a_diff_of_letters_cost_what_long_names_do(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """ATTACK: a message quoting every letter, over a diff of one-letter declarations: the
    placing stops at MAX_WORK as it does for long names, in about the same time, and counts
    the errors it left unplaced (the bound made a tenth here, to be reached in a test)."""
    monkeypatch.setattr(placer, "MAX_WORK", 200_000)
    quoted = " ".join(f'"{chr(ord("a") + n)}"' for n in range(26))
    short = _placing("func {}(a int) {{}}", f"Too few arguments for {quoted}")
    longer = _placing("func Name{}(a int) {{}}", "Too few arguments for " + " ".join(
        f'"Name{chr(ord("a") + n)}"' for n in range(26)))  # fmt: skip
    # each error looks at every declaration once: past the bound the rest are counted
    assert short[1] == longer[1] == 1_000 - 200_000 // 20_000 - 1, (short, longer)
    assert short[0] < 3 * longer[0] + 1, (short, longer)


TAG = '"@admin <b>x</b> `tick` [l](http://evil.example) \\x1b[31m <!-- c"'
TYPED = f"package m\n\ntype S = struct {{\n\tX int {TAG}\n}}\n\nfunc H(t S) {{}}\n\n" + (
    "func K() {\n\tH(S{})\n}\n"
)


@needs_go
@needs_sandbox
def test_attack_markup_in_gos_notes_through_the_review_cli(tmp_path: Path) -> None:
    """ATTACK, end to end: the change gives ``H`` a second parameter; go vet's note on the
    unchanged caller prints the struct tag's mention, HTML and link. The real review posts one
    high finding on the changed signature, its words inert."""
    where = os.pathsep.join([str(Path(shutil.which("go") or "go").parent), path_env()])
    changed = TYPED.replace("func H(t S)", "func H(t S, u int)")
    repo = GitRepoBuilder(tmp_path / "repo")
    base = repo.commit("start", {"go.mod": GO_MOD, "a.go": TYPED})
    head = repo.commit("change", {"a.go": changed})
    argv = ["review", "--provider", "none", "--json", "--fail-on", "high",
            "--repo", str(repo.path), "--base", base, "--head", head]  # fmt: skip
    done = run_cli(argv, tmp_path, {"PATH": where, "HOME": str(tmp_path / "home")})
    assert done.document is not None, done.stderr
    (found,) = [f for f in done.document["findings"] if f["rule"] == "go vet/typecheck"]
    assert (found["path"], found["line"], found["severity"]) == ("a.go", 7, "high")
    shown = str(found["title"]) + str(found["body"])
    assert "want (struct{X int" in shown, shown
    assert "@admin" not in shown and "<b>" not in shown and "<!--" not in shown, shown
    assert "](http://evil.example)" not in shown, shown
    assert done.code == 1


def test_attack_control_characters_in_a_chain_of_reasons_are_not_posted() -> None:
    """ATTACK: tsc's chain of reasons quotes the pull request's names and literal types; an
    escape, a NUL, a bell or a terminal link in them reaches the finding as nothing live."""
    text = (
        "src/a.ts(3,1): error TS2322: Type 'A' is not assignable to type 'B'.\n"
        "  Types of property '\x1b[2J\x07x @admin' are incompatible.\n"
        "    Type '\"a\x00b\x1b]8;;http://evil.example\x07\"' is not assignable to type 'string'.\n"
    )
    hits = read_report("tsc", text, "/r")
    errors = [BuildError(h.path, h.line, h.code, h.message) for h in hits]
    (finding,), _, _ = build_findings("tsc", errors, {"src/a.ts": {3: "x"}}, _clean)
    shown = finding.title + finding.body
    assert "are incompatible" in shown and "is not assignable to type 'string'" in shown
    assert not any(ord(c) < 32 or c == "\x7f" for c in shown), repr(shown)
    assert "@admin" not in shown, shown
