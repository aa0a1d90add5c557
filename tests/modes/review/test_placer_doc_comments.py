"""A rename's error lands on the declaration, not on the doc comment above it: a new user's
golang-lru change renamed ``Cap`` to ``Capacity`` with its ``// Cap returns ...`` comment, and
go vet's "l.Cap undefined" at the test that still calls it was placed on the comment (line 252)
rather than on the signature (253), both lines having changed the word ``Cap`` alike."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from cicd_agent.analysis.diff import parse_diff
from cicd_agent.modes.review.lint.build_errors import BuildError, build_findings, changed_words
from tests.git_builder import GitRepoBuilder
from tests.helpers.cli import run_cli
from tests.helpers.gen_tests import path_env
from tests.helpers.sandbox import needs_sandbox
from tests.helpers.toolchains import needs_go

# the user's own change (golang-lru, branch pr-rename) and go vet's words on it
USERS_DIFF = """\
diff --git a/lru.go b/lru.go
index 8d2ca6f..cfccc89 100644
--- a/lru.go
+++ b/lru.go
@@ -249,7 +249,7 @@ func (c *Cache[K, V]) Len() int {
 \treturn length
 }
\x20
-// Cap returns the capacity of the cache
-func (c *Cache[K, V]) Cap() int {
+// Capacity returns the capacity of the cache
+func (c *Cache[K, V]) Capacity() int {
 \treturn c.lru.Cap()
 }
"""
VET = "l.Cap undefined (type *Cache[int, int] has no field or method Cap)"


def test_attack_a_doc_comment_does_not_take_the_error_from_the_signature_it_documents() -> None:
    (file,) = parse_diff(USERS_DIFF).files
    added = {"lru.go": dict(file.added_lines())}
    error = BuildError("lru_test.go", 89, "typecheck", VET)
    (found,), _, _ = build_findings("go vet", [error], added, str, {"lru.go": changed_words(file)})
    assert (found.path, found.line) == ("lru.go", 253), found


def test_attack_a_comment_naming_more_of_the_message_still_ranks_below_code() -> None:
    """ATTACK: the pull request's comment quotes the whole message's names; the changed line of
    code that names one of them keeps the error."""
    added = {"a.go": {3: "// l.Cap undefined: Cache has no field or method Cap", 4: "x := l.Cap"}}
    error = BuildError("b.go", 9, "typecheck", VET)
    (found,), _, _ = build_findings("go vet", [error], added, str)
    assert (found.path, found.line) == ("a.go", 4), found


CACHE = (
    "package m\n\ntype Cache struct{ n int }\n\n"
    "// Cap returns the capacity of the cache\nfunc (c *Cache) Cap() int {\n\treturn c.n\n}\n"
)
CACHE_TEST = (
    'package m\n\nimport "testing"\n\nfunc TestCap(t *testing.T) {\n\tl := &Cache{n: 1}\n'
    "\tif l.Cap() != 1 {\n\t\tt.Fatal(l)\n\t}\n}\n"
)


@needs_go
@needs_sandbox
def test_go_vets_rename_error_is_placed_on_the_renamed_signature(tmp_path: Path) -> None:
    go = shutil.which("go")
    assert go is not None
    repo = GitRepoBuilder(tmp_path / "repo")
    files = {"go.mod": "module example.com/m\n\ngo 1.19\n", "m.go": CACHE, "m_test.go": CACHE_TEST}
    base = repo.commit("start", files)
    head = repo.commit("rename", {"m.go": CACHE.replace("Cap", "Capacity")})
    argv = ["review", "--provider", "none", "--json", "--fail-on", "high",
            "--repo", str(repo.path), "--base", base, "--head", head]  # fmt: skip
    where = os.pathsep.join([str(Path(go).parent), path_env()])
    done = run_cli(argv, tmp_path, {"PATH": where, "HOME": str(tmp_path / "home")})
    assert done.document is not None, done.stderr
    found = [f for f in done.document["findings"] if f["rule"] == "go vet/typecheck"]
    assert [(f["path"], f["line"]) for f in found] == [("m.go", 6)], found
    assert "l.Cap undefined" in str(found[0]["body"]), found
