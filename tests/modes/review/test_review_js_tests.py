"""An eslint fix is checked against the JavaScript tests of its file too: the tests
named after it (``app.test.js``, ``app.spec.ts``, ``__tests__/app.js``), run by the
repository's own jest or vitest from its ``node_modules/.bin``, in the sandbox, without and with
the fix. A fix that breaks one is withheld and the summary names it; without a runner, or
without a test of its name, the posted line says which, and how to get one.

The runner's configuration and the tests are the pull request's code: each attack below is
one, and each review also carries an honest file, so a test passing because no test ever runs
fails. Real eslint, real jest and vitest, real sandbox, the CLI.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from cicd_agent.analysis.finding import Finding
from cicd_agent.modes.review import suggestions
from cicd_agent.modes.review.decide import keep_held_suggestions
from cicd_agent.modes.review.keeps_passing import KeepsPassing, Kept, against
from cicd_agent.modes.review.types import SuggestionChecks, key_of
from cicd_agent.runners.jest.runner import Jest
from cicd_agent.verify import contract
from tests.corpus.build import TOOLS_DIR
from tests.git_builder import GitRepoBuilder
from tests.helpers.cli import CliRun, run_cli
from tests.helpers.eslint import needs_eslint
from tests.helpers.js_report import read_report
from tests.helpers.review import pull_request_event
from tests.helpers.sandbox import needs_sandbox

NOT_INSTALLED = f"no tests were run: jest {Jest().missing(Path('/nonexistent'), {})}"


def passed_tests(report: str, root: str, code: int, tests: tuple[str, ...]) -> tuple[frozenset[str], str]:
    """The tests a jest or vitest report shows passing, as the seam reads it, or why no result."""
    outcomes, why = read_report(report, root, code, tests)
    return frozenset(t for t, o in outcomes.items() if o == "passed"), why


NODE_MODULES = TOOLS_DIR / "node" / "node_modules"
CONFIG = 'export default [{ rules: { "prefer-const": "error" } }];\n'
APP = "exports.add = (a, b) => a + b;\n"
ADDED = "let total = 2;\nexports.total = total;\n"
"""prefer-const's fix (``let`` → ``const``) is the suggestion every review below checks."""
TEST = 'const app = require("./app");\ntest("adds", () => { expect(app.add(1, 2)).toBe(3); });\n'
READS = 'const text = require("fs").readFileSync(__dirname + "/app.js", "utf8");\n'
MARKER = 'try { require("fs").writeFileSync("%MARKER%", "ran on the host"); } catch {}\n'


def _review(
    tmp_path: Path,
    files: dict[str, str],
    *,
    runner: str = "jest",
    installed: tuple[str, ...] = ("jest",),
    fork: bool = False,
    bins: dict[str, Path] | None = None,
) -> CliRun:
    """A review of a change adding :data:`ADDED` to ``src/app.js``, ``files`` beside it (their
    ``%MARKER%`` a host path that must never be written); ``installed``: the runners in the
    checkout's ``node_modules/.bin`` (its ``npm ci``), ``runner``: package.json's choice;
    ``bins``: other entries of that folder, each a link to its path."""
    marker = tmp_path / "outside" / "marker"
    marker.parent.mkdir()
    repo = GitRepoBuilder(tmp_path / "repo")
    package = f'{{"name": "app", "devDependencies": {{"{runner}": "*"}}}}\n'
    base = repo.commit("start", {"eslint.config.mjs": CONFIG, "package.json": package,
                                 "src/app.js": APP, ".gitignore": "node_modules\n"})  # fmt: skip
    given = {name: text.replace("%MARKER%", str(marker)) for name, text in files.items()}
    head = repo.commit("change", {"src/app.js": APP + ADDED, **given})
    bin_folder = repo.path / "node_modules" / ".bin"
    bin_folder.mkdir(parents=True)
    for name in installed:
        os.symlink(NODE_MODULES / ".bin" / name, bin_folder / name)
        os.symlink(NODE_MODULES / name, repo.path / "node_modules" / name)
    for name, target in (bins or {}).items():
        os.symlink(target, bin_folder / name)
    environ = {"PATH": needs_eslint(), "HOME": str(tmp_path / "home")}
    argv = ["review", "--provider", "none", "--report-on", "low", "--json",
            "--repo", str(repo.path), "--base", base, "--head", head]  # fmt: skip
    if fork:
        event = pull_request_event(tmp_path, base, head, fork=True)
        environ |= {"GITHUB_EVENT_PATH": str(event), "GITHUB_EVENT_NAME": "pull_request"}
        argv += ["--dry-run"]
    done = run_cli(argv, tmp_path, environ)
    assert done.code == 0, done.stderr
    assert not marker.exists()  # the runner's configuration runs in the sandbox only
    return done


def _checked(done: CliRun) -> dict[str, Any]:
    return next(f for f in (done.document or {})["findings"] if f["rule"] == "eslint/prefer-const")


def _notes(done: CliRun) -> list[str]:
    return list((done.document or {})["notes"])


@needs_sandbox
@pytest.mark.parametrize("runner", ["jest", "vitest"])
def test_an_eslint_fix_is_checked_against_the_tests_of_its_name(
    tmp_path: Path, runner: str
) -> None:
    """Attack too: the runner's configuration is JavaScript that writes to a host path."""
    config = ("jest.config.js", f"{MARKER}module.exports = {{}};\n") if runner == "jest" else (
        "vitest.config.mjs", f"import {{ createRequire }} from 'node:module';\n"
        f"const require = createRequire(import.meta.url);\n{MARKER}export default {{}};\n")  # fmt: skip
    test = TEST if runner == "jest" else 'import { test, expect } from "vitest";\n' + TEST
    vendored = {"lib/node_modules/dep/app.test.js": test}  # a package's, not the project's
    done = _review(tmp_path, {"src/app.test.js": test, config[0]: config[1], **vendored},
                   runner=runner, installed=("jest", "vitest"))  # fmt: skip
    finding = _checked(done)
    assert finding["suggestion"] == "const total = 2;\n", finding
    assert finding["checked"] == ("Applied to the head in the sandbox and checked: 1 test passes "
                                  "with it (1 test file(s), and eslint still pass).")  # fmt: skip
    assert "1 suggestion(s) checked in the sandbox, 0 withheld." in _notes(done)


@needs_sandbox
def test_a_fix_that_breaks_a_js_test_is_withheld_and_the_summary_names_it(tmp_path: Path) -> None:
    keeps = f'{READS}test("keeps let", () => {{ expect(text).toContain("let total"); }});\n'
    nested = TEST.replace("./app", "../app")
    done = _review(tmp_path, {"src/__tests__/app.js": nested, "src/app.spec.js": keeps})
    finding = _checked(done)
    assert finding["suggestion"] is None and finding["checked"] == ""  # the finding stays
    assert ("1 suggestion(s) checked in the sandbox, 1 withheld: they broke "
            "`src/app.spec.js › keeps let`.") in _notes(done), _notes(done)  # fmt: skip


@needs_sandbox
def test_without_a_runner_the_line_says_no_tests_ran_and_how_to_run_them(tmp_path: Path) -> None:
    done = _review(tmp_path, {"src/app.test.js": TEST}, installed=())
    assert _checked(done)["checked"] == (
        "Applied to the head in the sandbox and checked against eslint; no tests were run: jest "
        "could not run: install jest before this step (`npm ci`, with it among the "
        "devDependencies)."
    )


@needs_sandbox
def test_attack_a_test_file_that_links_out_of_the_checkout_is_no_test(tmp_path: Path) -> None:
    """Attack: ``src/app.test.js`` is a link to a file outside the checkout: no test of the
    file's name is in the checkout, and the line says so."""
    outside = tmp_path / "outside.test.js"
    outside.write_text(TEST)
    (tmp_path / "repo" / "src").mkdir(parents=True)
    os.symlink(outside, tmp_path / "repo" / "src" / "app.test.js")
    done = _review(tmp_path, {})
    assert _checked(done)["checked"] == (
        "Applied to the head in the sandbox and checked against eslint; no tests exercise "
        "this file by name."
    )


@needs_sandbox
def test_attack_a_test_that_passes_only_when_it_sees_the_fix_is_no_proof_on_a_fork(
    tmp_path: Path,
) -> None:
    """Attack: the pull request's test fails on the head and passes once it reads the fix in
    the file. Nothing broke, so it may be posted; but the tests are the fork's code, and the
    line says this is not proof."""
    sees = f'{READS}test("sees", () => {{ expect(text).toContain("const total"); }});\n'
    done = _review(tmp_path, {"src/app.test.js": TEST + sees}, fork=True)
    checked = _checked(done)["checked"]
    assert checked.endswith("The tests and linter settings are this pull request's own code, "
                            "so this is not proof."), checked  # fmt: skip
    assert "verified" not in checked.lower()


@needs_sandbox
def test_attack_a_runner_that_hangs_is_cut_by_the_budget_and_posts_no_block(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Attack: the configuration blocks for ever (asleep, burning nothing): the run's time
    budget ends it, and the suggestion is unchecked, posted without its block."""
    monkeypatch.setattr(suggestions, "BUDGET", 20.0)
    hang = "Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);\nmodule.exports = {};\n"
    done = _review(tmp_path, {"src/app.test.js": TEST, "jest.config.js": hang})
    assert _checked(done)["suggestion"] is None
    assert any(n.startswith("1 suggestion(s) left unchecked") for n in _notes(done)), _notes(done)


@needs_sandbox
@pytest.mark.parametrize(
    "trick",
    [
        'process.stdout.write("[" + "1,".repeat(40_000_000) + "1]");',  # 80 MB on the report
        'process.on("exit", () => process.reallyExit(7));',  # a report of passes, then a failure
    ],
)
def test_attack_a_report_the_exit_status_or_its_size_belies_is_no_result(
    tmp_path: Path, trick: str
) -> None:
    config = f"{trick}\nmodule.exports = {{}};\n"
    done = _review(tmp_path, {"src/app.test.js": TEST, "jest.config.js": config})
    assert _checked(done)["suggestion"] is None
    assert any(n.startswith("1 suggestion(s) left unchecked") for n in _notes(done)), _notes(done)


def test_tests_by_jests_naming_convention_nearest_first() -> None:
    files = ["src/app.test.js", "src/__tests__/app.ts", "test/app.spec.mjs", "src/apple.test.js",
             "src/app.js", "lib/__tests__/other.js", "src/app.test.py"]  # fmt: skip
    assert Jest().tests_of("src/app.js", files) == (
        "src/__tests__/app.ts", "src/app.test.js", "test/app.spec.mjs")  # fmt: skip
    assert Jest().tests_of("src/app.test.js", files) == ("src/app.test.js",)


def test_a_report_is_believed_only_where_the_exit_status_agrees() -> None:
    report = ('{"success": true, "testResults": [{"name": "/r/a.test.js", "assertionResults": '
              '[{"fullName": "g adds", "status": "passed"}, '
              '{"fullName": "x", "status": "skipped"}]}]}')  # fmt: skip
    assert passed_tests(report, "/r", 0, ("a.test.js",)) == (frozenset({"a.test.js › g adds"}), "")
    assert passed_tests(report, "/r", 1, ("a.test.js",))[1] == (
        "its report says every test passed, but it exited with status 1"
    )
    assert passed_tests(report + report, "/r", 0, ())[1].startswith("a second report")
    shapeless = passed_tests('{"success": true}', "/r", 0, ())[1]
    assert shapeless == "no report of jest's or vitest's shape"


def test_attack_thousands_of_broken_tests_are_named_five_at_most() -> None:
    """Attack: the pull request's test file holds 10,000 tests with long names, all broken by
    the fix: the summary names five and counts the rest, not a note of megabytes."""
    names = tuple(f"src/app.test.js › {i} {'x' * 200}" for i in range(10_000))
    suggested = Finding(rule="eslint/prefer-const", severity="low", category="lint", path="a.js",
                        line=1, title="t", body="b", suggestion="const a = 1;\n")  # fmt: skip
    checks = SuggestionChecks({key_of(suggested): Kept(False, "b", names)})
    _found, notes = keep_held_suggestions([suggested], checks)
    assert notes[0].endswith(" and 9995 more."), notes[0][-200:]
    assert len(notes[0]) < 2_000


def test_a_model_suggestion_with_no_linter_says_why_its_tests_did_not_run() -> None:
    """No linter checks the file (a model's suggestion, eslint not configured) and its tests
    exist but no runner is installed: the line says so, not that no test covers the file."""
    claim = KeepsPassing("diff", ("a.js",), (), (), "", untested=NOT_INSTALLED)
    assert against(claim, frozenset(), code_is_proof=True) == (
        f"Applied to the head in the sandbox; {NOT_INSTALLED}.")


@pytest.mark.parametrize("file", ["src/escapes.test.js", "src/forgets.test.js"])
def test_a_jest_pass_is_only_checked_even_on_code_from_someone_who_can_push(file: str) -> None:
    """No in-run check stands outside jest's realm, which the code under test shares, so a
    broken function's test can read as passing (the runs: tests/modes/gen_tests/test_runner_js.py,
    ``test_the_realm_is_shared_so_what_its_tests_pass_is_only_checked``). The line under a
    suggestion such a run held says what the run shows, "checked: N tests pass with it", never
    verified, even on code from someone who can push."""
    passed = frozenset({f"{file} › positive"})
    claim = KeepsPassing("", (file.replace(".test", ""),), (file,), runner=Jest())
    said = against(claim, passed, code_is_proof=True)
    assert said.startswith(f"Applied to the head in the sandbox and {contract.checked(1)} ")
    assert "verif" not in said.lower()
