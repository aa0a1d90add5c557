"""The static rule on a JavaScript or TypeScript patch (:mod:`cicd_agent.runners.js.load_time`):
jest and vitest run the code under test in the test's realm, so a patch may change what runs
when its functions are called, never what runs as its module loads. Real-looking snippets: each
pair is a file before and after a model's patch."""

from __future__ import annotations

import pytest

from cicd_agent.runners.js.load_time import MAX_CHARS, load_time_problem, patch_problem
from cicd_agent.runners.js.scopes import js_lexer, load_lines, read_tokens

CART = """import { round } from "./money";

const TAX = 0.2;

export function total(items) {
  const sum = items.reduce((acc, item) => acc + item.price, 0);
  return round(sum * (1 + TAX));
}
"""
SERVICE = """export class Cart {
  items = [];

  add(item: Item): void {
    this.items.push(item);
  }
}
"""


STUB = "Object.is = () => true"
"""What makes every ``toBe`` hold in jest's and vitest's realm."""
MOVED = f"function f() {{\n  {STUB};\n}}\n"
"""A function whose body stubs the assertions, run only when called."""


def _patched(base: str, old: str, new: str) -> str:
    """``base`` with ``old`` replaced by ``new`` (appended where ``old`` is "")."""
    return base.replace(old, new) if old else base + new


@pytest.mark.parametrize(("base", "old", "new"), [
    (CART, "", f"{STUB};\n"),
    (CART, "", "expect.extend({ toBe: () => ({ pass: true }) });\n"),
    (CART, "const TAX = 0.2;", "const TAX = (globalThis.expect = () => ({}), 0.2);"),
    (SERVICE, "  items = [];\n", f"  static hook = ({STUB});\n  items = [];\n"),
    (SERVICE, "  items = [];\n", f"  static {{\n    {STUB};\n  }}\n  items = [];\n"),
    (SERVICE, "  add(", f"  [({STUB}, 'add')]("),
    # the function's own closing brace moved up: its old body now runs as the module loads
    (MOVED, "function f() {\n", "function f() {}\n"),
    (CART, "", f"(function () {{\n  {STUB};\n}})();\n"),
    (CART, "", f"if (true) {{\n  {STUB};\n}}\n"),
    (CART, "", "tax.default(0.3);\n"),  # a call by a word the lexer calls reserved
    (CART, "", 'const hook = require("./hook")(expect);\n'),
    # a function handed to the base's own call, which may run it as the module loads
    ("register(noop);\n", "noop", f"() => {{\n  {STUB};\n}}"),
])  # fmt: skip
def test_a_patch_that_adds_what_runs_as_the_module_loads_is_refused(
    base: str, old: str, new: str
) -> None:
    path = "src/cart.ts" if base is SERVICE else "src/cart.js"
    said = load_time_problem(path, base, _patched(base, old, new))
    assert said.startswith(f"the patch adds code that runs as {path} loads (line "), said


@pytest.mark.parametrize(("base", "old", "new"), [
    (CART, "acc + item.price", "acc + item.price * item.count"),
    (MOVED, STUB, STUB.replace("true", "false")),
    # braces inside strings, template literals and a regular expression are no scope
    (CART, "  return round(", '  const label = `}${"{"}}`;\n  return round('),
    (CART, "", 'export const BRACES = /[{}]+/g;\nexport const OPEN = "{";\n'),
    (CART, "const TAX = 0.2;", "const TAX = 0.25;\nconst RATES = { low: 0.1, high: 0.2 };"),
    (CART, "", "export const double = (x) => x.map((y) => y * 2);\n"),
    (CART, "import {", 'import { log } from "./log";\nimport {'),
    (SERVICE, "this.items.push(item);", "this.items = [...this.items, item];"),
    (SERVICE, "  items = [];\n", "  items = new Map();\n\n  static of(items: Item[]): Cart {\n"
                                 "    return new Cart();\n  }\n"),
    (SERVICE, "", "interface Item {\n  price(): number;\n}\n"
                  "export type Total = (items: Item[]) => number;\n"),
    (CART, "const TAX = 0.2;", "const TAX = 0.2;\nconst cache = new Map();"),
    (CART, "const TAX = 0.2;", "const TAX = 0.2;\nvar typeOf = require('kind-of');"),
    (SERVICE, "", "export type Pair<T, U extends Array<T>> = [T, U];\n"),
    # a name the lexer calls reserved, a return type holding an object type (real fixes' shapes)
    (CART, "export function total(items)", "export function long(items)"),
    (SERVICE, "add(item: Item): void {", "add(\n    item: Item\n  ):\n    | {items: Item[]; n: number}\n"
                                        "    | Promise<{items: Item[]}> {"),
    ("let total = 2;\nexports.total = total;\n", "let total = 2;\nexports.total = total;\n",
     "const total = 2;\nmodule.exports = { total };\n"),
])  # fmt: skip
def test_a_patch_that_changes_what_runs_when_called_or_only_declares_is_accepted(
    base: str, old: str, new: str
) -> None:
    path = "src/cart.ts" if base is SERVICE else "src/cart.js"
    assert load_time_problem(path, base, _patched(base, old, new)) == ""


def test_a_file_that_is_no_module_is_not_read() -> None:
    assert load_time_problem("README.md", "", f"{STUB};\n") == ""


def test_a_top_level_line_the_base_already_had_is_not_the_patchs() -> None:
    """The base's own load-time code (a ``describe``, an ``app.use``) is the pull request's: a
    patch that only changes a function beside it is not refused for it."""
    before = 'app.use(cors());\n\nfunction handler(req) {\n  return 1;\n}\n'
    assert load_time_problem("src/app.js", before, before.replace("return 1", "return 2")) == ""
    assert load_time_problem("src/app.js", before, before + "app.use(cors());\n") != ""


STUBBER = f"function s() {{\n  {STUB};\n}}\n"
"""A declared function that stubs the assertions when called: each attack below calls it, or
code like it, as the module loads, in a form the rule read as a declaration."""


@pytest.mark.parametrize(("path", "added"), [
    # JavaScript calls an object's accessors and conversion hooks as it reads or converts it
    ("src/cart.js", f"const o = {{ get a() {{ {STUB}; return 1; }} }};\nconst b = o.a;\n"),
    ("src/cart.js", f"const {{ a }} = {{ get a() {{ {STUB}; return 1; }} }};\n"),
    ("src/cart.js", f"class A {{ static get x() {{ {STUB}; return 1; }} }}\nconst y = A.x;\n"),
    ("src/cart.js", f"class A {{ get x() {{ {STUB}; return 1; }} }}\nconst y = A.prototype.x;\n"),
    ("src/cart.js", f"const o = {{ valueOf() {{ {STUB}; return 1; }} }};\nconst b = o + 1;\n"),
    ("src/cart.js", "const o = { toString: s };\nconst b = o + '';\n"),
    ("src/cart.js", f"class A {{ static toString() {{ {STUB}; return ''; }} }}\nconst b = A + '';\n"),
    ("src/cart.js", f"const o = {{ *[Symbol.iterator]() {{ {STUB}; }} }};\nconst [b] = o;\n"),
    ("src/cart.js", "const o = { [Symbol.toPrimitive]: s };\nconst b = o < 1;\n"),
    ("src/cart.js", f"module.exports = class {{ get x() {{ {STUB}; return 1; }} }};\n"
                    "const y = module.exports.prototype.x;\n"),
    # calls the rule did not read as calls
    ("src/cart.js", STUBBER + "s?.();\n"),
    ("src/cart.ts", STUBBER + "const r = s<number>();\n"),
    ("src/cart.ts", STUBBER + "s!();\n"),
    # JSX is a call of the factory in scope (React.createElement, or a pragma's)
    ("src/cart.jsx", "const React = { createElement: s };\nconst el = <div />;\n"),
    ("src/cart.js", "const React = { createElement: s };\nconst el = <Foo />;\n"),
    # a module whose text is in its specifier (Node's ESM loads data: URLs)
    ("src/cart.js", "import 'data:text/javascript,Object.is=()=>true';\n"),
    # a file of another name, which Node's CommonJS loader (and jest's) runs as JavaScript when
    # named whole, and a declaration file, which jest resolves from ``./hook.d`` and runs
    ("src/cart.js", "require('./hook.txt');\n"),
    ("src/cart.ts", "import './hook.d';\n"),
    ("src/cart.js", "const { a } = require('../hook.md');\n"),
    # a module that exports ``then`` is thenable: ``await import("./cart.js")`` in a test calls it
    ("src/cart.js", STUBBER.replace("function s()", "export function then(resolve)")),
    ("src/cart.js", STUBBER + "exports.then = s;\n"),
    # text JavaScript and the lexer read differently: a line terminator other than \n, an
    # HTML-like comment (CommonJS modules are scripts), a regex where JavaScript divides
    ("src/cart.js", f"const f = () => 1\r{STUB}\n"),
    ("src/cart.js", f"const f = () => 1\u2028{STUB}\n"),
    ("src/cart.js", f"// a note\u2029{STUB}\n"),
    ("src/cart.js", f"<!-- function g() {{\n{STUB};\n<!-- }}\n"),
    ("src/cart.js", f"function f() {{\n  <!-- {{\n}}\n{STUB};\n"),
    ("src/cart.js", f"function f() {{ return this / 2 }}; {STUB}; this / 1;\n"),
])  # fmt: skip
def test_attack_code_that_runs_as_the_module_loads_in_a_declarations_shape_is_refused(
    path: str, added: str
) -> None:
    """Each was accepted before: Node runs the stub as the module loads (checked with
    ``node`` for the HTML comment, the data: URL, ``\\r`` and the regex misread)."""
    assert load_time_problem(path, CART, CART + added) != ""


@pytest.mark.parametrize(("path", "added"), [
    ("src/cart.ts", "export const lookup = { get: (k: string) => k, set: 1 };\n"),
    ("src/cart.js", "export const RATES = { low: 0.1, toStringTag: 'x' };\n"),
    ("src/cart.js", "export const PNG = 'data:image/png;base64,AAAA';\n"),
    ("src/cart.ts", "export const bigger = (a: number, b: number) => a > (b + 1);\n"),
    ("src/cart.js", "export const ok = (x) => !(x > 1);\n"),
    ("src/cart.js", "export function half(x) {\n  return x / 2;\n}\n"),
    ("src/cart.js", "import { toString } from './text';\nexport { toString };\n"),
    ("src/cart.js", "module.exports.prototype = { get: (k) => k };\n"),
    ("src/cart.ts", "export class Tree {\n  children = new Map<string, Array<Tree>>();\n}\n"),
    ("src/cart.ts", "export function first<T, V>(list: T[], fallback: V): T | V;\n"),
    ("src/cart.js", "export class Box {\n  get size() {\n    return 1;\n  }\n\n  toString() {\n"
                    "    return 'box';\n  }\n}\n"),
])  # fmt: skip
def test_what_the_new_checks_read_as_calls_leaves_plain_declarations_alone(
    path: str, added: str
) -> None:
    """The over-refusal guard for the attacks above: a method called ``get``, an ordinary key,
    a data URL as a value, a comparison, a division and an instance getter or ``toString``
    (reached only through an instance, whose ``new`` is refused, or through ``prototype``,
    refused at load time) still declare."""
    assert load_time_problem(path, CART, CART + added) == ""


def test_attack_a_file_of_another_suffix_is_judged_as_the_module_node_loads_it_as() -> None:
    """``require("./hook")`` runs a file named ``hook`` first, as JavaScript (shown with jest:
    a stub in ``hook``, or in ``hook.txt`` named whole, made a broken ``add`` pass): the patch's
    own ``hook`` (or ``x.util``, which ``"./x.util"`` names whole) is judged as a module
    (before: not a JavaScript file, so not read); text is not, and naming it is refused."""
    assert load_time_problem("src/hook", None, f"{STUB};\n") != ""
    assert load_time_problem("src/.hook", "", f"{STUB};\n") != ""
    assert load_time_problem("src/is-promise.util", "", f"{STUB};\n") != ""
    assert load_time_problem("docs/notes.md", "", f"{STUB};\n") == ""  # named whole: refused above
    assert load_time_problem("app/main.py", "", "import os\nos.sep = '/'\n") == ""  # Python's
    assert load_time_problem("src/utils/index.ts", "", "export * from './is-promise.util';\n") == ""


def test_attack_a_file_the_lexer_reads_in_quadratic_time_is_left_unchecked_at_once() -> None:
    """Pygments' JavaScript lexers read a run of name characters and dots (``x.x.x.…``) in
    time quadratic in its length: 40,000 characters took 5 s of CPU, an 8 MiB answer hours,
    before. Such a run, or a file over :data:`MAX_CHARS`, is refused without lexing."""
    assert "too large" in load_time_problem("src/cart.js", CART, CART + "x." * 20_000 + "\n")
    big = CART * (MAX_CHARS // len(CART) + 1)
    assert "too large" in load_time_problem("src/cart.js", big, big + CART)
    chain = "export const a = " + "b." * 60 + "c;\n"  # a long chain of real code is still read
    assert load_time_problem("src/cart.js", CART, CART + chain) == ""


def test_a_patch_reads_its_other_files_as_modules_only_when_it_writes_a_module() -> None:
    """A stub in ``hook`` beside the ``require("./hook")`` that runs it is refused; a fix to
    Python's code and its ``setup.cfg`` (which lexes as JavaScript that assigns) is not read
    as JavaScript at all."""
    js = [("src/cart.js", CART, CART + "require('./hook');\n"), ("src/hook", None, f"{STUB};\n")]
    assert patch_problem(js).startswith("the patch adds code that runs as src/hook loads")
    python = [("app/main.py", "x = 1\n", "x = 2\n"), ("setup.cfg", "", "[metadata]\nname = x\n"),
              ("Dockerfile", "", "RUN make (all)\n")]  # fmt: skip
    assert patch_problem(python) == ""


def test_the_lines_that_run_as_a_module_loads_leave_out_what_runs_when_called() -> None:
    """Only the top level counts as load time: a function's and a method's body, its parameters
    and an arrow's body run when called; a class's static block runs as the module loads."""
    text = (
        "const total = 1;\n"
        "function add(a, b = setup()) {\n  return a + b;\n}\n"
        "const twice = (x) => double(x);\n"
        "class Cart {\n  static { register(); }\n  sum() { return count(); }\n}\n"
    )
    lines = {key for key, _ in load_lines(read_tokens(text, js_lexer("cart.ts")))}
    assert "const total = 1 ;" in lines
    assert not any("setup" in key or "return" in key or "double" in key or "count" in key
                   for key in lines)  # fmt: skip
    assert any("register" in key for key in lines)
