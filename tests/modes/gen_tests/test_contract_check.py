"""The contract a possible bug must rest on, read from a checkout as the gate reads it:
what a failing candidate asserts, read from each runner's failure report as it prints it, and
where the head's docstrings, doc comments, docs and sibling tests state it (or nowhere: then it
is no possible bug); and JavaScript's assertion check per ``it``, not per file. The runs that
produce these reports for real are in test_gen_tests_ask.py (pytest), test_runner_gate.py (go),
test_runner_js.py (vitest) and test_gen_tests_runner_models.py (jest)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from cicd_agent.local.checkout import GitCheckout
from cicd_agent.modes.gen_tests.contract_check import (
    Claim,
    Contract,
    chosen,
    claims,
    find,
)
from cicd_agent.modes.gen_tests.reports import PossibleBug, bug_report
from cicd_agent.modes.gen_tests.result import _bug_lines
from cicd_agent.modes.gen_tests.runner_gaps import RunnerGaps
from cicd_agent.modes.gen_tests.runner_gate import Candidate, _contracts
from cicd_agent.modes.gen_tests.targets import changed_targets
from cicd_agent.runners.cargo.runner import CargoTest
from cicd_agent.runners.go.runner import GoTest
from cicd_agent.runners.jest.runner import Jest
from cicd_agent.runners.js import layout as js_layout
from cicd_agent.runners.js.assertions import js_unasserted
from cicd_agent.runners.maven.runner import MavenJUnit
from cicd_agent.runners.pytest.runner import Pytest
from cicd_agent.runners.vitest.runner import Vitest
from tests.git_builder import GitRepoBuilder
from tests.helpers.gen_tests import Runner, runner_change

CANDIDATE_PY = "from calc import sign\n\n\ndef test_zero():\n    assert sign( 0 ) == 0\n"
PYTEST = ("tests/test_gen.py:5: in test_zero\n    assert sign( 0 ) == 0\nE   AssertionError: assert 1 == 0\n"
          "E    +  where 1 = sign(0)\n")  # fmt: skip
CANDIDATE_JS = 'const { sign } = require("./calc");\n\nit("zero", () => {\n  expect(sign(0)).toBe(0);\n});\n'
JEST = ("  ● zero\n\n    expect(received).toBe(expected) // Object.is equality\n\n    Expected: 0\n"
        "    Received: 1\n\n      at Object.<anonymous> (src/calc.gen.test.js:4:19)\n")  # fmt: skip
VITEST = ("AssertionError: expected 1 to be +0 // Object.is equality\n"
          "    at /app/src/calc.gen.test.js:4:19\n")  # fmt: skip
GO = "=== RUN   TestSign\n    sign_gen_test.go:9: Sign(0) = 1, want 0\n--- FAIL: TestSign (0.00s)\n"
SIGN_PY = '''def sign(n):
    """-1 below zero, 0 at zero, 1 above.

    >>> sign(0)
    0
    """
    return -1 if n < 0 else 1
'''


@pytest.mark.parametrize(("output", "path", "source", "names"), [
    (PYTEST, "tests/test_gen.py", CANDIDATE_PY, {"sign"}),
    (JEST, "src/calc.gen.test.js", CANDIDATE_JS, {"sign", "exports"}),
    (VITEST, "src/calc.gen.test.js", CANDIDATE_JS, {"sign"}),
    (GO, "calc/sign_gen_test.go", "", {"Sign"}),
])  # fmt: skip
def test_the_claim_is_the_call_and_the_expected_side_as_each_runner_reports_it(
    output: str, path: str, source: str, names: set[str]
) -> None:
    called = "Sign(0)" if path.endswith(".go") else "sign(0)"
    assert claims(output, path, source, names) == [Claim(called, "0")]


def test_a_failure_that_is_no_assertion_or_calls_no_code_under_test_claims_nothing() -> None:
    assert claims("E   TypeError: boom\n", "tests/test_gen.py", CANDIDATE_PY, {"sign"}) == []
    assert claims(JEST, "src/calc.gen.test.js", CANDIDATE_JS, {"other"}) == []


def _checkout(tmp_path: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text, encoding="utf-8")
    return tmp_path


def test_a_doctest_a_doc_comment_a_readme_and_a_sibling_test_are_contracts(tmp_path: Path) -> None:
    checkout = _checkout(tmp_path, {
        "calc.py": SIGN_PY, "README.md": "# calc\n\n```js\nsign(0) // => 0\n```\n",
        "docs/api.md": "`Sign(0)` returns `0`.\n", "tests/test_calc.py": "assert sign(0) == 0\n",
        "calc/sign_test.go": "\tif got := Sign(0); got != 0 {\n",
        "calc/sign.go": "package calc\n\n// Sign(0) returns 0.\nfunc Sign(n int) int { return 1 }\n",
        "calc/example_test.go": "func ExampleSign() {\n\tfmt.Println(Sign(0))\n\t// Output: 0\n}\n",
    })  # fmt: skip
    found = find(checkout, [Claim("sign(0)", "0")], ["calc.py"], ["tests/test_calc.py"])
    assert [(c.kind, c.path, c.line, c.quoted) for c in found] == [
        ("docstring", "calc.py", 4, ">>> sign(0)"), ("docs", "README.md", 4, "sign(0) // => 0"),
        ("sibling test", "tests/test_calc.py", 1, "assert sign(0) == 0")]  # fmt: skip
    go = find(checkout, [Claim("Sign(0)", "0")], ["calc/sign.go"],
              ["calc/sign_test.go", "calc/example_test.go"])  # fmt: skip
    assert [(c.kind, c.path, c.line) for c in go] == [
        ("doc comment", "calc/sign.go", 3), ("docs", "docs/api.md", 1),
        ("sibling test", "calc/sign_test.go", 1), ("sibling test", "calc/example_test.go", 2)]  # fmt: skip


@pytest.mark.parametrize("claim", [
    Claim("sign(0)", "1"),  # the contract says 0
    Claim("sign(-5)", "0"),  # another input
    Claim("sign(0)", "-1"),
])  # fmt: skip
def test_a_value_the_contract_does_not_state_for_that_call_is_no_contract(
    tmp_path: Path, claim: Claim
) -> None:
    checkout = _checkout(tmp_path, {"calc.py": SIGN_PY + "# sign(0) is never 1 nor -1\n",
                                    "README.md": "sign(-5) is -1, never 0\n",
                                    "test_calc.py": "assert sign(0) != 1\n"})  # fmt: skip
    assert find(checkout, [claim], ["calc.py"], ["test_calc.py"]) == ()


def test_attack_a_readme_linked_out_of_the_checkout_is_not_read(tmp_path: Path) -> None:
    """Attack: the pull request's README is a link to a file outside that states the claim."""
    outside = _checkout(tmp_path / "outside", {"notes.md": "sign(0) // => 0\n"})
    checkout = _checkout(tmp_path / "repo", {"calc.py": "def sign(n):\n    return 1\n"})
    os.symlink(outside / "notes.md", checkout / "README.md")
    os.symlink(outside, checkout / "docs")
    assert find(checkout, [Claim("sign(0)", "0")], ["calc.py"], ["README.md"]) == ()


def test_the_contract_named_is_one_the_change_did_not_write_and_else_says_so() -> None:
    mine = Contract("calc.py", 4, ">>> sign(0)", "docstring")
    theirs = Contract("README.md", 4, "sign(0) // => 0", "docs")
    assert chosen([mine, theirs], lambda path, _: path == "calc.py") == theirs
    only = chosen([mine], lambda path, _: path == "calc.py")
    assert only is not None and only.changed
    assert only.describe().endswith("(weaker evidence: the pull request itself wrote this line)")
    assert chosen([], lambda *_: False) is None


def test_a_contract_the_change_wrote_is_named_as_weaker_evidence(tmp_path: Path) -> None:
    """Attack: the pull request writes the README that makes its own wrong value look like the
    code's contract; it is said to be the change's own, in the finding a user reads."""
    repo = GitRepoBuilder(tmp_path / "calc")
    base = repo.commit("base", {"calc.py": "def sign(n):\n    return 1\n", "README.md": "# calc\n"})
    head = repo.commit("docs", {"README.md": "# calc\n\nsign(0) // => 0\n"})
    targets = changed_targets(GitCheckout(repo.path), base, head)
    contract = chosen(find(repo.path, [Claim("sign(0)", "0")], ["calc.py"], []), targets.written)
    assert contract is not None
    assert (contract.path, contract.line, contract.changed) == ("README.md", 3, True)
    shown = _bug_lines(PossibleBug(
        segment="calc.py::sign", path="calc.py", line=1, test_path="tests/test_gen.py",
        failure="AssertionError: assert 1 == 0", rationale="zero", test="assert sign(0) == 0",
        contract=contract.describe(), contract_changed=contract.changed,
        reproduce=Pytest().rerun_file("tests/test_gen.py")))  # fmt: skip
    assert ("what it asserts is what the code's contract says (weaker evidence: the pull request "
            "wrote that contract): `docs README.md:3: sign(0) // => 0 (weaker evidence") in shown
    assert "rerun it with `python -m pytest tests/test_gen.py`" in shown


def test_attack_a_contract_line_that_mentions_and_posts_html_is_shown_inert() -> None:
    """Attack: the quoted contract is the pull request's text (a README line), shown in the
    finding a bot posts: no mention, no HTML, and what the redactor hides stays hidden."""
    contract = Contract("README.md", 3, "sign(0) // => 0 @octocat <img src=x onerror=alert(1)> "
                        "ghp_SECRET", "docs")  # fmt: skip
    bug = bug_report(segment="calc.py::sign", path="calc.py", line=1, test_path="tests/test_gen.py",
               failure="AssertionError: assert 1 == 0", rationale="zero", test="assert 0",
               runner="pytest", tests=Pytest(), contract=contract,
               redact=lambda text: text.replace("ghp_SECRET", "[redacted]"))  # fmt: skip
    shown = _bug_lines(bug)
    assert "sign(0) // => 0" in shown and "[redacted]" in shown
    assert "@octocat" not in shown and "<img" not in shown and "ghp_SECRET" not in shown


@pytest.mark.parametrize(("runner", "path", "command"), [
    (GoTest(), "calc/sign_gen_test.go", "go test ./calc"),
    (Jest(), "src/a b.test.js", "npx jest --runTestsByPath 'src/a b.test.js'"),
    (Vitest(), "src/a.test.ts", "npx vitest run src/a.test.ts"),
    (Pytest(), "tests/test_gen.py", "python -m pytest tests/test_gen.py"),
    (CargoTest(), "tests/sign_generated.rs", "cargo test --test sign_generated"),
    (CargoTest(), "src/sign.rs", "cargo test"),
    (MavenJUnit(), "src/test/java/a/SignTest.java", "mvn test -Dtest=SignTest"),
])  # fmt: skip
def test_the_command_that_reproduces_it_is_the_runners_for_that_file(
    runner: Runner, path: str, command: str
) -> None:
    assert runner.rerun_file(path) == command
    assert command in bug_report(segment="s", path="p", line=1, test_path=path, failure="f",
                           rationale="r", test="t", runner=runner.name, tests=runner,
                           contract=Contract("p", 1, "l", "docs"),
                           redact=str).reproduce  # fmt: skip


@pytest.mark.parametrize(("text", "said"), [
    ('describe("s", () => {\n  it("checks", () => { expect(f(1)).toBe(2); });\n'
     '  it("only runs", () => { f(2); });\n});\n', 'the test "only runs"'),
    ('it("a", () => { expect(f(1)).toBe(2); });\n'
     'test("hides", () => { const s = "expect("; /* expect( */ f(2); });\n', 'the test "hides"'),
    ("test.each`\n  a\n  ${1}\n`(\"row $a\", ({ a }) => { f(a); });\n", 'the test "row $a"'),
    ('const check = (x: number) => { expect(f(x)).toBe(1); };\n'
     'function other(y) { assert.equal(y, 1); }\n'
     'test.each([[1], [2]])("t %s", (x) => check(x));\nit.only("o", () => other(2));\n', ""),
    ('it("awaits", async () => { await expect(p()).resolves.toBe(1); });\n', ""),
    # a title interpolating its case (class-transformer's shape, the frozen gate set): its
    # ``}`` closed the call early and the test's expect was read as outside it
    ("for (const i of [0, 1]) {\n  it(`step ${i}`, async () => {\n    expect(f(i)).toBe(i);\n"
     "  });\n  it(`idle ${i}`, () => { f(i); });\n}\n", "the test `idle ${i}`"),
    ("const x = 1;\n", "the file holds no it() or test() call, so it"),
])  # fmt: skip
def test_each_javascript_test_must_assert_not_only_the_file(text: str, said: str) -> None:
    """Before, one ``expect`` anywhere in the file let an ``it`` that asserts nothing through."""
    assert js_unasserted("src/calc.gen.test.ts", text) == said


@pytest.mark.parametrize(("text", "said"), [
    ('it("a", () => { f(1); void expect; });\n', 'the test "a"'),
    ('it("a", () => { expect(f(1)); });\n', 'the test "a"'),  # no matcher: asserts nothing
    ('it("a", () => { f(1); ({ expect: 1 }); x.expect(f(1)).toBe(1); });\n', 'the test "a"'),
    ("it(`a`, () => { f(1); const s = `${expect}`; });\n", "the test `a`"),
    ('function h() { return expect; }\nit("a", () => { h(); });\n', 'the test "a"'),
    ('globalThis.it("idle", () => { f(1); });\nit("b", () => { expect(f(1)).toBe(2); });\n',
     'the test "idle"'),
    ('const t = it;\nt("idle", () => { f(1); });\nit("b", () => { expect(f(1)).toBe(2); });\n',
     "the file names it other than to call it (an alias), so it"),
    ('import { it as t, expect } from "vitest";\nt("idle", () => { f(1); });\n',
     "the file names it other than to call it (an alias), so it"),
    ('it["only"]("idle", () => { f(1); });\nit("b", () => { expect(f(1)).toBe(2); });\n',
     "the file names it other than to call it (an alias), so it"),
    # what stays allowed: importing the names, a key named test, a regular expression's test()
    ('import { describe, it, expect } from "vitest";\nit("b", () => {\n'
     '  expect(/a/.test(f({ test: true }))).toBe(true);\n  assert(f(2) === 1);\n});\n', ""),
])  # fmt: skip
def test_attack_an_it_that_asserts_nothing_gets_no_pass_by_a_name_alone_or_an_alias(
    text: str, said: str
) -> None:
    """Attack: the word ``expect`` anywhere in an ``it`` counted (a bare name, a key,
    a member, a template's ``${expect}``, ``expect(x)`` with no matcher), and an ``it`` the
    check never saw (``globalThis.it``, an alias, ``it["only"]``) ran unread beside one that
    asserts. An assertion is a call now (``expect(…).matcher``, ``assert(…)``, ``assert.x``),
    and a file that reaches ``it``/``test`` other than by calling or importing them is refused."""
    assert js_unasserted("src/calc.gen.test.ts", text) == said


@pytest.mark.xfail(strict=True, reason="open: a static look cannot see an it whose "
                   "expect never runs (dead code, globalThis['it']); a run-time count per test "
                   "(expect.hasAssertions() in the runner's in-run check set-up) would")  # fmt: skip
@pytest.mark.parametrize("text", [
    'it("a", () => { f(1); if (false) { expect(f(1)).toBe(2); } });\n',
    'globalThis["it"]("idle", () => { f(1); });\nit("b", () => { expect(f(1)).toBe(2); });\n',
])  # fmt: skip
def test_attack_an_it_whose_assertion_never_runs_is_refused(text: str) -> None:
    assert js_unasserted("src/calc.gen.test.ts", text)


def test_attack_a_contract_file_that_is_a_fifo_or_a_link_to_etc_passwd_is_not_read(
    tmp_path: Path,
) -> None:
    """Attack, held: a README that is a FIFO (opening it would wait for a writer), a
    docs page and a sibling test linked to /etc/passwd: none is read, nothing waits."""
    checkout = _checkout(tmp_path, {"calc.py": "def sign(n):\n    return 1\n"})
    os.mkfifo(checkout / "README.md")
    (checkout / "docs").mkdir()
    os.symlink("/etc/passwd", checkout / "docs" / "api.md")
    os.symlink("/etc/passwd", checkout / "test_calc.py")
    assert find(checkout, [Claim("root:x:0:0:root:/root:/bin/bash", "0")], ["calc.py"],
                ["test_calc.py"]) == ()  # fmt: skip


@pytest.mark.xfail(strict=True, reason="open: the claim's call and expected value are "
                   "read from text the candidate writes (go's t.Errorf message; jest's log "
                   "takes its console.log too), never from a run of the call itself")  # fmt: skip
def test_attack_a_candidate_that_writes_its_own_failure_message_claims_no_contract(
    tmp_path: Path,
) -> None:
    """Attack: Sign(0) returns 0 as its doc comment says; the model's test fails
    whatever Sign does and writes the message a real failure would (``Sign(0) = 1, want
    0``): the claim rests on its words alone, and the doc comment is named as a contract the
    code breaks."""
    checkout = _checkout(tmp_path, {"calc/sign.go": "package calc\n\n// Sign(0) returns 0.\n"
                                    "func Sign(n int) int {\n\tif n == 0 {\n\t\treturn 0\n\t}\n"
                                    "\treturn 1\n}\n"})  # fmt: skip
    source = ('package calc\n\nimport "testing"\n\nfunc TestSign(t *testing.T) {\n\t_ = Sign(0)\n'
              '\tt.Errorf("Sign(0) = 1, want 0")\n}\n')  # fmt: skip
    output = "=== RUN   TestSign\n    sign_gen_test.go:7: Sign(0) = 1, want 0\n--- FAIL: TestSign\n"
    found = claims(output, "calc/sign_gen_test.go", source, {"Sign"})
    assert find(checkout, found, ["calc/sign.go"], []) == ()


def test_a_test_in_a_root_tests_folder_importing_the_file_is_a_sibling_contract(
    tmp_path: Path,
) -> None:
    """Where the project keeps its tests in a root ``tests/`` beside ``src/`` (the folders
    :mod:`~cicd_agent.runners.js.layout` finds), the test there that imports the changed
    file states its contract as one beside it would."""
    checkout = _checkout(tmp_path, {
        "src/calc.js": "function sign(n) { return n < 0 ? -1 : 1; }\nmodule.exports = { sign };\n",
        "tests/calc.test.js": 'const { sign } = require("../src/calc");\n\n'
                              'it("zero", () => { expect(sign(0)).toBe(0); });\n',
    })  # fmt: skip
    gaps = RunnerGaps(runner_change(Jest(), {"src/calc.js": frozenset({1})}, ()), None, None)
    candidate = Candidate("tests/calc.gen.test.js", CANDIDATE_JS.replace("./calc", "../src/calc"))
    found = _contracts(gaps, candidate, JEST.replace("src/", "tests/"), checkout,
                       js_layout.layout(Jest(), checkout))
    assert [(c.kind, c.path, c.line) for c in found] == [("sibling test", "tests/calc.test.js", 3)]
