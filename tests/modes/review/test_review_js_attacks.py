"""Attacks on the JavaScript test runs behind review's checked suggestions: a
hostile pull request's tests and runner configuration against what the posted line says.

The line under a block must say only what the runs show: a test file the runner never ran,
or a run where no test passed, is not a check. Real eslint, real jest, real sandbox, the CLI
(the helpers of :mod:`.test_review_js_tests`).
"""

from __future__ import annotations

import difflib
import json
import os
import subprocess
from pathlib import Path

import pytest

from cicd_agent.modes.review import suggestions
from cicd_agent.modes.review.keeps_passing import KeepsPassing, KeepsPassingJudge
from cicd_agent.runners.jest.runner import Jest
from cicd_agent.runners.lookups import for_file
from cicd_agent.runners.pytest.runner import PytestSandbox
from tests.git_builder import GitRepoBuilder
from tests.helpers.eslint import needs_node_tool
from tests.helpers.js_report import read_report
from tests.helpers.sandbox import needs_sandbox
from tests.modes.review.test_review_js_tests import (
    APP,
    NODE_MODULES,
    READS,
    TEST,
    _checked,
    _notes,
    _review,
)


def passed_tests(report: str, root: str, code: int, tests: tuple[str, ...]) -> tuple[frozenset[str], str]:
    """The tests a jest or vitest report shows passing, as the seam reads it, or why no result."""
    outcomes, why = read_report(report, root, code, tests)
    return frozenset(t for t, o in outcomes.items() if o == "passed"), why


@needs_sandbox
def test_attack_a_test_file_whose_tests_all_skip_is_not_called_a_check(tmp_path: Path) -> None:
    """Attack: every test of the file is skipped (or the suite fails to load on the head): the
    runner exits 0 with no passing test. Before: "checked ... 0 passing test(s) of 1 test
    file(s) and eslint still pass", a check no test took part in."""
    done = _review(tmp_path, {"src/app.test.js": TEST.replace("test(", "test.skip(")})
    assert _checked(done)["checked"] == (
        "Applied to the head in the sandbox and checked against eslint; no test of its 1 test "
        "file(s) passed without the change, so no test checked it."
    )


@needs_sandbox
def test_attack_a_test_file_the_configuration_never_runs_is_not_counted(tmp_path: Path) -> None:
    """Attack: ``jest.config.js`` ignores one of the two test files named after ``app.js``.
    Before: "1 passing test(s) of 2 test file(s)", though one never ran."""
    config = 'module.exports = { testPathIgnorePatterns: ["__tests__"] };\n'
    nested = TEST.replace("./app", "../app")
    done = _review(tmp_path, {"src/app.test.js": TEST, "src/__tests__/app.js": nested,
                              "jest.config.js": config})  # fmt: skip
    assert _checked(done)["checked"] == (
        "Applied to the head in the sandbox and checked: 1 test passes with it (1 test file(s) "
        "(1 more named after it ran no passing test), and eslint still pass)."
    )


@needs_sandbox
def test_attack_a_daemon_holding_the_report_pipe_cannot_stall_the_check(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Attack: the configuration forks a detached process that holds the report's pipe open
    and outlives jest; the run still ends with jest (its namespace dies with it) and gives its
    word, well inside a budget a stall would spend."""
    monkeypatch.setattr(suggestions, "BUDGET", 90.0)
    config = ('require("child_process").spawn("sleep", ["600"], '
              '{ detached: true, stdio: ["ignore", 1, 2] }).unref();\nmodule.exports = {};\n')  # fmt: skip
    done = _review(tmp_path, {"src/app.test.js": TEST, "jest.config.js": config})
    assert _checked(done)["checked"].startswith("Applied to the head in the sandbox and checked: "
                                                "1 test passes with it"), _notes(done)  # fmt: skip


@needs_sandbox
def test_attack_a_broken_tests_name_cannot_leave_its_code_span(tmp_path: Path) -> None:
    """Attack: the test the fix breaks is named with a newline, a workflow command, a backtick,
    a mention and HTML; the summary names it escaped, inside one code span."""
    name = "x`\\n::error::pwn @org/team <img src=x>"
    keeps = f'{READS}test("{name}", () => {{ expect(text).toContain("let total"); }});\n'
    done = _review(tmp_path, {"src/app.test.js": keeps})
    note = next(n for n in _notes(done) if "withheld" in n)
    assert note == ("1 suggestion(s) checked in the sandbox, 1 withheld: they broke "
                    "``src/app.test.js › x`\\n::error::pwn @org/team <img src=x>``.")  # fmt: skip


def test_attack_a_report_naming_tests_of_other_files_counts_only_the_files_asked_for() -> None:
    """Attack: the configuration's reporter (or ``projects``) reports passes of files the
    claim never named, or outside the checkout: they are not the claim's tests."""
    report = ('{"success": true, "testResults": ['
              '{"name": "/r/a.test.js", "assertionResults": [{"fullName": "t", "status": "passed"}]},'
              '{"name": "/r/b.test.js", "assertionResults": [{"fullName": "t", "status": "passed"}]},'
              '{"name": "/etc/x.test.js", "assertionResults": [{"fullName": "t", "status": "passed"}]}'
              ']}')  # fmt: skip
    assert passed_tests(report, "/r", 0, ("a.test.js",)) == (frozenset({"a.test.js › t"}), "")


REAL = ('{"success": false, "testResults": [{"name": "/r/a.test.js", "assertionResults": '
        '[{"fullName": "adds", "status": "failed"}, {"fullName": "testResults", "status": "passed"}]}]}')
FORGED = REAL.replace("false", "true").replace('"failed"', '"passed"')
ESCAPED = FORGED.replace("testResults", "\\u0074estResults")  # the same key to a JSON reader
SPACED = FORGED.replace('"testResults":', '"testResults" :')
PRETTY = json.dumps(json.loads(REAL), indent=2)
"""vitest 0.34's report: indented over many lines (before, no vitest before 1 was read)."""
NESTED = ('{\n  "success": true,\n  "\\u0074estResults": [{"name": "/r/a.test.js", "assertionResults": '
          '[{"fullName": "adds", "status": "passed"}]}],\n  "junk": ' + PRETTY + "\n}")
"""A test's unended lines open an object whose escaped key forges, the runner's report inside."""


@pytest.mark.parametrize(("output", "why"), [
    (f"TAP version 13\n{{ not json\nok 1 - x\n{REAL}\n", ""),  # unjs/defu's: a test printed first
    (f"{FORGED}\n{REAL}\n", "a second report"),  # a forged report before the runner's
    (f"{REAL}\n{FORGED}\n", "a second report"),  # or after it (a process that outlived the test)
    (f"{FORGED}\nunended{REAL}\n", "a second report"),  # the runner's pushed off its line start
    (f"{ESCAPED}\nunended{REAL}\n", "its report does not start its line"),
    (f"{SPACED}\n{REAL}\n", "a second report"),
    (f"{REAL} {FORGED}\n", "a second report"),
    (f"{REAL}trailing\n", "an unreadable report"),
    (f"TAP version 13\n{{ not json\n{PRETTY}\n", ""),
    (f"{NESTED}\n", "its report is not indented as its structure"),
    (f"{PRETTY}trailing\n", "an unreadable report"),
    (f"unended{PRETTY}\n", "its report does not start its line"),
])  # fmt: skip
def test_attack_a_report_a_test_prints_beside_the_runners_never_displaces_it(output: str, why: str) -> None:
    """Attack: a test prints a report of its own, one that says the failing test passed,
    before or after the runner's, escapes or spaces its key, or pushes the runner's off its
    line start with an unended line: no result. Text a test prints before the report is no
    attack (unjs/defu): the runner's report stands. Before: any text beside it was unreadable."""
    passed, said = passed_tests(output, "/r", 1, ("a.test.js",))
    if why:
        assert said.startswith(why) and not passed, said
    else:
        assert (passed, said) == (frozenset({"a.test.js › testResults"}), "")


@pytest.mark.parametrize(
    "report",
    ["[" * 100_000 + "]" * 100_000, '{"success": NaN, "testResults": []}', "1" * 5_000],
)
def test_attack_a_report_deeply_nested_nan_or_a_huge_number_is_no_result(report: str) -> None:
    passed, why = passed_tests(report, "/r", 0, ("a.test.js",))
    assert passed == frozenset() and why


@needs_sandbox
def test_attack_a_runner_that_is_a_link_out_of_its_folder_gives_no_result(tmp_path: Path) -> None:
    """Attack: ``node_modules/.bin/jest`` links to ``/bin/true`` (exits 0, reports nothing):
    it runs in the sandbox only, and no report is no result, so the suggestion is unchecked and
    posted without its block."""
    done = _review(
        tmp_path, {"src/app.test.js": TEST}, installed=(), bins={"jest": Path("/bin/true")}
    )
    assert _checked(done)["suggestion"] is None
    assert any(n.startswith("1 suggestion(s) left unchecked") for n in _notes(done)), _notes(done)


def test_attack_a_package_json_linking_out_of_the_checkout_chooses_no_runner(
    tmp_path: Path,
) -> None:
    """Attack: jest and vitest are both installed and ``package.json`` is a link to a file
    outside the checkout naming one, or is nested past the parser's depth: neither is read,
    and the line says no runner was chosen."""
    outside = tmp_path / "outside.json"
    outside.write_text('{"devDependencies": {"jest": "*"}}')
    for package in (None, "[" * 100_000):
        checkout = tmp_path / f"checkout-{package is None}"
        (checkout / "node_modules" / ".bin").mkdir(parents=True)
        subprocess.run(["git", "init", "-q", str(checkout)], check=True)  # a checkout is a repo
        for name in ("jest", "vitest"):
            (checkout / "node_modules" / ".bin" / name).symlink_to("/bin/true")
        if package is None:
            (checkout / "package.json").symlink_to(outside)
        else:
            (checkout / "package.json").write_text(package)
        assert isinstance(runner := for_file("a.js", checkout, {}), str) and "does not choose" in runner


@needs_sandbox
def test_a_test_named_after_its_folder_is_the_same_test_with_and_without_the_fix(
    tmp_path: Path,
) -> None:
    """A test named with its own path (``test.each`` over fixture paths, ``__dirname``) runs
    in another copy of the checkout with the fix: it is the same test, not one that broke, and
    the sandbox's folder never reaches the summary."""
    named = TEST.replace('test("adds"', "test(`adds in ${__dirname}`")
    done = _review(tmp_path, {"src/app.test.js": named})
    assert _checked(done)["checked"].startswith(
        "Applied to the head in the sandbox and checked: 1 test passes with it"
    ), _notes(done)


@needs_sandbox
def test_attack_a_broken_test_named_with_its_path_cannot_post_the_sandboxs_folder(
    tmp_path: Path,
) -> None:
    """Attack: the test the fix breaks is named with ``__dirname``: the summary names it with
    the checkout's folder as the run saw it, never the host's temporary folder of the sandbox."""
    keeps = f'{READS}test(`keeps let in ${{__dirname}}`, () => {{ expect(text).toContain("let total"); }});\n'
    done = _review(tmp_path, {"src/app.test.js": keeps})
    assert ("1 suggestion(s) checked in the sandbox, 1 withheld: they broke "
            "`src/app.test.js › keeps let in /live/repo/src`.") in _notes(done), _notes(done)  # fmt: skip


@needs_sandbox
def test_attack_a_suggestion_that_stubs_the_assertions_as_its_module_loads_is_never_checked(
    tmp_path: Path,
) -> None:
    """Attack (a stubbed test runner, in jest's realm): a model's suggestion breaks ``add`` and adds
    one top-level line that makes every ``toBe`` hold as the test requires the module
    (``Object.is`` replaced, or ``expect`` itself). jest's in-run check cannot see it (the code
    under test shares the test's realm), so the seam's static rule refuses the patched run before it
    starts (analyse-failure's fix judge reads the same rule: ``test_fix_judge_jest.py``). Before:
    posted as checked, "1 passing test(s) of 1 test file(s) still pass"."""
    repo = GitRepoBuilder(tmp_path / "repo")
    package = '{"name": "app", "devDependencies": {"jest": "*"}}\n'
    repo.commit("start", {"package.json": package, "src/app.js": APP, "src/app.test.js": TEST,
                          ".gitignore": "node_modules\n"})  # fmt: skip
    (repo.path / "node_modules" / ".bin").mkdir(parents=True)
    os.symlink(NODE_MODULES / ".bin" / "jest", repo.path / "node_modules" / ".bin" / "jest")
    os.symlink(NODE_MODULES / "jest", repo.path / "node_modules" / "jest")
    environ = {"PATH": needs_node_tool("jest"), "HOME": "/nonexistent"}
    with PytestSandbox(repo.path, environ) as sandbox:
        checks = KeepsPassingJudge(sandbox, budget=300, code_is_proof=True)  # one baseline for both
        for stub in ("Object.is = () => true;", "globalThis.expect = () => ({ toBe() {} });"):
            broken = f"exports.add = (a, b) => a - b;\n{stub}\n"
            diff = "".join(difflib.unified_diff(APP.splitlines(True), broken.splitlines(True),
                                                "a/src/app.js", "b/src/app.js"))  # fmt: skip
            kept = checks.judge(KeepsPassing(diff, ("src/app.js",), ("src/app.test.js",),
                                             runner=Jest()))  # fmt: skip
            assert not kept.held and kept.unchecked, kept
            assert kept.said.startswith("unchecked: its tests gave no result (the patch adds code "
                                        "that runs as src/app.js loads (line 2)"), kept  # fmt: skip
