"""Under ts-jest a mutant runs only where it type-checks. ts-jest (the repository's
own transform, its diagnostics on by default) refuses a mutant that does not, and the run then
says nothing: "Test suite failed to run" with a TS error and no test's outcome. Seen on
fb55/htmlparser2 (held-out set 3), where each of the three mutant runs a candidate got was
refused (TS2304 for a deleted parameter, TS6133 for a deleted argument, TS2322 for
``return !(new Parser(...))``), so the right candidate and a check of nothing were both kept,
unchecked.

On one small real ts-jest project (ts-jest and typescript from the toolbox, strict
``tsconfig.json``): the change's first mutants in strength order do not type-check (``||`` made
``&&`` where a ``string`` is declared, a ``!`` dropped where a ``boolean`` is), and one that
keeps the types comes later. A right test fails on that one and is kept, naming it; a test of
the result's type alone passes with it and is dropped. A mutant ts-jest refuses is never a
kill. One shared set-up; stage 6 alone (the claim), one mutant run each: a ts-jest run type-checks
for about 3 s of CPU."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from cicd_agent.local.checkout import GitCheckout
from cicd_agent.modes.gen_tests.candidate_runs import Candidate, depends
from cicd_agent.modes.gen_tests.runner_gaps import RunnerGaps, changes
from cicd_agent.runners.pytest.runner import PytestSandbox
from cicd_agent.verify import mutants
from tests.corpus.build import TOOLS_DIR
from tests.git_builder import GitRepoBuilder
from tests.helpers.eslint import needs_node_tool
from tests.helpers.sandbox import needs_sandbox

pytestmark = needs_sandbox

PACKAGE = """{"name": "cart", "devDependencies": {"jest": "*", "ts-jest": "*", "typescript": "*"},
 "jest": {"preset": "ts-jest", "testEnvironment": "node"}}
"""
TSCONFIG = """{"compilerOptions": {"strict": true, "target": "es2019", "module": "commonjs",
  "esModuleInterop": true, "noUnusedLocals": true, "noUnusedParameters": true, "types": []}}
"""
TYPES = """export interface Item {
    name: string;
    cents: number;
}

export interface Options {
    label?: string;
    currency?: string;
}

export function count(items: Item[]): number {
    return items.length;
}
"""
CHANGE = """
export function describeCart(
    items: Item[],
    options: Options = {}
): string {
    const label: string = options.label || "cart";
    const currency: string = options.currency || "EUR";
    const empty: boolean = !items.length;
    const cents = items.reduce((sum, item) => sum + item.cents, 0);
    return empty ? `${label}: empty` : `${label}: ${(cents / 100).toFixed(2)} ${currency}`;
}
"""
GLOBALS = 'import { expect, test } from "@jest/globals";\n'
COUNT_TEST = ('import { count } from "./cart";\n\n'
              'test("count", () => {\n    expect(count([{ name: "tea", cents: 250 }])).toBe(1);\n});\n')
IMPORT = 'import { describeCart } from "./cart";\n\n'
ITEMS = '[{ name: "tea", cents: 250 }, { name: "jam", cents: 199 }]'
RIGHT = f'test("total", () => {{\n    expect(describeCart({ITEMS})).toBe("cart: 4.49 EUR");\n}});\n'
TYPE_ONLY = f'test("a string", () => {{\n    expect(typeof describeCart({ITEMS})).toBe("string");\n}});\n'
LINKS = ("jest", "ts-jest", "typescript", "@jest")


@pytest.fixture(scope="module")
def verdicts(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, mutants.Dependence]]:
    """The two candidates' stage 6 (:func:`candidate_runs.depends`, as the gate calls it after
    their passing runs) on the lines they run, once: each ts-jest run type-checks for seconds."""
    environ = {"PATH": needs_node_tool("ts-jest"), "HOME": "/nonexistent"}
    repo = GitRepoBuilder(tmp_path_factory.mktemp("tsjest") / "app")
    base = repo.commit("start", {".gitignore": "node_modules\n", "package.json": PACKAGE,
                                 "tsconfig.json": TSCONFIG, "src/cart.ts": TYPES,
                                 "src/cart.test.ts": GLOBALS + COUNT_TEST})  # fmt: skip
    head = repo.commit("describe", {"src/cart.ts": TYPES + CHANGE})
    (repo.path / "node_modules" / ".bin").mkdir(parents=True)
    tools = TOOLS_DIR / "node" / "node_modules"
    os.symlink(tools / ".bin" / "jest", repo.path / "node_modules" / ".bin" / "jest")
    for name in LINKS:
        os.symlink(tools / name, repo.path / "node_modules" / name)
    [change], _ = changes(GitCheckout(repo.path), base, head, environ)
    ran = {"src/cart.ts": frozenset(range(19, 24))}  # what their runs cover of the change
    with pytest.MonkeyPatch.context() as patch, PytestSandbox(repo.path, environ) as sandbox:
        patch.setattr(mutants, "BUDGET", 1)  # the first mutant decides: one that type-checks
        yield {name: depends(RunnerGaps(change, None, None),
                             Candidate(f"src/cart_{name}.test.ts", GLOBALS + IMPORT + body),
                             sandbox, ran, 240)
               for name, body in (("right", RIGHT), ("type", TYPE_ONLY))}  # fmt: skip


def test_a_right_test_depends_on_a_mutant_that_type_checks(
    verdicts: dict[str, mutants.Dependence],
) -> None:
    verdict = verdicts["right"]
    assert (verdict.depends, verdict.runs) == (True, 2), verdict  # and the control
    assert verdict.label.startswith(
        "fails when src/cart.ts:23 `/` mutated to `*` (its check src/cart_right.test.ts:5: "
    ), verdict.label  # its own expect failed: no crash in the code under test


def test_a_test_of_the_type_alone_is_dropped_for_not_depending_on_the_change(
    verdicts: dict[str, mutants.Dependence],
) -> None:
    verdict = verdicts["type"]
    assert (verdict.depends, verdict.runs) == (False, 1), verdict
    assert verdict.label == ("does not depend on the change: passed with src/cart.ts:23 `/` "
                             "mutated to `*` (budget: 1 mutant run)")
