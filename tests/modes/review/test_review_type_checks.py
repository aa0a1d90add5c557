"""Review runs the project's own type checker on the change, in the sandbox, and a change that
does not type-check is a high finding on the line the change made: the checker names the line
where the error shows (a caller, a ``return``), which is often not the one changed, so the
error is placed on the changed line holding the names its message mentions, with the
checker's own line in its text. Real mypy (the dev environment's) and real tsc (the corpus
toolbox's)."""

from __future__ import annotations

from pathlib import Path

import pytest

from cicd_agent.analysis.diff import parse_diff
from cicd_agent.analysis.severity import Severity
from cicd_agent.modes.review.lint.build_errors import BuildError, build_findings, changed_words
from cicd_agent.modes.review.lint.lint_reports import UnreadableReport, read_report
from cicd_agent.modes.review.lint.placer import Placer, names
from tests.git_builder import GitRepoBuilder
from tests.helpers.cli import CliRun, run_cli
from tests.helpers.eslint import needs_node_tool
from tests.helpers.gen_tests import path_env
from tests.helpers.sandbox import needs_sandbox


def _review(tmp_path: Path, repo: GitRepoBuilder, base: str, head: str, path: str) -> CliRun:
    argv = ["review", "--provider", "none", "--json", "--fail-on", "high",
            "--repo", str(repo.path), "--base", base, "--head", head]  # fmt: skip
    return run_cli(argv, tmp_path, {"PATH": path, "HOME": str(tmp_path / "home")})


def _found(done: CliRun) -> list[tuple[str, str, int, str]]:
    document = done.document or {}
    return [(f["rule"], f["path"], f["line"], f["severity"]) for f in document["findings"]]


ENCODING = '''\
"""Encodings."""


def want_bytes(value: str) -> str:
    return value


def dumps(obj: object) -> str:
    text = repr(obj)
    return want_bytes(text)
'''


@needs_sandbox
def test_a_signature_change_that_breaks_a_caller_is_high_on_the_signature(tmp_path: Path) -> None:
    repo = GitRepoBuilder(tmp_path / "repo")
    pyproject = '[project]\nname = "app"\n\n[tool.mypy]\nstrict = true\n'
    base = repo.commit("start", {"pyproject.toml": pyproject, "app/encoding.py": ENCODING})
    changed = ENCODING.replace("def want_bytes(value: str) -> str:\n    return value",
                               "def want_bytes(value: str) -> bytes:\n    return value.encode()")
    head = repo.commit("bytes", {"app/encoding.py": changed})
    done = _review(tmp_path, repo, base, head, path_env())
    assert done.document is not None, done.stderr
    assert {"tool": "mypy", "could_not_run": ""} in done.document["tools"], done.document["tools"]
    # mypy reports the return in dumps (line 10); the change made line 4's signature
    assert ("mypy/return-value", "app/encoding.py", 4, "high") in _found(done), _found(done)
    placed = next(f for f in done.document["findings"] if f["rule"] == "mypy/return-value")
    assert "app/encoding.py:10" in placed["body"]
    assert done.code == 1


@needs_sandbox
def test_a_type_error_the_base_already_had_is_counted_not_blamed(tmp_path: Path) -> None:
    repo = GitRepoBuilder(tmp_path / "repo")
    pyproject = '[project]\nname = "app"\n\n[tool.mypy]\n'
    broken = "def f() -> int:\n    return 'x'\n"
    base = repo.commit("start", {"pyproject.toml": pyproject, "app/a.py": broken})
    head = repo.commit("doc", {"app/a.py": broken + "\n\nMESSAGE = 'hello'\n"})
    done = _review(tmp_path, repo, base, head, path_env())
    assert done.document is not None, done.stderr
    assert [f for f in _found(done) if f[0].startswith("mypy/")] == []
    assert ("mypy: 1 error(s) were already there at the base (the same check on the base's side "
            "of these files), so they are not this change's and none is placed on its lines."
            ) in done.document["notes"], done.document["notes"]  # fmt: skip
    assert done.code == 0


def test_mypy_installed_but_not_configured_is_said_not_run(tmp_path: Path) -> None:
    """A new user's Python project with mypy in its environment and no mypy settings: Tools
    showed only "python parse: ran", and nothing said mypy had not type-checked the change."""
    repo = GitRepoBuilder(tmp_path / "repo")
    base = repo.commit("start", {"pyproject.toml": '[project]\nname = "app"\n',
                                 "app/encoding.py": ENCODING})  # fmt: skip
    head = repo.commit("bytes", {"app/encoding.py": ENCODING.replace("repr(obj)", "str(obj)")})
    done = _review(tmp_path, repo, base, head, path_env())
    assert done.document is not None, done.stderr
    assert "mypy" not in [tool["tool"] for tool in done.document["tools"]]
    assert ("No type checker ran on the change: mypy is installed in this job, but the "
            "repository configures it nowhere review looks (mypy.ini, .mypy.ini, [tool.mypy] "
            "in pyproject.toml or [mypy] in setup.cfg); add one to have review run mypy on the "
            "change."
            ) in done.document["notes"], done.document["notes"]  # fmt: skip
    assert "Incomplete" not in done.document["headline"]


def test_no_type_checker_at_all_is_said_with_the_file_that_turns_one_on(tmp_path: Path) -> None:
    """A new user's munch review, mypy neither configured nor on the job's PATH: Tools showed
    only "python parse: ran", and nothing said the change's types went unchecked."""
    repo = GitRepoBuilder(tmp_path / "repo")
    base = repo.commit("start", {"pyproject.toml": '[project]\nname = "app"\n',
                                 "app/encoding.py": ENCODING})  # fmt: skip
    head = repo.commit("bytes", {"app/encoding.py": ENCODING.replace("repr(obj)", "str(obj)")})
    done = _review(tmp_path, repo, base, head, "/usr/bin:/bin")
    assert done.document is not None, done.stderr
    assert ("No type checker ran on the change: the repository configures mypy nowhere review "
            "looks (mypy.ini, .mypy.ini, [tool.mypy] in pyproject.toml or [mypy] in setup.cfg), "
            "and mypy is not "
            "installed in this job; add both to have review run mypy on the change."
            ) in done.document["notes"], done.document["notes"]  # fmt: skip
    assert "Incomplete" not in done.document["headline"]
    assert "No type checker ran" in done.summary


QUERY = '''\
export function limit(value: number): number {
  return Math.max(0, value);
}

export function page(size: number): number {
  const bounded: number = limit(size);
  return bounded * 2;
}
'''


@needs_sandbox
def test_tsc_errors_land_on_the_changed_line_they_depend_on(tmp_path: Path) -> None:
    where = needs_node_tool("tsc")
    repo = GitRepoBuilder(tmp_path / "repo")
    config = '{"compilerOptions": {"strict": true, "noEmit": true}, "include": ["src"]}\n'
    base = repo.commit("start", {"tsconfig.json": config, "src/query.ts": QUERY})
    changed = QUERY.replace("): number {\n  return Math.max(0, value);",
                            "): string {\n  return String(Math.max(0, value));")
    head = repo.commit("string", {"src/query.ts": changed})
    done = _review(tmp_path, repo, base, head, where)
    assert done.document is not None, done.stderr
    assert {"tool": "tsc", "could_not_run": ""} in done.document["tools"], done.document["tools"]
    found = [f for f in _found(done) if f[0].startswith("tsc/")]
    assert ("tsc/TS2322", "src/query.ts", 1, "high") in found, found
    assert done.code == 1


def test_mypys_output_is_read_whole_and_a_crash_is_not_a_clean_run() -> None:
    printed = (
        "app/a.py:17:12: error: Incompatible return value type (got \"bytes\", expected \"str\")"
        "  [return-value]\n"
        "app/a.py:17:12: note: Perhaps you meant to decode it?\n"
        "Found 1 error in 1 file (checked 3 source files)\n"
    )
    (hit,) = read_report("mypy", printed, "/work")
    assert (hit.path, hit.line, hit.code, hit.compiles) == ("app/a.py", 17, "return-value", True)
    assert hit.message.endswith("Perhaps you meant to decode it?")
    assert read_report("mypy", "Success: no issues found in 3 source files\n", "/work") == []
    with pytest.raises(UnreadableReport, match="closing line"):
        read_report("mypy", "usage: mypy [-h]\nmypy: error: unrecognized arguments: -O\n", "/w")


def test_a_tsc_chain_of_reasons_is_one_message() -> None:
    printed = (
        "src/q.ts(71,5): error TS2322: Type 'string' is not assignable to type 'Row'.\n"
        "  Property 'id' is missing in type 'string'.\n"
        "src/q.ts(80,1): error TS1005: ';' expected.\n"
    )
    first, second = read_report("tsc", printed, "/work")
    assert first.message.endswith("Property 'id' is missing in type 'string'.")
    assert (second.line, second.code) == (80, "TS1005")


def test_an_error_is_placed_on_the_added_line_holding_its_names() -> None:
    added = {"x.go": {24: "\tout := make([]int64, len(ss))", 30: "\t// a comment"},
             "y.go": {3: "func Atoi64() {}"}}  # fmt: skip
    message = "cannot use strconv.Atoi(d) (value of type int) as int64 value in assignment"
    assert names(message) >= {"strconv.Atoi", "Atoi", "int64"}
    placer = Placer(added)
    assert placer.place("x.go", 27, message) == ("x.go", 24)
    assert placer.place("x.go", 24, "anything") == ("x.go", 24)  # on a changed line
    assert placer.place("x.go", 27, "syntax error: unexpected newline") is None
    # in another file when this one holds none of the names
    assert placer.place("z.go", 5, 'undefined: "Atoi64"') == ("y.go", 3)


def test_a_hostile_message_is_cleaned_and_cut() -> None:
    errors = [BuildError("a.py", 2, "x" * 200, "bad `Name` " + "@everyone " * 100)]
    (found,), unexplained, _ = build_findings("mypy", errors, {"a.py": {1: "Name = 1"}},
                                           lambda text: text.replace("@", "@\u200b"))
    assert unexplained == 0 and found.line == 1 and found.severity == Severity.HIGH
    assert "@everyone" not in found.body and len(found.rule) <= len("mypy/") + 80


def test_a_renamed_function_places_its_callers_errors_on_the_rename() -> None:
    """The message names the old name, which the changed line no longer holds: the words the
    change took away count as much as those it brought."""
    diff = parse_diff(
        "diff --git a/m.ts b/m.ts\n--- a/m.ts\n+++ b/m.ts\n@@ -1,3 +1,3 @@\n"
        " // parsing\n-export function parse(s: string): number {\n"
        "+export function parseNumber(s: string): number {\n   return Number(s);\n"
    )
    (file,) = diff.files
    changed = {"m.ts": changed_words(file)}
    assert changed["m.ts"][2] == {"parse", "parseNumber"}
    added = {"m.ts": dict(file.added_lines())}
    assert Placer(added, changed).place("m.ts", 40, "Cannot find name 'parse'.") == ("m.ts", 2)
    assert Placer(added).place("m.ts", 40, "Cannot find name 'parse'.") is None  # names alone


CALLERS = '''\
export function limit(value: number): number {
  return Math.max(0, value);
}

export const a: number = limit(1);
export const b: number = limit(2);
export const c: number = limit(3);
'''


@needs_sandbox
def test_errors_one_change_causes_are_one_finding_on_its_line(tmp_path: Path) -> None:
    where = needs_node_tool("tsc")
    repo = GitRepoBuilder(tmp_path / "repo")
    config = '{"compilerOptions": {"strict": true, "noEmit": true}, "include": ["src"]}\n'
    base = repo.commit("start", {"tsconfig.json": config, "src/limit.ts": CALLERS})
    changed = CALLERS.replace("): number {\n  return Math.max(0, value);",
                              "): string {\n  return String(Math.max(0, value));")
    head = repo.commit("string", {"src/limit.ts": changed})
    done = _review(tmp_path, repo, base, head, where)
    assert done.document is not None, done.stderr
    found = [f for f in done.document["findings"] if f["rule"].startswith("tsc/")]
    assert [(f["path"], f["line"]) for f in found] == [("src/limit.ts", 1)], found
    assert "3 errors" in found[0]["body"], found[0]["body"]
    for line in (5, 6, 7):
        assert f"src/limit.ts:{line}" in found[0]["body"], found[0]["body"]


def test_one_message_two_checkers_say_on_one_line_is_one_finding_naming_both() -> None:
    from cicd_agent.modes.review.lint.build_errors import merged

    added = {"main.go": {3: "func parse(s string) int {"}}
    said = "cannot use x (variable of type int) as string value in argument to parse"
    vet, _, _ = build_findings("go vet", [BuildError("main.go", 3, "typecheck", said)], added, str)
    lint, _, _ = build_findings("golangci-lint", [BuildError("main.go", 3, "typecheck", said)], added, str)
    other, _, _ = build_findings("golangci-lint", [BuildError("main.go", 3, "x", "another")], added, str)
    (one, two) = merged([*vet, *lint, *other])
    assert (one.path, one.line) == ("main.go", 3)
    assert "go vet" in one.body and "golangci-lint" in one.body, one.body
    assert two.title.endswith("another")


def test_a_linters_finding_in_the_compilers_words_on_its_line_joins_the_build_finding() -> None:
    from cicd_agent.modes.review.lint.build_errors import merged
    from cicd_agent.modes.review.lint.lint_reports import LintHit, lint_findings

    added = {"src/a.ts": {1: "export function limit(value: number): string {"}}
    said = "Type 'string' is not assignable to type 'number'."
    tsc, _, _ = build_findings("tsc", [BuildError("src/a.ts", 1, "TS2322", said)], added, str)
    hit = LintHit("src/a.ts", 1, "@typescript-eslint/no-unsafe-return", said, error=True)
    eslint = lint_findings("eslint", [hit], {"src/a.ts": {1}}, str)
    (one,) = merged([*eslint, *tsc])
    assert one.rule == "tsc/TS2322" and "eslint" in one.body, one


# a new user's pytimeparse change: the settings and the error in one pull request
TIMEPARSE = "def timeparse(sval):\n    return int(sval)\n"
LABEL = TIMEPARSE + '\n\ndef _seconds_label(n: int) -> int:\n    return "%d seconds" % n\n'


def test_a_change_adding_mypy_ini_reviewed_from_another_checkout_says_check_out_the_head(
    tmp_path: Path,
) -> None:
    """The change added ``mypy.ini`` and a type error, and review ran with the checkout on
    the base: the note said the repository configures mypy nowhere, add one; the change had.
    Review now refuses a checkout of another commit (exit 2) naming the one to check out."""
    repo = GitRepoBuilder(tmp_path / "repo")
    base = repo.commit("start", {"pytimeparse/timeparse.py": TIMEPARSE})
    head = repo.commit("te3", {"mypy.ini": "[mypy]\n", "pytimeparse/timeparse.py": LABEL})
    repo.git("checkout", "-q", base)
    done = _review(tmp_path, repo, base, head, path_env())
    assert done.code == 2, done.stderr
    assert f"(its HEAD is {base[:12]}) is not the reviewed head {head[:12]}" in done.stderr
    assert f"git checkout {head[:12]}" in done.stderr
    assert "configures mypy nowhere" not in done.stderr + done.summary


@needs_sandbox
@pytest.mark.parametrize("settings", [
    {"setup.cfg": "[bdist_wheel]\nuniversal=1\n\n[mypy]\n"}, {".mypy.ini": "[mypy]\n"},
    {"pyproject.toml": '[project]\nname = "app"\n\n[tool.mypy]\n'},
], ids=["setup.cfg", ".mypy.ini", "pyproject.toml"])  # fmt: skip
def test_mypy_configured_in_setup_cfg_or_its_other_files_runs(
    tmp_path: Path, settings: dict[str, str]
) -> None:
    """pytimeparse's mypy settings in ``setup.cfg`` (``[mypy]``): review said the repository
    configures mypy nowhere and never type-checked the change."""
    repo = GitRepoBuilder(tmp_path / "repo")
    base = repo.commit("start", {**settings, "pytimeparse/timeparse.py": TIMEPARSE})
    head = repo.commit("te2", {"pytimeparse/timeparse.py": LABEL})
    done = _review(tmp_path, repo, base, head, path_env())
    assert done.document is not None, done.stderr
    assert {"tool": "mypy", "could_not_run": ""} in done.document["tools"], done.document["tools"]
    assert ("mypy/return-value", "pytimeparse/timeparse.py", 6, "high") in _found(done)


@needs_sandbox
@pytest.mark.parametrize("broken", [True, False], ids=["reports", "silent"])
def test_the_note_on_the_pull_requests_own_settings_says_the_base_s_were_run(
    tmp_path: Path, broken: bool
) -> None:
    """A new user's branch configured mypy and added a type error: mypy reported it, and the
    note beside it still said "its silence here is under the pull request's own settings".
    mypy runs with the base's settings, and the note says so whether it found something or
    not (its ``strict = true`` applies once merged: the untyped ``g`` is not reported)."""
    repo = GitRepoBuilder(tmp_path / "repo")
    pyproject = '[project]\nname = "app"\n\n[tool.mypy]\n'
    base = repo.commit("start", {"pyproject.toml": pyproject, "app/a.py": "X = 1\n"})
    added = "def f() -> int:\n    return 'x'\n" if broken else "def f() -> int:\n    return 1\n"
    added += "\n\ndef g(x):\n    return x\n"
    head = repo.commit("strict", {"pyproject.toml": pyproject + "strict = true\n",
                                  "app/a.py": "X = 1\n\n\n" + added})  # fmt: skip
    done = _review(tmp_path, repo, base, head, path_env())
    assert done.document is not None, done.stderr
    assert {"tool": "mypy", "could_not_run": ""} in done.document["tools"], done.document["tools"]
    assert bool(_found(done)) is broken, _found(done)
    noted = [n for n in done.document["notes"] if "changes mypy's configuration" in n]
    assert noted and "ran mypy with the base branch's settings" in noted[0], done.document["notes"]


def test_mypy_missing_from_the_job_says_the_step_to_add_to_the_workflow(tmp_path: Path) -> None:
    """A new user copied the shipped review workflow (checkout, then cicd-agent): mypy was not
    installed, a type error passed with exit 0, and Tools said only to "run pip install mypy",
    not where: the fix is a step in the workflow, before cicd-agent's."""
    repo = GitRepoBuilder(tmp_path / "repo")
    pyproject = '[project]\nname = "app"\n\n[tool.mypy]\n'
    base = repo.commit("start", {"pyproject.toml": pyproject, "app/encoding.py": ENCODING})
    head = repo.commit("bytes", {"app/encoding.py": ENCODING.replace("repr(obj)", "str(obj)")})
    done = _review(tmp_path, repo, base, head, "/usr/bin:/bin")
    assert done.document is not None, done.stderr
    assert {"tool": "mypy", "could_not_run": (
        "not installed in this job; add a step `run: pip install mypy` (the version the "
        "project pins; not the project itself, whose install runs the pull request's build "
        "in the job) to the workflow before cicd-agent's step")} in done.document["tools"], (
        done.document["tools"])
