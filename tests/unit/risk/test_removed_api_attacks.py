"""The deleted-name rule under a hostile pull request: no diff stalls it (huge, many deletions,
long lines, binary), a comment or a string naming a declaration does not hide a removal, a file
named so git quotes it or placed after a large one is still read, and the names and paths a
reason carries reach the summary neutralised."""

from __future__ import annotations

import io
import re
import time
from pathlib import Path

import pytest

from cicd_agent.cli import main
from cicd_agent.risk.evidence import weakened_access
from cicd_agent.risk.removed_api import MAX_NAMES, removed_names
from tests.unit.risk.test_common_sense import deploy_gate_json
from tests.unit.risk.test_removed_api import diff, git


def test_attack_no_diff_stalls_the_reading() -> None:
    """Two megabytes each of long lines built to backtrack, many deletions, and binary."""
    rust = "-pub " + "const " * 2_000 + "\n"
    go = "-func (" + "(" * 20_000 + "\n"
    python = "-def " + " " * 50_000 + "x\n"
    many = "".join(f"-def name_{i}():\n" for i in range(60_000))
    binary = "diff --git a/b.go b/b.go\nBinary files a/b.go and b/b.go differ\n"
    for body, path in ((rust, "a.rs"), (go, "a.go"), (python, "a.py"), (many, "m.py")):
        text = f"diff --git a/{path} b/{path}\n--- a/{path}\n+++ b/{path}\n@@ -1 +1 @@\n"
        text += body * max(1, 2_000_000 // len(body)) if body is not many else body
        start = time.monotonic()
        found = removed_names(binary + text[:2_000_000])
        assert time.monotonic() - start < 5, path
        assert len(found) <= MAX_NAMES


@pytest.mark.parametrize(
    ("path", "declaration", "mention"),
    [
        pytest.param(
            "parse.py",
            "def parse(text):",
            'HELP = """\ndef parse(text):\n"""',
            id="a python string",
        ),
        pytest.param(
            "version.go",
            "type Collection []*Version",
            "/*\ntype Collection []*Version\n*/",
            id="a go block comment",
        ),
        pytest.param(
            "version.go",
            "type Collection []*Version",
            "var usage = `\ntype Collection []*Version\n`",
            id="a go raw string",
        ),
        pytest.param(
            "index.js",
            "export function format(obj) {",
            "const doc = `\nexport function format(obj) {\n`",
            id="a javascript template string",
        ),
    ],
)
@pytest.mark.xfail(
    strict=True,
    reason="open: names are read line by line, so a declaration's text added inside a string "
    "or a block comment counts as declaring it again (a lexer would tell)",
)
def test_attack_a_string_or_comment_naming_the_declaration_does_not_hide_it(
    path: str, declaration: str, mention: str
) -> None:
    found = removed_names(diff(path, declaration, mention))
    assert found, "the removal was hidden"


def test_attack_a_declaration_in_another_language_does_not_hide_a_removal() -> None:
    """A Python class named like the deleted Go type declares nothing Go code can use."""
    text = diff("version_collection.go", "type Collection []*Version") + diff(
        "tools/collection.py", "", "class Collection:"
    )
    assert removed_names(text) == (("version_collection.go", "Collection"),)


@pytest.mark.xfail(
    strict=True,
    reason="open: a deleted block comment's line that reads like a declaration is taken for "
    "one, so deleting a comment can make a change medium (read line by line, not lexed)",
)
def test_attack_a_deleted_comment_reading_like_a_declaration_is_no_removal() -> None:
    assert removed_names(diff("a.go", "/*\nfunc Gone() {}\n*/")) == ()


def _short_history(repo: Path, files: dict[str, str]) -> str:
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    git(repo, "config", "core.quotePath", "true")
    for number in range(12):
        for name, text in files.items():
            (repo / name).write_text(text + f"\n// {number}\n", encoding="utf-8")
        git(repo, "add", "-A")
        git(repo, "commit", "-qm", f"step {number}")
    return git(repo, "rev-parse", "HEAD")


GO = "package version\n\ntype Collection []*Version\n\nfunc Keep() {}\n"
KEPT = "package version\n\nfunc Keep() {}\n"


def _removal_said(tmp_path: Path, name: str, extra: dict[str, str] | None = None) -> list[str]:
    repo = tmp_path / "version"
    base = _short_history(repo, {name: GO})
    (repo / name).write_text(KEPT, encoding="utf-8")
    for other, text in (extra or {}).items():
        (repo / other).write_text(text, encoding="utf-8")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "remove collection")
    runs = tmp_path / "runs"
    runs.mkdir()
    head = git(repo, "rev-parse", "HEAD")
    document = deploy_gate_json(repo, base, head, tmp_path / "c", runs)
    return [e for r in document["reasons"] if r["signal"] == "removed_api" for e in r["evidence"]]


def test_attack_a_file_name_git_quotes_does_not_hide_its_removal(tmp_path: Path) -> None:
    """git quotes a non-ASCII path in the diff's headers (``+++ "b/versi\\303\\263n.go"``)."""
    said = _removal_said(tmp_path, "versión.go")
    assert said == ["versión.go: Collection"], said


@pytest.mark.xfail(
    strict=True,
    reason="open (read_evidence in risk/checkout.py): the runtime files' diff is read as one "
    "text cut at MAX_DIFF_BYTES, so a large file sorted first pushes a later file's deletions "
    "out of what is read (on go-version: low 0.08, where the deletion alone is medium 0.30)",
)
def test_attack_a_large_file_before_it_does_not_hide_a_removal(tmp_path: Path) -> None:
    """One comment line of 2.1 MB: one line to the size, and it fills the diff read."""
    padding = "package version\n\n// " + "x" * 2_100_000 + "\n"
    said = _removal_said(tmp_path, "version.go", {"aaa_padding.go": padding})
    assert said == ["version.go: Collection"], said


@pytest.mark.xfail(
    strict=True,
    reason="open (read_evidence in risk/checkout.py): the diff is asked for the new paths only, "
    "so git cannot pair a renamed file with its old path and reads it as added: a declaration "
    "deleted while renaming its file is never seen",
)
def test_attack_renaming_the_file_does_not_hide_a_removal(tmp_path: Path) -> None:
    body = GO + "".join(f"\nfunc keep{i}() int {{ return {i} }}\n" for i in range(30))
    repo = tmp_path / "version"
    base = _short_history(repo, {"version.go": body})
    git(repo, "mv", "version.go", "collection.go")
    (repo / "collection.go").write_text(body.replace("type Collection []*Version\n", ""))
    git(repo, "commit", "-qam", "rename, and remove collection")
    runs = tmp_path / "runs"
    runs.mkdir()
    head = git(repo, "rev-parse", "HEAD")
    document = deploy_gate_json(repo, base, head, tmp_path / "c", runs)
    assert document["risk_level"] != "low", document["risk_score"]


@pytest.mark.parametrize(
    "name",
    ["@octocat [go](https:evil.example) <img src=x> |x|.go", "line\n# @octocat\n<b>x.go"],
    ids=["markdown, a mention and html", "newlines"],
)
def test_attack_a_removals_path_reaches_the_summary_neutralised(tmp_path: Path, name: str) -> None:
    """A path holding a mention, a link, HTML, a table cell or a new line: the removal is
    found, and the summary shows the path only inside inline code, on one line."""
    repo = tmp_path / "version"
    base = _short_history(repo, {name: GO})
    (repo / name).write_text(KEPT, encoding="utf-8")
    git(repo, "commit", "-qam", "remove collection")
    summary = tmp_path / "summary.md"
    summary.write_text("")
    out = tmp_path / "out"
    out.write_text("")
    argv = ["deploy-gate", "--provider", "none", "--repo", str(repo), "--base", base,
            "--head", git(repo, "rev-parse", "HEAD"), "--cache-dir", str(tmp_path / "c")]  # fmt: skip
    environ = {"GITHUB_OUTPUT": str(out), "GITHUB_STEP_SUMMARY": str(summary)}
    stdout = io.StringIO()
    assert main(argv, environ=environ, stdout=stdout, stderr=io.StringIO()) == 0
    text = summary.read_text() + stdout.getvalue()
    [said] = [line for line in text.splitlines() if "Collection" in line]
    assert "exported name(s) deleted" in said, said
    outside_code = re.sub(r"`[^`]*`", "", text)
    assert "@octocat" not in outside_code and "<img" not in outside_code, outside_code
    assert "](https:" not in outside_code and "<b>" not in outside_code, outside_code


@pytest.mark.parametrize(
    "header",
    ['+++ "b/app/s\\303\\251ttings.py"', "+++ b/app/my settings.py\t"],
    ids=["quoted by git", "a space, so git ends the line with a tab"],
)
def test_attack_a_path_git_quotes_or_spaces_does_not_hide_weakened_access(header: str) -> None:
    """The same header reading serves the access detector: its file's language is found."""
    diff = f"diff --git a/x b/x\n--- a/x\n{header}\n@@ -1 +1 @@\n+@csrf_exempt\n"
    [found] = weakened_access(diff)
    assert found.startswith(("app/séttings.py: CSRF", "app/my settings.py: CSRF")), found


@pytest.mark.parametrize(
    ("removal", "decoy"),
    [
        pytest.param(
            diff("parse.py", "def parse(text):"),
            diff("scratch.py", "", "def parse(text):\n    pass"),
            id="another python module",
        ),
        pytest.param(
            diff("version/parse.go", "func Parse() {}"),
            diff("tools/gen/main.go", "", "func Parse() {}"),
            id="another go package",
        ),
        pytest.param(
            diff("index.js", "export function parse(obj) {"),
            diff("lib/other.js", "", "export function parse() {}"),
            id="another js module",
        ),
    ],
)
def test_attack_a_decoy_declared_in_another_module_does_not_hide_a_removal(
    removal: str, decoy: str
) -> None:
    """Code importing ``parse`` from its module (or a Go package's ``Parse``) breaks though a
    file elsewhere declares a name alike: only its own module (Go: its package's folder)
    declaring it again keeps the name."""
    assert removed_names(removal + decoy), "the removal was hidden"


def test_a_go_name_moved_within_its_package_or_a_python_name_rewritten_is_kept() -> None:
    moved = diff("version/a.go", "type Collection []*Version") + diff(
        "version/b.go", "", "type Collection []*Version"
    )
    rewritten = diff("pkg/parse.py", "def parse(text):", "def parse(text, strict=False):")
    assert removed_names(moved) == () and removed_names(rewritten) == ()


def test_attack_removed_names_reach_the_summary_as_code(tmp_path: Path) -> None:
    """A JavaScript name may hold ``_`` and ``$``: raw in the sentence, ``_shout_`` is emphasis
    and ``$x$`` is math on GitHub. Each name the reason says is inline code."""
    names = ("_shout_", "$x$", "plain")
    script = "".join(f"export const {name} = 1\n" for name in names)
    repo = tmp_path / "app"
    base = _short_history(repo, {"index.js": script + "export const kept = 2\n"})
    (repo / "index.js").write_text("export const kept = 2\n")
    git(repo, "commit", "-qam", "remove three")
    runs = tmp_path / "runs"
    runs.mkdir()
    document = deploy_gate_json(repo, base, git(repo, "rev-parse", "HEAD"), tmp_path / "c", runs)
    [said] = [r["message"] for r in document["reasons"] if r["signal"] == "removed_api"]
    outside_code = re.sub(r"`[^`]*`", "", said)
    assert "_shout_" not in outside_code and "$x$" not in outside_code, said
    assert all(f"`{name}`" in said for name in names), said
