"""review runs go vet on a Go module's changed packages (go vet comes with the toolchain; a
module's ``go.mod`` is all it needs), in the sandbox like every linter: its findings on the
lines the change added, each with its analyzer (``go vet/printf``); a package that does not
type-check is said, not a clean run. Real go vet; skipped where Go is not installed."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from cicd_agent.modes.review.lint.lint_reports import UnreadableReport, read_report
from tests.git_builder import GitRepoBuilder
from tests.helpers.cli import run_cli
from tests.helpers.gen_tests import path_env
from tests.helpers.sandbox import needs_sandbox
from tests.helpers.toolchains import needs_go

GO_MOD = "module example.com/m\n\ngo 1.19\n"
OK = "package calc\n\nfunc Ok() int { return 1 }\n"
SIGN = """package calc

import "fmt"

func Sign(n int) string {
\tif n < 0 {
\t\treturn fmt.Sprintf("%d is negative", "n")
\t}
\treturn fmt.Sprint(n)
}
"""
# What go vet -json printed on this machine (go 1.19) for a package with two findings and a
# package that does not type-check: each package's "# name" line, then its JSON or its error.
PRINTED = """# example.com/m/bad
vet: bad/b.go:3:23: cannot use "x" (untyped string constant) as int value in return statement
# example.com/m/calc
{
\t"example.com/m/calc": {
\t\t"assign": [
\t\t\t{
\t\t\t\t"posn": "/work/calc/sign.go:10:2",
\t\t\t\t"message": "self-assignment of x to x"
\t\t\t}
\t\t],
\t\t"printf": [
\t\t\t{
\t\t\t\t"posn": "/work/calc/sign.go:7:10",
\t\t\t\t"message": "fmt.Sprintf format %d has arg \\"n\\" of wrong type string"
\t\t\t}
\t\t]
\t}
}
"""


@needs_go
@needs_sandbox
def test_go_vet_reports_the_changed_lines_with_its_analyzer(tmp_path: Path) -> None:
    go = shutil.which("go")
    if go is None:
        pytest.skip("no go here")
    repo = GitRepoBuilder(tmp_path / "repo")
    base = repo.commit("start", {"go.mod": GO_MOD, "calc/ok.go": OK})
    head = repo.commit("Add Sign", {"calc/sign.go": SIGN})
    argv = ["review", "--provider", "none", "--report-on", "low", "--json",
            "--repo", str(repo.path), "--base", base, "--head", head]  # fmt: skip
    where = os.pathsep.join([str(Path(go).parent), path_env()])
    done = run_cli(argv, tmp_path, {"PATH": where, "HOME": str(tmp_path / "home")})
    assert done.document is not None, done.stderr
    assert {"tool": "go vet", "could_not_run": ""} in done.document["tools"], done.stdout
    found = [(f["rule"], f["path"], f["line"]) for f in done.document["findings"]]
    assert ("go vet/printf", "calc/sign.go", 7) in found, found


def test_go_vets_report_is_read_as_it_prints_it() -> None:
    """A package that does not type-check is no clean run: its error is read as one the code
    does not build (``compiles``), with the other packages' findings."""
    hits = read_report("go vet", PRINTED, "/work")
    assert [(h.path, h.line, h.code, h.error, h.compiles) for h in hits] == [
        ("calc/sign.go", 10, "assign", True, False), ("calc/sign.go", 7, "printf", True, False),
        ("bad/b.go", 3, "typecheck", True, True)]  # fmt: skip
    assert "cannot use" in hits[2].message
    with pytest.raises(UnreadableReport, match="did not type-check"):
        read_report("go vet", "# m\ngo: cannot find main module\n", "/work")
    # a clean run prints nothing, or a package's empty object (hashicorp/go-version's, read as
    # "did not type-check" before)
    assert read_report("go vet", "", "/work") == []
    assert read_report("go vet", "# github.com/hashicorp/go-version\n{}\n", "/work") == []
    with pytest.raises(UnreadableReport):
        read_report("go vet", "# example.com/m/calc\n{not json", "/work")


SLICE = """package calc

import "strconv"

// Parse reads numbers.
func Parse(in []string) ([]int, error) {
\tout := make([]int, len(in))
\tfor i, d := range in {
\t\tn, err := strconv.Atoi(d)
\t\tif err != nil {
\t\t\treturn nil, err
\t\t}
\t\tout[i] = n
\t}
\treturn out, nil
}
"""


@needs_go
@needs_sandbox
def test_a_change_that_does_not_compile_is_a_high_finding_on_the_changed_line(
    tmp_path: Path,
) -> None:
    """The shape a new user met on spf13/pflag: one line changed ``make([]int, …)`` to
    ``make([]int64, …)``; Go's errors name the lines after it, and review said "no findings at
    or above medium; risk low". Now the build error is high, on the line the change made."""
    go = shutil.which("go")
    if go is None:
        pytest.skip("no go here")
    repo = GitRepoBuilder(tmp_path / "repo")
    base = repo.commit("start", {"go.mod": GO_MOD, "calc/slice.go": SLICE})
    head = repo.commit("int64", {"calc/slice.go": SLICE.replace("make([]int,", "make([]int64,")})
    argv = ["review", "--provider", "none", "--json", "--fail-on", "high",
            "--repo", str(repo.path), "--base", base, "--head", head]  # fmt: skip
    where = os.pathsep.join([str(Path(go).parent), path_env()])
    done = run_cli(argv, tmp_path, {"PATH": where, "HOME": str(tmp_path / "home")})
    assert done.document is not None, done.stderr
    found = [(f["rule"], f["path"], f["line"], f["severity"]) for f in done.document["findings"]]
    assert ("go vet/typecheck", "calc/slice.go", 7, "high") in found, found
    placed = next(f for f in done.document["findings"] if f["rule"] == "go vet/typecheck")
    assert "calc/slice.go:13" in placed["body"]  # the compiler's own line, second
    assert done.code == 1  # fail-on high


@needs_go
def test_a_go_project_without_go_mod_says_go_vet_could_not_run_and_the_fix(tmp_path: Path) -> None:
    """gobwas/glob before its go.mod, as a new user met it: a change that does not compile read
    "no findings" with only a note, as if go vet had found nothing. go cannot build a package
    outside a module: go vet could not run, the headline says "Incomplete", Tools the fix. A
    go.mod above the changed file (a nested module) still counts as one."""
    go = shutil.which("go")
    if go is None:
        pytest.skip("no go here")
    where = os.pathsep.join([str(Path(go).parent), path_env()])
    for name, files in (("flat", {"calc/ok.go": OK}),
                        ("nested", {"calc/go.mod": GO_MOD, "calc/ok.go": OK})):  # fmt: skip
        repo = GitRepoBuilder(tmp_path / name)
        base = repo.commit("start", files)
        head = repo.commit("Add Sign", {"calc/sign.go": SIGN.replace("fmt.Sprint(n)", "n")})
        argv = ["review", "--provider", "none", "--json", "--repo", str(repo.path),
                "--base", base, "--head", head]  # fmt: skip
        done = run_cli(argv, tmp_path, {"PATH": where, "HOME": str(tmp_path / "home")})
        assert done.document is not None, done.stderr
        tools = {t["tool"]: t["could_not_run"] for t in done.document["tools"]}
        if name == "nested":  # review runs go vet at the root's module only, as before
            assert "go vet" not in tools, tools
            continue
        assert tools.get("go vet", "").startswith("there is no go.mod, so go cannot build the "
                                                  "changed packages"), tools  # fmt: skip
        assert "`go mod init MODULE`" in tools["go vet"]
        assert done.document["headline"].endswith("Incomplete: go vet could not run (see Tools).")
