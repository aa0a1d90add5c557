"""Whether a TypeScript file holds types alone (:mod:`.type_only`), read from its source: the
shapes of real projects' type modules (ts-pattern's ``src/types``, type-fest's style), and the
runtime code beside them that must stay code. Each "code" case is one TypeScript's own
``transpileModule`` emits something for, an import that runs another module included (checked
with typescript 5.9; ``research/gen_tests/type_only_eval.py`` checks the rule against it on
whole projects)."""

from __future__ import annotations

from pathlib import Path

import pytest

from cicd_agent.runners.js.runner import blank
from cicd_agent.runners.js.type_only import types_only

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
