"""A change that deletes an exported Go type an untouched test file uses (a new user's
hashicorp/go-version ``dg-del``: ``version_collection.go`` emptied, ``type Collection
[]*Version`` gone): go vet says ``undeclared name: Collection`` in the test file. The finding
was placed on that untouched file, saying "no line the change wrote or deleted names what it
reports", although the deleted declaration does. It goes on the deleted line's file, quoting
the declaration (not its comment). Real go vet, in the sandbox; skipped where Go is not
installed."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from cicd_agent.modes.review.lint.build_errors import BuildError, build_findings
from tests.git_builder import GitRepoBuilder
from tests.helpers.cli import run_cli
from tests.helpers.gen_tests import path_env
from tests.helpers.sandbox import needs_sandbox
from tests.helpers.toolchains import needs_go

GO_MOD = "module example.com/version\n\ngo 1.16\n"
VERSION = """package version

// Version is a parsed version.
type Version struct {
\tn int
}

// LessThan tells whether v comes before o.
func (v *Version) LessThan(o *Version) bool { return v.n < o.n }
"""
COLLECTION = """package version

// Collection is a type that implements the sort.Interface interface
// so that versions can be sorted.
type Collection []*Version

func (v Collection) Len() int {
\treturn len(v)
}

func (v Collection) Less(i, j int) bool {
\treturn v[i].LessThan(v[j])
}

func (v Collection) Swap(i, j int) {
\tv[i], v[j] = v[j], v[i]
}
"""
USES = """package version

import (
\t"sort"
\t"testing"
)

func TestCollection(t *testing.T) {
\tversions := []*Version{{n: 2}, {n: 1}}
\tsort.Sort(Collection(versions))
\tif versions[0].n != 1 {
\t\tt.Fatal("not sorted")
\t}
}
"""


@needs_go
@needs_sandbox
def test_a_deleted_go_type_is_blamed_on_its_deleted_declaration(tmp_path: Path) -> None:
    go = shutil.which("go")
    if go is None:
        pytest.skip("no go here")
    repo = GitRepoBuilder(tmp_path / "repo")
    files = {"go.mod": GO_MOD, "version.go": VERSION, "version_collection.go": COLLECTION,
             "version_collection_test.go": USES}  # fmt: skip
    base = repo.commit("start", files)
    head = repo.commit("remove collection", {"version_collection.go": "package version\n"})
    argv = ["review", "--provider", "none", "--json", "--repo", str(repo.path),
            "--base", base, "--head", head]  # fmt: skip
    where = os.pathsep.join([str(Path(go).parent), path_env()])
    done = run_cli(argv, tmp_path, {"PATH": where, "HOME": str(tmp_path / "home")})
    assert done.document is not None, done.stderr
    [found] = [f for f in done.document["findings"] if f["severity"] == "high"]
    assert (found["path"], found["category"]) == ("version_collection.go", "build"), found
    assert "Collection" in found["title"], found
    assert "no line the change wrote or deleted" not in found["body"], found["body"]
    assert "`type Collection []*Version`" in found["body"], found["body"]
    assert "version_collection_test.go:10" in found["body"], found["body"]
    assert done.code == 1


@pytest.mark.parametrize("said", ["undeclared name: Collection", "undefined: Collection"])
def test_go_names_a_plain_word_after_its_undefined_and_undeclared(said: str) -> None:
    """go 1.19's ``undeclared name: X`` and newer go's ``undefined: X`` quote nothing; the
    name after them is still the name, found on the deleted declaration."""
    error = BuildError("version_collection_test.go", 31, "typecheck", said)
    removed = {
        "version_collection.go": {
            6: "// Collection is a type that implements the sort.Interface interface",
            8: "type Collection []*Version",
            10: "func (v Collection) Len() int {",
        }
    }
    [found], unexplained, _ = build_findings("go vet", [error], {}, str, removed=removed)
    assert (found.path, found.line, unexplained) == ("version_collection.go", None, 0)
    assert "line 8" in found.body and "`type Collection []*Version`" in found.body, found.body


def test_a_plain_word_in_prose_is_not_taken_for_a_name() -> None:
    """Only the word right after Go's own phrase is a name: a capitalised word elsewhere in a
    message stays prose, so a deleted line holding it is not blamed."""
    error = BuildError("a_test.go", 3, "typecheck", "Expected Collection here")
    removed = {"a.go": {8: "type Collection []*Version"}}
    [found], _, _ = build_findings("go vet", [error], {}, str, removed=removed)
    assert (found.path, found.line) == ("a_test.go", None)
