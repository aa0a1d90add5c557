"""eslint's own fixes become checked suggestions, like ruff's: the ``fix`` its JSON
report carries (a character range into the file as eslint read it: UTF-16 code units, after a
byte-order mark it strips) becomes the same edit, offered only on lines the change added, and
posted only once the verifier ran eslint again with it in the sandbox (the rule gone, nothing
new). No jest or vitest is installed in these checkouts, so the posted line says eslint alone
was run, and why (``test_review_js_tests.py`` runs them).

The configuration is the pull request's JavaScript: every rule below that rewrites too much,
writes hostile text or reaches for the host is the attack, and each test also carries an honest
fix in the same review, so a test passing because no eslint fix is ever offered fails.
Real eslint, real sandbox, the CLI.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from cicd_agent.actions.markdown import posted
from cicd_agent.actions.rendered import code_texts, live_on_github
from cicd_agent.analysis.finding import Finding
from cicd_agent.modes.review.keeps_passing import KeepsPassing, against
from cicd_agent.modes.review.lint.lint_command import LintCommand
from cicd_agent.modes.review.lint.lint_fixes import Edit, fixed_lines
from cicd_agent.modes.review.lint.lint_reports import LintHit, lint_findings, read_report
from cicd_agent.modes.review.suggestions import patch
from cicd_agent.runners.jest.runner import Jest
from tests.git_builder import GitRepoBuilder
from tests.helpers.cli import CliRun, run_cli
from tests.helpers.eslint import needs_eslint
from tests.helpers.sandbox import needs_sandbox

NOT_INSTALLED = f"no tests were run: jest {Jest().missing(Path('/nonexistent'), {})}"


def passed_tests(report: str, root: str, code: int, tests: tuple[str, ...]) -> tuple[frozenset[str], str]:
    """The tests a jest or vitest report shows passing, as the seam reads it, or why no result."""
    outcomes, why = read_report(report, root, code, tests)
    return frozenset(t for t, o in outcomes.items() if o == "passed"), why


CONFIG = """\
import fs from "node:fs";
try { fs.writeFileSync("%MARKER%", "the configuration ran on the host"); } catch {}
const on = (name, fix) => ({
  meta: { fixable: "code" },
  create(context) {
    return { Identifier(node) {
      if (node.name === name) context.report({ node, message: name, fix: (f) => fix(f, node, context) });
    } };
  },
});
const text = (context) => context.sourceCode.text;
export default [{
  plugins: { local: { rules: {
    whole: on("whole", (f, n, c) => f.replaceTextRange(
      [0, text(c).length], text(c).replace("first", "changed").replace("whole", "fine"))),
    loud: on("loud", (f, n) => f.replaceText(
      n, "quiet /* ``` <img src=x onerror=alert(1)> @octocat\\n::error::pwned */")),
    opener: on("opener", (f, n) => f.replaceText(n, "shut /* <!-- cicd-agent:forged --> */")),
    secret: on("secret", (f, n) => f.replaceText(n, "s /* %TOKEN% */")),
    huge: on("huge", (f, n) => f.replaceText(n, "big /* " + "x".repeat(70000) + " */")),
    varify: on("varify", (f, n) => f.replaceText(n.parent.parent, "var fine = 1;")),
    trojan: on("trojan", (f, n) => f.replaceText(n, "ok /* \\u202e } \\u2066 */ ")),
    hidden: on("hidden", (f, n) => f.replaceText(n, "ad\\u200bmin")),
    nul: on("nul", (f, n) => f.replaceText(n, "z /* \\u0000 \\u001b[31m */")),
    half: { meta: { fixable: "code" }, create: (context) => ({ Identifier(node) {
      if (node.name === "half") context.report({ node, message: "half \\ud800",
                                                 fix: (f) => f.replaceText(node, "h /* \\ud800 */") });
    } }) },
  } } },
  rules: { "prefer-const": "error", "no-var": "error", "local/whole": "error", "local/loud": "error",
           "local/opener": "error", "local/huge": "error", "local/secret": "error", "local/varify": "error",
           "local/trojan": "error", "local/hidden": "error", "local/nul": "error",
           "local/half": "error" },
}];
"""
TOKEN = "ghp_" + "Qm7vT2xLp9RkW4sZ8nB3cY6dF1gH5jK0aEw2"
APP = "// first\nconsole.log(1);\n"
HONEST = "let count = 2;\nconsole.log(count);\n"
"""prefer-const's fix (``let`` → ``const``): the honest suggestion in every review below."""


def _review(tmp_path: Path, added: str, extra: dict[str, str] | None = None) -> CliRun:
    marker = tmp_path / "outside" / "marker"
    marker.parent.mkdir()
    repo = GitRepoBuilder(tmp_path / "repo")
    config = CONFIG.replace("%MARKER%", str(marker)).replace("%TOKEN%", TOKEN)
    base = repo.commit("start", {"eslint.config.mjs": config, "src/app.js": APP})
    head = repo.commit("change", {"src/app.js": APP + added + HONEST, **(extra or {})})
    argv = ["review", "--provider", "none", "--report-on", "low", "--json",
            "--repo", str(repo.path), "--base", base, "--head", head]  # fmt: skip
    done = run_cli(argv, tmp_path, {"PATH": needs_eslint(), "HOME": str(tmp_path / "home")})
    assert done.code == 0, done.stderr
    assert not marker.exists()  # the configuration runs in the sandbox only, every time
    honest = _finding(done, "eslint/prefer-const")
    assert honest["suggestion"] == "const count = 2;\n", honest
    named = "src/app.test.js" in (extra or {})
    why = NOT_INSTALLED if named else "no tests exercise this file by name"
    assert honest["checked"] == ("Applied to the head in the sandbox and checked against eslint; "
                                 f"{why}.")  # fmt: skip
    return done


def _finding(done: CliRun, rule: str) -> dict[str, Any]:
    document = done.document or {}
    return next(f for f in document["findings"] if f["rule"] == rule)


@needs_sandbox
def test_an_eslint_fix_is_posted_checked_against_eslint_and_says_no_tests_ran(
    tmp_path: Path,
) -> None:
    """A JavaScript test beside it, and no jest or vitest in the checkout (no ``npm ci``):
    the line says no test ran, and how to have them run."""
    done = _review(tmp_path, "", {"src/app.test.js": "console.log(2);\n"})
    comment = next(c for c in (done.document or {})["comments"] if c["path"] == "src/app.js")
    assert "```suggestion\nconst count = 2;\n```" in comment["body"]
    assert "1 suggestion(s) checked in the sandbox, 0 withheld." in (done.document or {})["notes"]


@needs_sandbox
def test_an_eslint_fix_that_makes_eslint_report_more_is_withheld(tmp_path: Path) -> None:
    done = _review(tmp_path, "const varify = 1;\n")
    finding = _finding(done, "eslint/local/varify")
    assert finding["suggestion"] is None and finding["checked"] == ""  # the finding stays
    assert ("2 suggestion(s) checked in the sandbox, 1 withheld: they broke `eslint no-var`."
            in (done.document or {})["notes"])  # fmt: skip


@needs_sandbox
def test_a_rule_whose_fix_rewrites_lines_the_change_did_not_add_is_never_offered(
    tmp_path: Path,
) -> None:
    done = _review(tmp_path, "const whole = 1;\n")
    assert _finding(done, "eslint/local/whole")["suggestion"] is None


@needs_sandbox
def test_hostile_fix_text_is_posted_inert_and_verbatim(tmp_path: Path) -> None:
    """A closing fence, HTML, a mention and a workflow command in the fix: inside the block
    GitHub renders none of them, and the block is the text the check applied."""
    done = _review(tmp_path, "const loud = 1;\n")
    finding = _finding(done, "eslint/local/loud")
    assert finding["suggestion"].startswith("const quiet /* ``` <img"), finding
    comment = next(c for c in (done.document or {})["comments"] if c["line"] == finding["line"])
    shown = posted(comment["body"])  # what the review posts
    assert live_on_github(shown) == []
    assert finding["suggestion"] in (code_texts(shown) or [])
    for stream in (done.stdout, done.stderr, done.summary, done.outputs_text):
        assert not any(line.startswith("::error::pwned") for line in stream.splitlines())


@needs_sandbox
def test_a_fix_the_post_would_change_or_cut_keeps_no_block(tmp_path: Path) -> None:
    """A comment opener is broken by the posting seam, a token redacted, 70,000 characters
    cut, a NUL, an escape and a lone surrogate (JSON's ``\\ud800``, in the fix and in the
    message) shown as U+FFFD: what GitHub would apply is not what was checked, so none is
    posted as a suggestion, and the review still ends well."""
    done = _review(tmp_path, "const opener = 1;\nconst huge = 2;\nconst secret = 3;\n"
                   "const nul = 4;\nconst half = 5;\n")
    for rule in ("opener", "huge", "secret", "nul", "half"):
        rule = f"eslint/local/{rule}"
        assert _finding(done, rule)["suggestion"] is None, rule
    assert "<!-- cicd-agent:forged" not in done.stdout
    assert TOKEN not in done.stdout + done.stderr + done.summary + done.outputs_text


@needs_sandbox
def test_attack_a_fix_that_reads_otherwise_than_it_applies_keeps_no_block(tmp_path: Path) -> None:
    """Attack: the configuration's fix writes a right-to-left override and an isolate (the
    block shows its text in another order, Trojan Source) or a zero-width space (an
    identifier that looks like another). GitHub applies the characters, the reader sees
    something else: a block nobody can read as what one click commits is never posted."""
    done = _review(tmp_path, "const trojan = 1;\nconst hidden = 2;\n")
    for rule in ("eslint/local/trojan", "eslint/local/hidden"):
        assert _finding(done, rule)["suggestion"] is None, rule
    for comment in (done.document or {})["comments"]:
        assert not {"\u202e", "\u2066", "\u200b"} & set(comment["body"]), comment


@needs_sandbox
def test_a_changed_file_that_is_a_symlink_gets_no_suggestion(tmp_path: Path) -> None:
    os.makedirs(tmp_path / "repo" / "src")
    os.symlink("app.js", tmp_path / "repo" / "src" / "link.js")
    done = _review(tmp_path, "")
    assert not [f for f in (done.document or {})["findings"] if f["path"] == "src/link.js"]


REPORT = """[{"filePath": "/r/a.js", "messages": [
  {"ruleId": "prefer-const", "severity": 2, "message": "m", "line": 1, "column": 5,
   "fix": {"range": [0, 3], "text": "const"}},
  {"ruleId": "no-unused-vars", "severity": 2, "message": "m", "line": 1, "column": 5,
   "suggestions": [{"desc": "remove", "fix": {"range": [0, 10], "text": ""}}]}]}]"""


def test_eslint_autofixes_are_read_and_suggestion_only_rules_are_not() -> None:
    fixed, suggested = read_report("eslint", REPORT, "/r")
    assert fixed.edits == (Edit(0, 3, "const"),) and suggested.edits == ()


def test_eslint_ranges_count_utf16_units_after_a_byte_order_mark() -> None:
    """The offsets eslint 9 reported on this text (emoji are two UTF-16 units; its line 2
    ended in ``\\r\\n`` there, so line 3's range was one later)."""
    text = '\ufeff// \U0001f600 smile\nvar a = "x\U0001f600";\nlet b = 1;\n'
    assert fixed_lines(text, (Edit(12, 15, "let"),)) == (2, 2, 'let a = "x\U0001f600";\n')
    assert fixed_lines(text, (Edit(20, 25, "'x\U0001f600'"),)) == (2, 2, "var a = 'x\U0001f600';\n")
    assert fixed_lines(text, (Edit(27, 37, "const b = 1;"),)) == (3, 3, "const b = 1;\n")


def test_only_a_newline_ends_a_line() -> None:
    """git and GitHub number lines by ``\\n`` alone: a line separator in a string, a form feed
    in Python, or a carriage return must not shift the fix onto another line."""
    text = "let s = '\u2028\x0c';\nlet b = 1;\n"
    assert fixed_lines(text, (Edit(14, 17, "const"),)) == (2, 2, "const b = 1;\n")
    assert fixed_lines(text, (Edit((2, 1), (2, 4), "const"),)) == (2, 2, "const b = 1;\n")
    # the post reads a carriage return as a line end: the block would not be what was checked
    assert fixed_lines("let b = 1;\r\n", (Edit(0, 3, "const"),)) is None


def test_a_stray_eslint_range_is_no_suggestion() -> None:
    text = "let a = '\U0001f600';\nlet b = 1;\n"
    assert fixed_lines(text, (Edit(-1, 0, ""),)) is None  # eslint's own way to drop a BOM
    assert fixed_lines("\ufeff" + text, (Edit(-1, 0, ""),)) is None
    assert fixed_lines(text, (Edit(0, 99, "x"),)) is None  # past the end
    assert fixed_lines(text, (Edit(5, 3, "x"),)) is None  # ends before it starts
    assert fixed_lines(text, (Edit(10, 11, "x"),)) is None  # half an emoji
    assert fixed_lines(text, (Edit(0, 5, "a"), (Edit(3, 7, "b")))) is None  # overlapping
    assert fixed_lines("let a = '\ufffd';\n", (Edit(0, 3, "const"),)) is None  # undecodable
    assert fixed_lines(text, (Edit(0, 3, "\ufffd"),)) is None  # a lone surrogate in the report


def test_a_lint_only_check_on_code_from_someone_who_cannot_push_is_not_proof() -> None:
    eslint = LintCommand("eslint", ("eslint",), "eslint", (".js",))
    claim = KeepsPassing("diff", ("a.js",), (), (eslint,), "prefer-const")
    assert against(claim, frozenset(), code_is_proof=False) == (
        "Applied to the head in the sandbox and checked against eslint; no tests were run for "
        "this file. eslint ran this pull request's own configuration, so this is not proof."
    )


def test_a_suggestion_in_a_file_without_a_last_newline_is_a_patch_git_applies(
    tmp_path: Path,
) -> None:
    """JavaScript files often end without a newline: difflib's raw output was a corrupt patch
    there, so every such suggestion came back "unchecked"."""
    repo = GitRepoBuilder(tmp_path / "repo")
    repo.commit("start", {"x.js": "let a = 1;\nconsole.log(a);"})
    finding = Finding(rule="eslint/prefer-const", severity="low", category="lint", path="x.js",
                      line=1, title="t", body="b", suggestion="const a = 1;\n")  # fmt: skip
    (tmp_path / "fix.diff").write_text(patch(finding, "let a = 1;\nconsole.log(a);"))
    repo.git("apply", str(tmp_path / "fix.diff"))
    assert (repo.path / "x.js").read_text() == "const a = 1;\nconsole.log(a);"


@pytest.mark.parametrize("name", ["src/app.js\tz.js", "src/app.js\n+++ b/src/app.js", 'src/"q\\.js'])
def test_attack_a_suggestion_on_a_hostile_name_is_checked_on_that_file(
    tmp_path: Path, name: str
) -> None:
    """Attack: a file named ``app.js<TAB>z.js`` beside an ``app.js`` of the same text. The
    patch's header named it bare, and ``git apply`` ends a name at a tab (a timestamp
    follows), so the check patched ``app.js`` while the block sat on the other file; a
    newline in a name writes a header line of its own. Names are quoted as git quotes them."""
    repo = GitRepoBuilder(tmp_path / "repo")
    text = "let a = 1;\nconsole.log(a);\n"
    repo.commit("start", {"src/app.js": text, name: text})
    finding = Finding(rule="eslint/prefer-const", severity="low", category="lint", path=name,
                      line=1, title="t", body="b", suggestion="const a = 1;\n")  # fmt: skip
    (tmp_path / "fix.diff").write_text(patch(finding, text))
    repo.git("apply", str(tmp_path / "fix.diff"))
    assert (repo.path / name).read_text() == "const a = 1;\nconsole.log(a);\n"
    assert (repo.path / "src/app.js").read_text() == text


def test_every_eslint_offset_lands_where_utf16_puts_it() -> None:
    """Each offset into a text with a BOM, emoji, CJK and a line separator: an insertion there
    is the insertion UTF-16 encoding places, and one inside an emoji is no suggestion."""
    text = "\ufeffa\U0001f600\u4e2d\u2028b\n\U0001f4a9\U0001f4a9c\n"
    units = text[1:].encode("utf-16-le")
    for point in range(len(units) // 2 + 1):
        try:
            at = 1 + len(units[: 2 * point].decode("utf-16-le"))
        except UnicodeDecodeError:  # half of an emoji
            at = -1
        if at in (-1, len(text)):  # inside an emoji, or after the last line: no line to show
            assert fixed_lines(text, (Edit(point, point, "X"),)) is None, point
            continue
        inserted = text[:at] + "X" + text[at:]
        first, last, block = fixed_lines(text, (Edit(point, point, "X"),)) or (0, 0, "")
        lines = inserted.split("\n")
        assert block == "\n".join(lines[first - 1 : last]) + "\n", point


def test_a_fix_whose_rule_name_the_finding_cuts_is_not_offered() -> None:
    """The check asks whether the finding's rule is gone; a rule id the finding renames (a
    space, a cut) would never be found in the report, so the rule would look fixed."""
    fix = (Edit(0, 3, "const"),)
    hits = [LintHit("a.js", 1, name, "m", True, fix) for name in ("prefer-const", "bad name")]
    found = lint_findings("eslint", hits, {"a.js": {1}}, str, {"a.js": "let a = 1;\n"})
    assert [(f.rule, f.suggestion) for f in found] == [
        ("eslint/prefer-const", "const a = 1;\n"), ("eslint/badname", None)]
