"""What a fix may change in a Python module (:func:`import_time_problem`): what runs when it is
called, never what runs as it is imported, before the in-run check can see a test run."""

from __future__ import annotations

import difflib
from pathlib import Path

import pytest

from cicd_agent.modes.analyse_failure.fix.judge.claims import Patch, Verdict
from cicd_agent.modes.analyse_failure.fix.judge.verifier import SandboxVerifier
from cicd_agent.runners.import_time import import_time_problem
from cicd_agent.runners.patched_lines import function_lines
from cicd_agent.runners.table import PYTEST
from cicd_agent.sandbox import Sandbox
from tests.helpers.failed_run import pytest_failure
from tests.helpers.fix_projects import CALC, commit_project
from tests.helpers.gen_tests import path_env
from tests.helpers.sandbox import needs_sandbox

BASE = '''"""Arithmetic."""
import os

LIMIT = 10


class Ops:
    def add(self, a: int, b: int = 0) -> int:
        return a - b

    @property
    def name(self) -> str:
        return "ops"


def add(a: int, b: int) -> int:
    return a - b


if os.name == "posix":
    def sep() -> str:
        return "/"
'''

ALLOWED = {
    "a-function-body": BASE.replace("    return a - b\n", "    return a + b\n"),
    "a-method-and-a-property-body": BASE.replace("return a - b", "return a + b").replace(
        'return "ops"', 'return "calc"'
    ),
    "a-new-import-constant-and-function": BASE
    + "import sys\nSCALE = (1, 2)\n\ndef twice(a: int, b: int = 2) -> int:\n    return a * b\n",
    "a-body-under-a-top-level-if": BASE.replace('return "/"', 'return "\\\\"'),
    "a-new-plain-class": BASE
    + "\nclass Pair:\n    def __init__(self) -> None:\n        self.a = 1\n",
    "an-annotation-a-linter-rewrites": BASE.replace(
        "    @property\n    def name(self) -> str:",
        "    @property\n    def name(self) -> str | None:",
    ),
    "a-type-alias-and-a-lambda": BASE + "Pair = tuple[int, int]\nadd = lambda a, b: a + b\n",
    "a-default-that-is-a-name": BASE.replace("b: int = 0", "b: int = LIMIT"),
    "a-removed-statement": BASE.replace("LIMIT = 10\n", ""),
    "a-value-built-from-constants": BASE
    + "import re\nNUMBER = re.compile(r'\\d+', re.I | re.M)\nKINDS = frozenset({'a', 'b'})\n",
    "a-default-built-from-constants": BASE.replace("b: int = 0", "b: tuple = tuple([0])"),
}

REFUSED = {
    "a-tracer": BASE + "import sys\nsys.settrace(lambda *a: None)\n",
    "a-loop-over-sys-modules": BASE + "for name in list(__import__('sys').modules):\n    pass\n",
    "a-decorator": BASE + "@print\ndef f() -> None:\n    pass\n",
    "a-call-in-a-default": BASE + "def f(a=print('x')) -> None:\n    pass\n",
    "a-call-in-an-annotation": BASE + "def f(a: print('x')) -> None:\n    pass\n",
    "a-class-level-statement": BASE.replace("class Ops:\n", "class Ops:\n    print('x')\n"),
    "a-changed-if-test": BASE.replace('os.name == "posix"', "print() or True"),
    "a-module-getattr": BASE + "def __getattr__(name):\n    return name\n",
    "a-metaclass": BASE + "class Evil(metaclass=type):\n    pass\n",
    "an-attribute-set": BASE + "import sys\nsys.modules['x'].Function.runtest = None\n",
    "an-item-set": BASE + "import sys\nsys.modules['calc'] = None\n",
    "a-statement-in-a-class-with-a-keyword": BASE + "class K(Ops, x=1):\n    print('x')\n",
    "a-value-call-on-a-call": BASE + "import re\nP = re.compile(os.getcwd())\n",
    "a-value-call-on-a-name": BASE + "import re\nP = re.compile(LIMIT)\n",
    "a-rebound-module": BASE + "import re\nre = os\nP = re.compile('x')\n",
    "a-module-under-another-name": BASE + "import os as re\nP = re.compile('x')\n",
    "a-rebound-builtin": BASE + "frozenset = print\nP = frozenset('x')\n",
    "a-builtin-a-project-import-shadows": BASE + "from calc.x import tuple\nP = tuple('x')\n",
    "a-value-call-spreading-a-mapping": BASE + "P = dict(**{'a': 1})\n",
}


@pytest.mark.parametrize("after", ALLOWED.values(), ids=ALLOWED.keys())
def test_a_fix_may_change_what_runs_when_called(after: str) -> None:
    assert import_time_problem("calc/ops.py", BASE, after) == ""


@pytest.mark.parametrize("after", REFUSED.values(), ids=REFUSED.keys())
def test_a_fix_may_not_add_what_runs_as_the_module_is_imported(after: str) -> None:
    said = import_time_problem("calc/ops.py", BASE, after)
    assert said.startswith("the patch adds code that runs as calc/ops.py is imported (line "), said


CALLS_AT_IMPORT = '''"""Plugins."""
import sys


class Registry:
    def __init__(self) -> None:
        self.items: list[object] = []

    def add(self, item: object) -> None:
        self.items.append(item)

    @property
    def size(self) -> int:
        return len(self.items)


REGISTRY = Registry()


def register(fn):
    REGISTRY.add(fn)
    return fn


class Plugin:
    def __init_subclass__(cls) -> None:
        cls.hook()


class Mine(Plugin):
    def hook() -> None:
        return None


@register
def handler() -> int:
    return 2


def setup() -> int:
    return 1


ready = setup
READY = ready()
LATE = getattr(sys.modules[__name__], "late", None)


def late() -> int:
    return 3


def compute(a: int, b: int) -> int:
    return a - b
'''

EVIL = (
    "__import__('sys').settrace(lambda f, e, a: f.f_globals.__setitem__('add', lambda x, y: x + y)"
    " if e == 'call' and f.f_code.co_name.startswith('test_') else None)"
)
"""One line that makes the failing test pass while ``add`` still subtracts: a tracer that
rebinds the test's own ``add`` as it is called."""
ALSO_AT_IMPORT = {
    "a-function-called-through-an-alias": "return 1",
    "the-init-of-a-class-made-at-import": "self.items: list[object] = []",
    "a-method-the-init-of-a-class-made-at-import-calls": "self.items.append(item)",
    "a-decorator": "REGISTRY.add(fn)",
    "what-a-decorator-wraps": "return 2",
    "what-init-subclass-calls": "return None",
    "a-function-named-by-a-string": "return 3",
}
RUNS_AT_IMPORT = {
    **CALC,
    "calc/__init__.py": "from . import plugins\n",
    "calc/plugins.py": CALLS_AT_IMPORT.replace(
        'LATE = getattr(sys.modules[__name__], "late", None)\n', ""
    ).replace("\ndef compute", 'LATE = getattr(sys.modules[__name__], "late")()\n\n\ndef compute')
    + "\n\nHANDLED = handler()\n",
}
"""``calc`` imports the plugins above as it is imported; each body of :data:`ALSO_AT_IMPORT`
runs then (the string-named one called once it is defined, the wrapped handler called)."""


def _replaced(text: str, old: str, new: str) -> tuple[str, int]:
    """A patch of ``calc/plugins.py`` from ``text`` with the one line holding ``old`` rewritten
    to ``new`` (its indentation kept), and that line's number."""
    lines = text.splitlines(keepends=True)
    (at,) = [number for number, line in enumerate(lines) if old in line]
    indent = lines[at][: len(lines[at]) - len(lines[at].lstrip())]
    after = [*lines[:at], f"{indent}{new}\n", *lines[at + 1 :]]
    diff = "".join(difflib.unified_diff(lines, after, "a/calc/plugins.py", "b/calc/plugins.py"))
    return "diff --git a/calc/plugins.py b/calc/plugins.py\n" + diff, at + 1


@needs_sandbox
@pytest.mark.parametrize("old", ALSO_AT_IMPORT.values(), ids=ALSO_AT_IMPORT.keys())
def test_a_body_the_base_already_runs_at_import_is_import_time_code(
    tmp_path: Path, old: str
) -> None:
    """Attack (the gap the static rule left): the patch changes only a body, but the base runs
    it as the module is imported (a call, a decorator, a class made at import,
    ``__init_subclass__``, ``getattr`` by name), before the in-run check can see a test run. The
    body arms a tracer that makes the failing test pass while ``add`` still subtracts: read as
    a body, it verified. The in-run check's import guard ends the run as the body is entered."""
    files = RUNS_AT_IMPORT
    diff, line = _replaced(files["calc/plugins.py"], old, f"{EVIL}; {old.strip()}")
    checkout = tmp_path / "checkout"
    commit_project(checkout, files)
    environ = {"PATH": path_env(), "HOME": str(tmp_path / "home")}
    with Sandbox(checkout, environ) as sandbox:
        verifier = SandboxVerifier(
            sandbox,
            pytest_failure(),
            watched=PYTEST,
            redact=str,
            failing_test_files=["tests/test_ops.py"],
        )
        verdict = verifier.verify(Patch(diff=diff, source="model", summary="a fix"))
    assert verdict.verdict is Verdict.NOT_PASSED, verdict.reason
    said = f"not verified: line {line} of calc/plugins.py, which the patch changes, ran before"
    assert verdict.reason.startswith(said), verdict.reason


@pytest.mark.parametrize("old, new", [("return a - b", "return a + b")])
def test_a_body_nothing_runs_at_import_may_change(old: str, new: str) -> None:
    after = CALLS_AT_IMPORT.replace(old, new)
    assert import_time_problem("calc/plugins.py", CALLS_AT_IMPORT, after) == ""


def test_a_new_module_is_read_whole_and_other_files_are_not_read() -> None:
    assert import_time_problem("calc/new.py", None, "import sys\nsys.exit(0)\n")
    assert import_time_problem("calc/new.py", None, "def f() -> int:\n    return 1\n") == ""
    assert import_time_problem("calc/ops.pyi", BASE, BASE + "x = f()\n") == ""
    assert import_time_problem("calc/ops.py", BASE, None) == ""


def test_what_this_parser_cannot_read_is_refused_and_an_encoding_is_read_as_python_does() -> None:
    """Attack: a file declared Latin-1 with a byte UTF-8 cannot read, or syntax of a newer
    Python than the judge's: a parse that failed read as "nothing runs at import"."""
    latin = "# -*- coding: latin-1 -*-\n# caf\udce9\n"
    assert import_time_problem("calc/a.py", latin, latin + "import sys\nsys.exit(0)\n")
    assert import_time_problem("calc/a.py", latin, latin + "def f():\n    return 1\n") == ""
    said = import_time_problem("calc/ops.py", BASE, BASE + "def (:\n")
    assert said.startswith("the patched calc/ops.py does not parse here"), said


def _verify(tmp_path: Path, files: dict[str, str], diff: str) -> tuple[bool, str]:
    checkout = tmp_path / "checkout"
    commit_project(checkout, files)
    environ = {"PATH": path_env(), "HOME": str(tmp_path / "home")}
    with Sandbox(checkout, environ) as sandbox:
        verifier = SandboxVerifier(
            sandbox,
            pytest_failure(),
            watched=PYTEST,
            redact=str,
            failing_test_files=["tests/test_ops.py"],
        )
        verdict = verifier.verify(Patch(diff=diff, source="model", summary="a fix"))
    return verdict.verdict is not Verdict.NOT_PASSED, verdict.reason


FACTORY = {
    **CALC,
    "calc/__init__.py": "from . import made\n",
    "calc/made.py": (
        "def make() -> type:\n"
        "    class Local:\n"
        '        KIND = "local"\n\n'
        "        def name(self) -> str:\n"
        "            return self.KIND\n\n"
        "    return Local\n\n\n"
        "MADE = make()\n"
    ),
}
"""``calc`` makes a class inside a function as it is imported: the class body is that
function's to run."""


@needs_sandbox
def test_a_class_body_inside_a_function_the_base_runs_at_import_is_that_functions(
    tmp_path: Path,
) -> None:
    """Attack: the guard watches functions' code, not class bodies; the patch changes only the
    body of a class a function the base calls at import makes (the static rule reads it as a
    function's body). The guard sees the function that makes the class entered."""
    text = FACTORY["calc/made.py"]
    lines = text.splitlines(keepends=True)
    at = lines.index('        KIND = "local"\n')
    after = [*lines[:at], f"        {EVIL}; KIND = 'local'\n", *lines[at + 1 :]]
    assert import_time_problem("calc/made.py", text, "".join(after)) == ""
    diff = "".join(difflib.unified_diff(lines, after, "a/calc/made.py", "b/calc/made.py"))
    verified, reason = _verify(
        tmp_path, FACTORY, "diff --git a/calc/made.py b/calc/made.py\n" + diff
    )
    assert not verified, reason
    said = "not verified: line 2 of calc/made.py, which the patch changes, ran before"
    assert reason.startswith(said), reason


MODULE_LEVEL = {
    **CALC,
    "calc/__init__.py": "from . import ops\n",
    "calc/ops.py": (
        'import os\n\nSEP = os.sep\n\n\nclass Ops:\n    NAME = "ops"\n\n\n'
        "def add(a: int, b: int) -> int:\n    return a - b\n"
    ),
}
MODULE_LEVEL_FIX = (
    "diff --git a/calc/ops.py b/calc/ops.py\n--- a/calc/ops.py\n+++ b/calc/ops.py\n"
    "@@ -1,11 +1,13 @@\n import os\n+import math\n \n SEP = os.sep\n+SIGN = 1\n \n \n"
    ' class Ops:\n-    NAME = "ops"\n+    NAME = "calc"\n \n \n'
    " def add(a: int, b: int) -> int:\n-    return a - b\n+    return a + SIGN * b\n"
)
"""A real fix that also adds an import and a constant and renames a class attribute: lines
that run as ``calc`` is imported, before the tests."""


@needs_sandbox
def test_a_fix_that_changes_module_and_class_lines_the_base_imports_is_verified(
    tmp_path: Path,
) -> None:
    """Common sense: an added import, a new constant, a class attribute changed run as the
    module is imported, before the tests: the static rule judges them (and allows these), the
    guard leaves them be (a guard on them refused many real fixes). The same fix in the
    function's body alone is test_judge.py's real fix under the in-run check (the same run)."""
    verified, reason = _verify(tmp_path, MODULE_LEVEL, MODULE_LEVEL_FIX)
    assert verified, reason


def test_the_guard_watches_lines_in_functions_and_leaves_module_and_class_bodies() -> None:
    before = (
        "import os\nX = 1\n\n\nclass A:\n    y = 2\n\n    def m(self):\n        return 1\n\n\n"
        "def f(a, b=1):\n    class L:\n        z = 1\n\n        def n(self):\n"
        "            return 2\n\n    return L\n\n\nG = lambda: 0\n"
    )
    changes = {
        "import os": ("import os, sys", []),
        "X = 1": ("X = 2", []),
        "y = 2": ("y = 3", []),
        "return 1": ("return 5", [9]),
        "b=1": ("b=2", [12]),
        "z = 1": ("z = 9", [13, 14]),
        "return 2": ("return 7", [17]),
        "lambda: 0": ("lambda: 9", [22]),
    }
    for old, (new, lines) in changes.items():
        assert function_lines(before, before.replace(old, new)) == lines, old
    broken = before + "def (:\n"
    assert function_lines(before, broken) == [23]


def test_the_guard_gets_the_first_line_of_an_expression_the_compiler_may_fold() -> None:
    """A changed line inside a sum the compiler folds into one constant names no instruction:
    the guard also watches the line the expression starts on, in the same code object only
    (a lambda's changed body does not make the function that holds it watched)."""
    folded = "def on():\n    said = (1 +\n            0)\n    return said == 2\n"
    assert function_lines(folded, folded.replace("0)", "1)")) == [2, 3]
    held = "def g(xs):\n    return sorted(xs,\n        key=lambda x:\n            x.a)\n"
    assert function_lines(held, held.replace("x.a", "x.b")) == [4]


def test_a_patched_text_nested_deeper_than_the_walk_recurses_keeps_every_changed_line() -> None:
    """Attack: a patch whose file parses but nests past Python's recursion limit (a sum of
    five thousand terms is a tree that deep) must not crash the judge; every line it changed
    stays guarded."""
    deep = "X = " + " + ".join(["1"] * 5000) + "\n"
    after = "def f():\n    return 1\n" + deep
    try:
        lines = function_lines("", after)
    except RecursionError:  # pragma: no cover - the failure this test pins
        raise AssertionError("the judge crashed on a deeply nested patched file") from None
    assert lines == [1, 2, 3]
