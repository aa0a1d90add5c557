"""A compiler's error is read whole, its notes and chain of reasons with it, and placed on the
changed line it depends on, the compiler's own line second: each shown on the real checker's
output (go vet, mypy, tsc), never on text written by hand."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from cicd_agent.analysis.diff import parse_diff
from cicd_agent.modes.review.lint.build_errors import BuildError, build_findings, changed_words
from cicd_agent.modes.review.lint.compile_errors import go_type_errors
from cicd_agent.modes.review.lint.lint_reports import read_report
from tests.git_builder import GitRepoBuilder
from tests.helpers.cli import CliRun, run_cli
from tests.helpers.eslint import needs_node_tool
from tests.helpers.gen_tests import path_env
from tests.helpers.sandbox import needs_sandbox
from tests.helpers.toolchains import needs_go

GO_MOD = "module example.com/m\n\ngo 1.19\n"
ROWS = "package m\n\nfunc F(a int) int { return a }\n\nfunc G() int {\n\treturn F(1)\n}\n"
NARROWED = ROWS.replace("func F(a int)", "func F(a, b int)")


def _go() -> str:
    go = shutil.which("go")
    if go is None:
        pytest.skip("no go here")
    return go


def _review(tmp_path: Path, files: dict[str, str], changed: dict[str, str], path: str) -> CliRun:
    repo = GitRepoBuilder(tmp_path / "repo")
    base = repo.commit("start", files)
    head = repo.commit("change", changed)
    argv = ["review", "--provider", "none", "--json", "--fail-on", "high",
            "--repo", str(repo.path), "--base", base, "--head", head]  # fmt: skip
    done = run_cli(argv, tmp_path, {"PATH": path, "HOME": str(tmp_path / "home")})
    assert done.document is not None, done.stderr
    return done


def _build(done: CliRun, rule: str) -> dict[str, object]:
    document = done.document or {}
    found = [f for f in document["findings"] if f["rule"] == rule]
    assert len(found) == 1, document["findings"]
    return dict(found[0])


@needs_go
def test_gos_notes_are_read_as_part_of_its_error(tmp_path: Path) -> None:
    """go vet prints a call that no longer fits as its error and, indented by a tab, what the
    call has and what the function wants: those lines are the error's, not a package that
    did not type-check."""
    (tmp_path / "go.mod").write_text(GO_MOD)
    (tmp_path / "a.go").write_text(NARROWED)
    done = subprocess.run(
        [_go(), "vet", "-json", "./..."], cwd=tmp_path, capture_output=True, text=True,
        check=False, timeout=300,
        env={**os.environ, "GOPROXY": "off", "GOFLAGS": "", "GOTOOLCHAIN": "local",
             "GOCACHE": str(tmp_path / "cache"), "HOME": str(tmp_path)},
    )  # fmt: skip
    assert "\thave (number)\n" in done.stderr, done.stderr
    ((path, line, code, message),) = go_type_errors(done.stderr.splitlines())
    assert (path.removeprefix("./"), line, code) == ("a.go", 6, "typecheck")
    assert message == "not enough arguments in call to F have (number) want (int, int)"
    (hit,) = read_report("go vet", done.stderr, str(tmp_path))
    assert (hit.path, hit.line, hit.message) == ("a.go", 6, message)


@needs_go
@needs_sandbox
def test_a_one_letter_function_whose_signature_changed_holds_its_callers_error(
    tmp_path: Path,
) -> None:
    """``func F(a int)`` made ``func F(a, b int)``: go vet reports the call at line 6, and the
    finding was on no line ("no line the change wrote or deleted names what it reports"), as
    a name of one letter was not read. The line declaring it is the one the error depends on."""
    where = os.pathsep.join([str(Path(_go()).parent), path_env()])
    done = _review(tmp_path, {"go.mod": GO_MOD, "a.go": ROWS}, {"a.go": NARROWED}, where)
    assert {"tool": "go vet", "could_not_run": ""} in (done.document or {})["tools"]
    found = _build(done, "go vet/typecheck")
    assert (found["path"], found["line"], found["severity"]) == ("a.go", 3, "high")
    body = str(found["body"])
    assert "have (number) want (int, int)" in body and "`a.go:6`" in body, body
    assert done.code == 1


@needs_go
@needs_sandbox
def test_a_one_letter_function_renamed_holds_its_callers_error(tmp_path: Path) -> None:
    """``func F`` renamed ``func Parse``: go vet says "undefined: F" at the caller, and the line
    that took the name away is the one it depends on (a longer name's rename was placed so;
    one of a letter was held on the whole file, as if only deleted)."""
    where = os.pathsep.join([str(Path(_go()).parent), path_env()])
    renamed = {"a.go": ROWS.replace("func F(a int)", "func Parse(a int)")}
    done = _review(tmp_path, {"go.mod": GO_MOD, "a.go": ROWS}, renamed, where)
    found = _build(done, "go vet/typecheck")
    assert (found["path"], found["line"], found["severity"]) == ("a.go", 3, "high")
    body = str(found["body"])  # go 1.19 says "undeclared name: F", later ones "undefined: F"
    assert re.match(r"(undeclared name|undefined): F ", body) and "`a.go:6`" in body, body


def test_attack_a_line_that_only_holds_the_letter_does_not_take_the_error() -> None:
    """ATTACK: the pull request adds lines holding the letter the error names, in a comment,
    a string, a field, a call and a longer name: none of them declares the function, so the
    error is not placed on them (the one that declares it takes it, in another file too)."""
    decoys = {4: "// F is the function", 5: 'var s = "F"', 6: "var x = T.F", 7: "var y = F(2)",
              8: "func FF(a, b int) {}", 9: "var F2 = 1", 10: "type T struct{ F int }"}  # fmt: skip
    error = BuildError("a.go", 20, "typecheck", "not enough arguments in call to F")
    found, unexplained, _ = build_findings("go vet", [error], {"a.go": decoys}, str)
    assert (found, unexplained) == ([], 1)
    # nor a line whose change only took the letter away or brought it (a comment's, a call's)
    diff = parse_diff(
        "diff --git a/a.go b/a.go\n--- a/a.go\n+++ b/a.go\n@@ -1,2 +1,2 @@\n"
        "-// F reads a row\n-var y = F(2)\n+// Parse reads a row\n+var y = Parse(2)\n"
    )
    (file,) = diff.files
    changed = {"a.go": changed_words(file)}
    moved = {"a.go": dict(file.added_lines())}
    assert build_findings("go vet", [error], moved, str, changed)[:2] == ([], 1)
    declared = {"b.go": {3: "func F(a, b int) int {"}}
    (finding,), _, _ = build_findings("go vet", [error], {"a.go": decoys, **declared}, str)
    assert (finding.path, finding.line) == ("b.go", 3)
    # mypy quotes the name: a one-letter function declared on the changed line takes it too
    quoted = BuildError("a.py", 9, "call-arg", 'Too few arguments for "f"')
    (finding,), _, _ = build_findings("mypy", [quoted], {"a.py": {1: "def f(a, b):"}}, str)
    assert finding.line == 1


BASE_CLASS = """class Base:
    def run(self, n: int) -> int:
        return n


class Child(Base):
    def run(self, n: int) -> int:
        return n + 1
"""


@needs_sandbox
def test_real_mypy_notes_are_one_finding_on_the_changed_signature(tmp_path: Path) -> None:
    """mypy prints an override that no longer fits as an error and two ``note:`` lines; the
    finding is one, on the base class's changed signature, its words the error's and its
    notes', with the child's line (mypy's own) second."""
    pyproject = '[project]\nname = "app"\n\n[tool.mypy]\nstrict = true\n'
    changed = BASE_CLASS.replace(
        "def run(self, n: int) -> int:\n        return n\n",
        "def run(self, n: str) -> int:\n        return len(n)\n",
        1,
    )
    done = _review(tmp_path, {"pyproject.toml": pyproject, "app/jobs.py": BASE_CLASS},
                   {"app/jobs.py": changed}, path_env())  # fmt: skip
    found = _build(done, "mypy/override")
    assert (found["path"], found["line"], found["severity"]) == ("app/jobs.py", 2, "high")
    body = str(found["body"])
    assert 'Argument 1 of "run" is incompatible with supertype "Base"' in body, body
    assert "This violates the Liskov substitution principle" in body, body
    assert "`app/jobs.py:7`" in body, body
    assert done.code == 1


ROWS_TS = """export interface Row {
  id: number;
  name: string;
}

export function make(id: number, name: string) {
  return { id, name };
}

export function first(): Row {
  const row: Row = make(1, "a");
  return row;
}
"""


@needs_sandbox
def test_real_tscs_chain_of_reasons_is_one_finding_on_the_changed_property(
    tmp_path: Path,
) -> None:
    """tsc prints a type that no longer fits and, indented under it, why: the property whose
    types differ and how. One finding, on the changed property, its words the whole chain."""
    where = needs_node_tool("tsc")
    config = '{"compilerOptions": {"strict": true, "noEmit": true}, "include": ["src"]}\n'
    done = _review(tmp_path, {"tsconfig.json": config, "src/rows.ts": ROWS_TS},
                   {"src/rows.ts": ROWS_TS.replace("id: number;", "id: string;")}, where)  # fmt: skip
    found = _build(done, "tsc/TS2322")
    assert (found["path"], found["line"], found["severity"]) == ("src/rows.ts", 2, "high")
    body = str(found["body"])
    assert "is not assignable to type 'Row'. Types of property 'id' are incompatible. Type " \
        "'number' is not assignable to type 'string'." in body, body  # fmt: skip
    assert "`src/rows.ts:11`" in body, body
    assert done.code == 1
