"""What a pull request can make the project's own type checker print, through the
configuration and code it controls: a checker that stopped on an error of its own checked
nothing, and is never read as a clean run; its errors, however many and however long, are
placed on changed lines within a bound."""

from __future__ import annotations

from pathlib import Path

import pytest

from cicd_agent.modes.review.lint.build_errors import (
    MAX_COMPILE_FINDINGS,
    BuildError,
    build_findings,
)
from cicd_agent.modes.review.lint.compile_errors import MAX_MESSAGE, mypy_errors, tsc_errors
from cicd_agent.modes.review.lint.lint_reports import UnreadableReport, read_report
from cicd_agent.modes.review.lint.placer import MAX_WORK
from tests.git_builder import GitRepoBuilder
from tests.helpers.cli import run_cli
from tests.helpers.eslint import needs_node_tool
from tests.helpers.gen_tests import path_env
from tests.helpers.sandbox import needs_sandbox

BROKEN = 'export const limit: number = "none";\n'


@needs_sandbox
def test_attack_a_tsconfig_that_gives_tsc_no_inputs_is_not_a_clean_run(tmp_path: Path) -> None:
    """ATTACK: the tsconfig.json includes no file, so tsc prints only its own error (TS18003,
    no path) and checks none of the change's code; read as a report with no error, review said
    tsc ran clean on a change that does not type-check. (tsc reads the base's tsconfig.json,
    so the base's is the one that includes nothing; a head's edit to it is not read.)"""
    where = needs_node_tool("tsc")
    repo = GitRepoBuilder(tmp_path / "repo")
    config = '{"compilerOptions": {"strict": true, "noEmit": true}, "include": ["nothing"]}\n'
    base = repo.commit("start", {"tsconfig.json": config, "src/query.ts": "export {};\n"})
    head = repo.commit("break", {"src/query.ts": BROKEN})
    argv = ["review", "--provider", "none", "--json", "--repo", str(repo.path), "--base", base,
            "--head", head]  # fmt: skip
    done = run_cli(argv, tmp_path, {"PATH": where, "HOME": str(tmp_path / "home")})
    assert done.document is not None, done.stderr
    (tsc,) = [tool for tool in done.document["tools"] if tool["tool"] == "tsc"]
    assert "tsc stopped on an error of its own" in tsc["could_not_run"], done.document["tools"]


def test_attack_errors_the_pull_request_multiplies_are_placed_within_a_bound() -> None:
    """ATTACK: the checker prints what the head's code makes it print: 20,000 errors, each
    naming a name that 500 added lines hold. Each error was matched against every added line
    with a pattern a name (10 million searches; a type of 5,000 members untruncated was 2 s an
    error); the added lines are indexed once, the lines looked at are bounded over the whole
    report, and the errors past the bound are counted, not placed."""
    added = {"src/a.ts": {n: "const shared_name = 1;" for n in range(1, 501)}}
    errors = [BuildError("src/b.ts", n, "TS2304", "Cannot find name 'shared_name'.")
              for n in range(1, 20_001)]  # fmt: skip
    found, unexplained, unplaced = build_findings("tsc", errors, added, str)
    assert len(found) == MAX_COMPILE_FINDINGS and unexplained == 0
    assert 0 < unplaced < len(errors)
    assert (len(errors) - unplaced - 1) * 500 <= MAX_WORK
    # nearest above the error, else the first; one finding per changed line
    assert [f.line for f in found[:3]] == [1, 2, 3]


@needs_sandbox
def test_attack_a_duplicate_module_that_stops_mypy_is_not_a_clean_run(tmp_path: Path) -> None:
    """ATTACK: the head adds an empty module of the same name in another folder; mypy stops on
    the duplicate (an error with no line) before checking anything, and says "Found 1 error
    in 1 file (errors prevented further checking)". That closing line was read as a finished
    run with no error on the code, so the change's type error was never shown."""
    repo = GitRepoBuilder(tmp_path / "repo")
    pyproject = '[project]\nname = "app"\n\n[tool.mypy]\nstrict = true\n'
    base = repo.commit("start", {"pyproject.toml": pyproject, "app/x.py": "LIMIT: int = 1\n"})
    head = repo.commit("str", {"app/x.py": 'LIMIT: int = "one"\n', "app/sub/x.py": ""})
    argv = ["review", "--provider", "none", "--json", "--repo", str(repo.path), "--base", base,
            "--head", head]  # fmt: skip
    done = run_cli(argv, tmp_path, {"PATH": path_env(), "HOME": str(tmp_path / "home")})
    assert done.document is not None, done.stderr
    (mypy,) = [tool for tool in done.document["tools"] if tool["tool"] == "mypy"]
    assert "mypy stopped" in mypy["could_not_run"], done.document["tools"]


def test_tscs_own_errors_stop_it_and_its_other_lines_do_not() -> None:
    """An error with no file is tsc stopping on its configuration; the file lists and figures
    ``listFiles`` or ``diagnostics`` print are not, and the run's errors are read whole."""
    error = "src/a.ts(1,14): error TS2322: Type 'string' is not assignable to type 'number'.\n"
    (hit,) = read_report("tsc", error + "/x/lib.d.ts\nFiles:   3\n", "/work")
    assert (hit.path, hit.line, hit.code) == ("src/a.ts", 1, "TS2322")
    with pytest.raises(UnreadableReport, match="tsc stopped") as raised:
        read_report("tsc", "error TS5083: Cannot read file '/w/nope.json'.\n" + error, "/work")
    assert [h.code for h in raised.value.hits] == ["TS2322"]


def test_an_error_with_thousands_of_notes_keeps_a_bounded_message() -> None:
    """ATTACK: an overload of 50,000 variants makes mypy print as many notes on one error (tsc
    as many reasons); each was joined to a message that grew, time in their square (1.6 s and
    3.7 s here; a 16 MiB report, minutes). The message keeps its first characters, and the
    errors after it are read whole."""
    notes = "".join(f"a.py:3:1: note:     def f(x: Literal[{i}]) -> int\n" for i in range(50_000))
    printed = ("a.py:3:1: error: No overload variant matches  [call-overload]\n" + notes
               + "a.py:9:1: error: Name \"g\" is not defined  [name-defined]\n")  # fmt: skip
    first, second = mypy_errors(printed)
    assert len(first[3]) <= MAX_MESSAGE and first[3].startswith("No overload variant matches")
    assert second == ("a.py", 9, "name-defined", 'Name "g" is not defined')
    reasons = "".join(f"  Overload {i} of 50000, '(x: {i}): number'.\n" for i in range(50_000))
    (only,) = tsc_errors("a.ts(3,1): error TS2769: No overload matches this call.\n" + reasons)
    assert len(only[3]) <= MAX_MESSAGE and "Overload 0 of 50000" in only[3]


@needs_sandbox
def test_attack_a_head_that_removes_mypys_settings_does_not_skip_it_silently(
    tmp_path: Path,
) -> None:
    """ATTACK: the head deletes ``[tool.mypy]`` from pyproject.toml in the change that breaks
    a type: mypy was no longer configured at the head, so it was not run and not listed, and
    the review read as if the project had no type checker. It runs with the base's settings
    and finds the error."""
    repo = GitRepoBuilder(tmp_path / "repo")
    pyproject = '[project]\nname = "app"\n\n[tool.mypy]\nstrict = true\n'
    base = repo.commit("start", {"pyproject.toml": pyproject, "app/x.py": "LIMIT: int = 1\n"})
    head = repo.commit("str", {"pyproject.toml": '[project]\nname = "app"\n',
                               "app/x.py": 'LIMIT: int = "one"\n'})  # fmt: skip
    argv = ["review", "--provider", "none", "--json", "--repo", str(repo.path), "--base", base,
            "--head", head]  # fmt: skip
    done = run_cli(argv, tmp_path, {"PATH": path_env(), "HOME": str(tmp_path / "home")})
    assert done.document is not None, done.stderr
    assert {"tool": "mypy", "could_not_run": ""} in done.document["tools"], done.document["tools"]
    found = [(f["rule"], f["path"], f["line"], f["severity"]) for f in done.document["findings"]]
    assert ("mypy/assignment", "app/x.py", 1, "high") in found, found


@needs_sandbox
def test_attack_a_head_that_turns_tscs_checks_off_is_said(tmp_path: Path) -> None:
    """ATTACK: the head sets ``noCheck``, ``skipLibCheck`` and ``"strict": false`` in
    tsconfig.json with a change that breaks a type; tsc ran the pull request's settings,
    checked nothing and said nothing, and the review read as a clean type check. tsc runs with
    the base's tsconfig.json and finds the error, and a note says the settings changed."""
    where = needs_node_tool("tsc")
    repo = GitRepoBuilder(tmp_path / "repo")
    config = '{"compilerOptions": {"strict": true, "noEmit": true}, "include": ["src"]}\n'
    base = repo.commit("start", {"tsconfig.json": config, "src/query.ts": "export {};\n"})
    weak = config.replace('"strict": true', '"strict": false, "noCheck": true, '
                          '"skipLibCheck": true')  # fmt: skip
    head = repo.commit("off", {"tsconfig.json": weak, "src/query.ts": BROKEN})
    argv = ["review", "--provider", "none", "--json", "--repo", str(repo.path), "--base", base,
            "--head", head]  # fmt: skip
    done = run_cli(argv, tmp_path, {"PATH": where, "HOME": str(tmp_path / "home")})
    assert done.document is not None, done.stderr
    found = [(f["rule"], f["path"], f["line"], f["severity"]) for f in done.document["findings"]]
    assert ("tsc/TS2322", "src/query.ts", 1, "high") in found, found
    said = [n for n in done.document["notes"] if "changes tsc's configuration" in n]
    assert said and "with the base branch's settings" in said[0], done.document["notes"]
