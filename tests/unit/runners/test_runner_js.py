"""jest and vitest behind the seam (``runners/js/`` holds what the two share), all their tests
but gen-tests' own: which failure is a test's own check, code a type-only file may hold,
istanbul's coverage map, each one's repeat counts, and the test step's reading of their JSON
report and its retry of the failed tests by name."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from cicd_agent.runners.jest.repeat import repeat_counts, repeating
from cicd_agent.runners.js.checks import read_checks
from cicd_agent.runners.js.istanbul import read_coverage
from cicd_agent.runners.js.report import counted as canary_runs
from cicd_agent.runners.js.runner import blank
from cicd_agent.runners.js.step import step_outcomes, step_retry
from cicd_agent.runners.js.type_only import types_only
from cicd_agent.runners.vitest import repeat as vitest

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


TYPES = '''import type * as symbols from '../internals/symbols';
import type { Pattern, MatchedValue } from './Pattern';
import { Union } from './helpers';

export type PickReturnValue<a, b> = a extends symbols.unset ? b : a;

interface NonExhaustiveError<i> {
  __nonExhaustive: never;
}

/**
 * #### Match
 * with(pattern, handler): code in a comment is no code.
 */
export type Match<
  i,
  o,
  handledCases extends any[] = [],
  inferredOutput = never
> = {
  with<p extends Pattern<i>, c>(pattern: p, handler: (value: MatchedValue<i, p>) => c): Match<i, o>;
  returnType: [inferredOutput] extends [never]
    ? <output>() => Match<i, output, handledCases>
    : NonExhaustiveError<'only after match(...)'>;
  narrow(): Match<Union<i>, o, [], inferredOutput>;
};

export type Mutable<T> = { -readonly [K in keyof T]-?: T[K] }
export type Join<T extends string[]> = T extends [infer H extends string, ...infer R extends string[]]
  ? `${H}.${Join<R>}`
  : never
export type Guard<T> = (value: unknown) => value is T;
export type Ctor = abstract new (...args: any[]) => object;
export type { Pattern as P } from './Pattern';
export type * from './helpers';
export default interface Options { strict?: boolean }
declare module 'ambient' { export function f(): void; export const x: number }
declare global { interface Window { seen: true } }
declare const VERSION: string
declare enum Kind { A, B }
export function parse(text: string): number;
export function parse(text: string, radix: number): number;
'''


def test_a_module_of_types_alone_holds_no_code() -> None:
    """ts-pattern's ``src/types/Match.ts`` shape (its changed file, left out of jest's map)
    with type-fest-style aliases, ambient declarations and overload signatures."""
    assert types_only("src/types/Match.ts", TYPES)


def test_a_declaration_file_is_read_not_named_and_an_empty_file_is_no_code() -> None:
    assert types_only("src/index.d.ts", "export declare function f(a: number): string;\n")
    assert not types_only("src/index.d.ts", "whatever()") and types_only("types.d.mts", "")
    assert types_only("src/empty.js", "// only a comment\n\n/* and another */\n")
    assert types_only("src/empty.ts", "export {};\n")


@pytest.mark.parametrize("code", [
    "enum Kind { A, B }\n",
    "const enum Kind { A }\n",  # emitted under isolatedModules (ts-jest's, esbuild's)
    "export enum Kind { A }\n",
    "namespace N { export const x = 1 }\n",
    "export abstract class Base { abstract run(): void }\n",
    "@sealed\nexport class Greeter {}\n",
    "export * from './helpers';\n",
    "export { Pattern } from './Pattern';\n",
    "import fs = require('fs');\nexport type F = typeof fs;\n",
    "import './setup';\n",
    "export const x = 1;\n",
    "export function parse(text: string): number {\n  return Number(text);\n}\n",
    "export function parse(text: string): number\n{\n  return 1\n}\n",  # its body on the next line
    "'use strict';\n",
])  # fmt: skip
def test_runtime_code_beside_or_without_types_is_code(code: str) -> None:
    assert not types_only("src/x.ts", "export type A = 1;\n" + code)


@pytest.mark.parametrize("code", [
    "type A = B\nconsole.log(1)\n",  # a line break ends the type: the call is its own line
    "type A = B |\nconsole.log(1)\n",  # TypeScript emits ``(1);``
    "type A = { a: 1 }\n{ console.log(1) }\n",
    "type A = B<C>\n(1)\n",
    "type F = () => void\nf()\n",
    "type A = `${B}`\nrun()\n",
    "type\nA = 1\n",  # ``type`` alone on its line is a name: ``type; A = 1;``
    "type A = B; x += 1\n",
    "type A = B; /regex/.test(s)\n",
])  # fmt: skip
def test_attack_code_hidden_after_a_type_is_code(code: str) -> None:
    """Attack: runtime code a pull request writes where a type seems to go on; each is code
    TypeScript emits, so the file stays measured (or "not measured"), never "no code"."""
    assert not types_only("src/types.ts", code)


def test_unsure_is_code() -> None:
    """A file too large for the lexer's time, or one a type-only ``namespace`` holds (which
    TypeScript erases, but this rule does not read), is code: "not measured", never hidden."""
    assert not types_only("src/types.ts", "export type A = " + "x." * 200 + "y;\n")
    assert not types_only("src/types.ts", "namespace N { export type A = 1 }\n")


def test_attack_a_linked_or_huge_file_of_types_is_not_blank(tmp_path: Path) -> None:
    """Attack: the pull request's file is read in the sandbox's pristine copy, never through a
    link (one could point at any file of types) and never past the lexer's cap: either is
    "not measured", never "no code"."""
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "types.ts").write_text(TYPES)
    (tmp_path / "src" / "linked.ts").symlink_to(tmp_path / "src" / "types.ts")
    (tmp_path / "src" / "huge.ts").write_text(TYPES * 200)
    assert blank(tmp_path, "src/types.ts")
    assert not blank(tmp_path, "src/linked.ts") and not blank(tmp_path, "src/huge.ts")
    assert not blank(tmp_path, "src/missing.ts") and not blank(tmp_path, "../types.ts")


HIDDEN = {
    # ECMAScript ends a // comment at any line terminator; Pygments' lexer only at "\n", so
    # the code after U+2028, U+2029 or a lone CR read as the comment's (typescript 5.9's
    # transpileModule and esbuild both emit `globalThis.hit = 1;`)
    "u2028": ("src/types.ts", "export type A = string; // note\u2028globalThis.hit = 1\n"),
    "u2029": ("src/types.ts", "export type A = string; // note\u2029globalThis.hit = 1\n"),
    "lone CR": ("src/types.ts", "export type A = string; // note\rglobalThis.hit = 1\n"),
    "lone CR, js": ("src/types.js", "// only a comment\rglobalThis.hit = 1\n"),
    # types alone by its name: esbuild (vitest's transform) emits it, and vitest's default
    # coverage.exclude ("**/*.d.ts") leaves it out of the map that would show it ran
    "code named .d.ts": ("src/impl.d.ts", "export function f(a: number) {\n  globalThis.hit = 1;\n"
                         "  return a + 1;\n}\n"),
}


@pytest.mark.parametrize("case", sorted(HIDDEN))
def test_attack_code_hidden_after_a_line_terminator_or_behind_a_name_is_code(case: str) -> None:
    """Attack: each file runs ``globalThis.hit = 1`` when imported, and was called
    types alone, so a changed file of real code its coverage map leaves out is "no code", not
    "not measured". Suggested fix: a single-line comment holding ``\\r``, U+2028 or U+2029 is
    unsure (code); a ``.d.ts`` is read like any other file (ambient forms allowed), not named."""
    path, text = HIDDEN[case]
    assert not types_only(path, text)


def test_a_file_of_types_with_windows_line_breaks_is_still_types_alone() -> None:
    """The lexer's ``//`` comment of a CRLF file ends in the ``\\r`` of the line break: that is
    no lone CR, and the file holds no code."""
    assert types_only("src/types.ts", "export type A = string; // note\r\nexport type B = 1;\r\n")


def _code(file: str) -> bool:
    return False  # every file of these maps holds code


def _entry(statements: dict[str, tuple[int, int]], counts: dict[str, object]) -> dict[str, object]:
    return {
        "statementMap": {key: {"start": {"line": start, "column": 0}, "end": {"line": end, "column": 1}}
                         for key, (start, end) in statements.items()},
        "s": counts,
    }  # fmt: skip


def test_a_statement_counts_on_its_first_line_and_ran_where_its_count_is_above_zero() -> None:
    found = {"/repo/src/calc.js": _entry({"0": (1, 1), "1": (2, 4), "2": (6, 6), "3": (7, 7)},
                                         {"0": 1, "1": 3, "2": 0, "3": True})}  # fmt: skip
    assert read_coverage(found, "/repo", ["src/calc.js"], _code) == (
        {"src/calc.js": frozenset({1, 2})}, {"src/calc.js": frozenset({1, 2, 6, 7})}, "")


def test_a_file_the_map_leaves_out_or_no_map_is_not_measured() -> None:
    found = {"/elsewhere/src/calc.js": _entry({"0": (1, 1)}, {"0": 1})}
    assert read_coverage(found, "/repo", ["src/calc.js"], _code) == (
        None, None, "its coverage map leaves out src/calc.js")
    assert read_coverage(None, "/repo", ["src/calc.js"], _code)[2].startswith("the run left no coverage map")


def test_a_left_out_file_of_types_alone_has_no_line_and_the_rest_is_measured() -> None:
    """Seen on ts-pattern: jest's map leaves out ``src/types/Match.ts`` (types alone) beside
    the real code it measured, and the whole change was "not measured"."""
    found = {"/repo/src/match.ts": _entry({"0": (1, 1), "1": (2, 2)}, {"0": 1, "1": 0})}
    assert read_coverage(found, "/repo", ["src/match.ts", "src/types.ts"],
                         lambda file: file == "src/types.ts") == (
        {"src/match.ts": frozenset({1}), "src/types.ts": frozenset()},
        {"src/match.ts": frozenset({1, 2}), "src/types.ts": frozenset()}, "")  # fmt: skip


def test_attack_every_left_out_file_of_code_is_named_beside_one_of_types() -> None:
    """Attack: a file of code the project's coverage settings leave out stays "not measured"
    beside one of types alone, and each such file is named."""
    found = {"/repo/src/match.ts": _entry({"0": (1, 1)}, {"0": 1})}
    assert read_coverage(found, "/repo", ["src/a.ts", "src/match.ts", "src/types.ts", "src/z.ts"],
                         lambda file: file == "src/types.ts") == (
        None, None, "its coverage map leaves out src/a.ts, src/z.ts")  # fmt: skip


def test_jests_wrapper_is_added_only_for_more_than_one_run() -> None:
    assert repeating(1) == "" and repeating(0) == ""
    assert "run < 4" in repeating(4)


def test_jests_report_counts_each_run_of_a_test_by_its_file_and_name() -> None:
    document = {"testResults": [
        {"name": "/w/a.test.js", "assertionResults": [
            {"status": "passed", "fullName": "t"}, {"status": "failed", "fullName": "t"},
            {"status": "pending", "fullName": "skipped"}]},
        {"name": "/w/other.test.js", "assertionResults": [{"status": "passed", "fullName": "u"}]},
        "not a result",
    ]}  # fmt: skip
    assert repeat_counts(document, "/w", ["a.test.js"]) == {"a.test.js › t": (1, 1)}
    assert repeat_counts(document, "/w", []) == {"a.test.js › t": (1, 1), "other.test.js › u": (1, 0)}


def test_vitests_counts_never_soften_the_report_nor_exceed_the_runs_asked() -> None:
    """The canary's line is the test realm's word, as vitest's report is: a count of more runs
    than asked (a forged line hiding a failure among passes) is left out, and so is a test the
    report shows failed with no failure counted; a counted failure of a test the report shows
    passing stays (the worse word)."""
    outcomes = {"a.test.mjs › forged": "failed", "a.test.mjs › hides": "failed",
                "a.test.mjs › lost": "passed", "a.test.mjs › ok": "passed",
                "a.test.mjs › skipped": "skipped"}  # fmt: skip
    line = {"forged": [1000, 1], "hides": [5, 0], "lost": [4, 1], "ok": [5, 0], "skipped": [5, 0],
            "bad": [1, "x"], "neg": [-1, 2], "short": [1]}  # fmt: skip
    runs = canary_runs(line)
    assert {name for name, _, _ in runs} == {"forged", "hides", "lost", "ok", "skipped"}
    assert vitest.repeat_counts(outcomes, {"a.test.mjs": runs}, 5) == {
        "a.test.mjs › lost": (4, 1), "a.test.mjs › ok": (5, 0)}
    assert canary_runs([1]) == () and vitest.repeating(1) == ""
    assert "task.repeats = 7 - 1" in vitest.repeating(7)


def test_a_json_report_gives_each_test_by_file_and_full_name(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    report = {"testResults": [
        {"name": str(root / "src" / "calc.test.js"), "assertionResults": [
            {"fullName": "calc adds", "status": "passed"},
            {"fullName": "calc (a|b).* 1+1", "status": "failed"},
            {"fullName": "calc skipped", "status": "pending"}]},
        {"name": "/elsewhere/x.test.js", "assertionResults": [{"fullName": "x", "status": "failed"}]},
        "not an object",
    ]}  # fmt: skip
    (tmp_path / "report.json").write_text(json.dumps(report))
    found = step_outcomes(tmp_path, root)
    assert found == {"src/calc.test.js › calc adds": True,
                     "src/calc.test.js › calc (a|b).* 1+1": False, "x.test.js › x": False}  # fmt: skip
    pattern = step_retry([test for test, passed in found.items() if not passed])[0]
    chosen = re.compile(pattern.removeprefix("--testNamePattern="))
    assert chosen.match("calc (a|b).* 1+1") and chosen.match("x")
    assert not chosen.match("calc adds") and not chosen.match("calc a")


def test_an_unreadable_report_is_no_outcome(tmp_path: Path) -> None:
    assert step_outcomes(tmp_path, tmp_path) == {}  # none written
    (tmp_path / "report.json").write_text("[" * 100_000)
    assert step_outcomes(tmp_path, tmp_path) == {}
