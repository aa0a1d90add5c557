"""A change that deletes an exported name breaks whatever outside it uses the name: a new
user's go-version change deleting ``type Collection []*Version`` (which broke the test build)
scored 0.055, low, with no reason naming a removed API. An exported declaration the diff deletes
and does not declare again (Go, Python, JavaScript, Rust) makes the change at least medium, with
a reason naming it. Read from the diff's text alone: a name moved to another file, a signature
rewritten, or a private name is no removal."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from cicd_agent.risk.removed_api import removed_names
from tests.unit.risk.test_common_sense import deploy_gate_json


def diff(path: str, removed: str, added: str = "") -> str:
    """A unified diff of ``path`` deleting the lines ``removed`` and adding ``added``."""
    minus = "".join(f"-{line}\n" for line in removed.splitlines())
    plus = "".join(f"+{line}\n" for line in added.splitlines())
    return (
        f"diff --git a/{path} b/{path}\n--- a/{path}\n+++ b/{path}\n@@ -1,9 +1,9 @@\n{minus}{plus}"
    )


@pytest.mark.parametrize(
    ("path", "removed", "names"),
    [
        (
            "version_collection.go",
            "// Collection sorts.\ntype Collection []*Version\n"
            "func (v Collection) Len() int {\nfunc helper() {}",
            ["Collection", "Len"],
        ),
        (
            "parse.py",
            "def parse(text):\nclass Result:\ndef _private():\n    def inner():",
            ["Result", "parse"],
        ),
        (
            "index.js",
            "export function format(obj) {\nexport default class Parser {}\n"
            "function local() {}\nexports.parse = parse\nmodule.exports.test = test",
            ["Parser", "format", "parse", "test"],
        ),
        (
            "src/lib.rs",
            "pub fn hash(bytes: &[u8]) -> u64 {\n    pub struct FnvHasher(u64);\n"
            "pub(crate) fn inner() {}\nfn private() {}\npub const unsafe fn raw() {}",
            ["FnvHasher", "hash", "raw"],
        ),
    ],
    ids=["go", "python", "javascript", "rust"],
)
def test_an_exported_declaration_deleted_is_named(
    path: str, removed: str, names: list[str]
) -> None:
    found = removed_names(diff(path, removed))
    assert sorted(name for _, name in found) == names, found
    assert all(where == path for where, _ in found)


def test_a_name_declared_again_in_its_go_package_or_its_file_is_not_removed() -> None:
    moved = diff("a.go", "type Collection []*Version") + diff("b.go", "", "type Collection []*V")
    rewritten = diff("parse.py", "def parse(text):", "def parse(text, strict=False):")
    assert removed_names(moved) == () and removed_names(rewritten) == ()


def test_a_deleted_file_counts_and_a_comment_does_not() -> None:
    whole = (
        "diff --git a/gone.py b/gone.py\ndeleted file mode 100644\n--- a/gone.py\n"
        "+++ /dev/null\n@@ -1,3 +0,0 @@\n-def gone():\n-    return 1\n-# def said():\n"
    )
    assert removed_names(whole) == (("gone.py", "gone"),)


def test_attack_a_header_inside_a_hunk_is_read_as_a_deleted_line_not_a_file() -> None:
    """A deleted line reading ``--- a/x.go`` is a line of the file, not a new file's header."""
    text = diff("lib.py", "-- a/x.go\ndef kept():")
    assert removed_names(text) == (("lib.py", "kept"),)


def git(repo: Path, *args: str) -> str:
    env = {"PATH": "/usr/bin:/bin", "HOME": str(repo.parent), "GIT_AUTHOR_NAME": "a",
           "GIT_AUTHOR_EMAIL": "a@example.org", "GIT_COMMITTER_NAME": "a",
           "GIT_COMMITTER_EMAIL": "a@example.org"}  # fmt: skip
    done = subprocess.run(
        ["git", *args], cwd=repo, check=True, capture_output=True, text=True, env=env
    )
    return done.stdout.strip()


COLLECTION = """package version

// Collection is a type that implements the sort.Interface interface
// so that versions can be sorted.
type Collection []*Version

func (v Collection) Len() int {
\treturn len(v)
}
"""


def test_deleting_an_exported_go_type_is_at_least_medium_and_says_its_name(
    tmp_path: Path,
) -> None:
    """The user's shape, through deploy-gate as they ran it: a short history (the general
    rules score it), then the type's file emptied."""
    repo = tmp_path / "version"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    for number in range(12):
        (repo / "version.go").write_text(
            f"package version\n\ntype Version struct{{ n{number} int }}\n"
        )
        (repo / "version_collection.go").write_text(COLLECTION + f"\n// {number}\n")
        git(repo, "add", "-A")
        git(repo, "commit", "-qm", f"step {number}")
    base = git(repo, "rev-parse", "HEAD")
    (repo / "version_collection.go").write_text("package version\n")
    git(repo, "commit", "-qam", "remove collection")
    runs = tmp_path / "runs"
    runs.mkdir()
    document = deploy_gate_json(repo, base, git(repo, "rev-parse", "HEAD"), tmp_path / "c", runs)
    assert document["risk_level"] != "low", document["risk_score"]
    [reason] = [r for r in document["reasons"] if r["signal"] == "removed_api"]
    assert "Collection" in reason["message"], reason
    assert "version_collection.go: Collection" in reason["evidence"], reason
