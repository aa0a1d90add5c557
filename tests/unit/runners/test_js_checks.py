"""Which failed jest or vitest test its own check failed (a kill of a mutant needs
one), read from failure messages as jest 29 and vitest 4 wrote them for one test file (the
copy's folder cut, as the runner reads them): ``expect`` and node's ``assert`` failing in the
test's file are its checks; a ``TypeError`` thrown inside the code under test is a crash, and
so is one thrown in the test's own file."""

from __future__ import annotations

import pytest

from cicd_agent.runners.js.checks import read_checks

CIRCUS = "    at Promise.then.completed (/repo/node_modules/jest-circus/build/utils.js:298:28)"
VITEST = "    at file:///repo/node_modules/@vitest/runner/dist/index.js:146:14"
MESSAGES = {
    "jest right": "Error: expect(received).toBe(expected) // Object.is equality\n\nExpected: 3\n"
    "Received: 2\n    at Object.toBe (/repo/src/calc.test.js:3:46)\n" + CIRCUS,
    "jest assert": "assert.strictEqual(received, expected)\n\nExpected value to strictly be equal "
    "to:\n  3\nReceived:\n  2\n    at Object.strictEqual (/repo/src/calc.test.js:5:35)\n" + CIRCUS,
    "jest crash": "TypeError: Cannot read properties of undefined (reading 'y')\n    at "
    "Object.<anonymous>.exports.f (/repo/src/calc.js:1:29)\n    at Object.f "
    "(/repo/src/calc.test.js:4:23)\n" + CIRCUS,
    "vitest right": "AssertionError: expected 2 to be 3 // Object.is equality\n    at "
    "/repo/src/calc.test.js:4:46\n" + VITEST,
    "vitest throws": "AssertionError: expected [Function] to throw an error\n    at "
    "Proxy.<anonymous> (file:///repo/node_modules/@vitest/expect/dist/index.js:1509:21)\n    at "
    "/repo/src/calc.test.js:7:53\n" + VITEST,
    "vitest type error in the test": "TypeError: Cannot read properties of undefined (reading "
    "'x')\n    at /repo/src/calc.test.js:8:20\n" + VITEST,
    "jest timeout": 'thrown: "Exceeded timeout of 5000 ms for a test.\n    at '
    "/repo/src/calc.test.js:9:1\n" + CIRCUS,
}  # fmt: skip


def test_a_failure_is_the_tests_own_check_only_when_thrown_as_one_in_its_own_file() -> None:
    cases = [{"fullName": name, "status": "failed", "failureMessages": [message]}
             for name, message in MESSAGES.items()]  # fmt: skip
    document = {"testResults": [{"name": "/repo/src/calc.test.js", "assertionResults": cases}]}
    outcomes = {f"src/calc.test.js › {name}": "failed" for name in MESSAGES}
    assert read_checks(document, "/repo", outcomes) == {
        "src/calc.test.js › jest right": "src/calc.test.js:3: Error: expect(received).toBe("
        "expected) // Object.is equality",
        "src/calc.test.js › jest assert": "src/calc.test.js:5: assert.strictEqual(received, "
        "expected)",
        "src/calc.test.js › vitest right": "src/calc.test.js:4: AssertionError: expected 2 to be "
        "3 // Object.is equality",
        "src/calc.test.js › vitest throws": "src/calc.test.js:7: AssertionError: expected "
        "[Function] to throw an error",
    }  # fmt: skip


def _checks_of(message: str) -> dict[str, str]:
    case = {"fullName": "t", "status": "failed", "failureMessages": [message]}
    document = {"testResults": [{"name": "/repo/src/calc.test.js", "assertionResults": [case]}]}
    return read_checks(document, "/repo", {"src/calc.test.js › t": "failed"})


@pytest.mark.xfail(strict=True, reason="an Error the code under test throws with a "
                   "message line shaped as a frame of the test's file (its path from __dirname) "
                   "is read as the test's check, so a crash kills a mutant; suggested fix: read "
                   "the error's frames from V8's call sites in a setup file of ours, not its text")
def test_attack_a_frame_forged_in_the_code_under_tests_message_is_no_check() -> None:
    forged = ("Error: bad input\n    at check (/repo/src/calc.test.js:3:5)\n    at f "
              "(/repo/src/calc.js:2:9)\n    at Object.f (/repo/src/calc.test.js:4:23)\n"
              + CIRCUS)  # fmt: skip
    assert _checks_of(forged) == {}


@pytest.mark.xfail(strict=True, reason="an expect failing in a helper of another test "
                   "file (test/helpers.js) is read as a crash, so a right candidate using the "
                   "project's helper is dropped; suggested fix: the first frame outside "
                   "node_modules in any test file of the checkout the test's frame called")
def test_attack_an_expect_in_a_helper_of_another_test_file_is_the_tests_check() -> None:
    helper = ("Error: expect(received).toBe(expected) // Object.is equality\n\nExpected: 3\n"
              "Received: 2\n    at toBe (/repo/src/helpers.test-utils.js:2:19)\n    at "
              "Object.checkSum (/repo/src/calc.test.js:5:3)\n" + CIRCUS)  # fmt: skip
    assert _checks_of(helper) != {}


def test_vitest_before_1_writes_no_stack_and_a_matchers_failure_is_still_the_tests_check() -> None:
    """vitest 0.34's report (set 4's sql-template-tag) gives a failure's message alone, as it
    wrote it here: a matcher's words are the test's check, placed in its file with no line;
    an error without a frame that is no matcher's says nothing of where it was thrown."""
    assert _checks_of("expected 2 to be 3 // Object.is equality") == {
        "src/calc.test.js › t": "src/calc.test.js: expected 2 to be 3 // Object.is equality"}
    assert _checks_of("Cannot read properties of undefined (reading 'y')") == {}
    assert _checks_of("TypeError: x is not a function") == {}
