"""What a fix may change in a Python module (:func:`import_time_problem`): what runs when it is
called, never what runs as it is imported, before the witness can see a test run."""

from __future__ import annotations

import pytest

from cicd_agent.modes.analyse_failure.fix.witnessed import import_time_problem

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
}


@pytest.mark.parametrize("after", ALLOWED.values(), ids=ALLOWED.keys())
def test_a_fix_may_change_what_runs_when_called(after: str) -> None:
    assert import_time_problem("calc/ops.py", BASE, after) == ""


@pytest.mark.parametrize("after", REFUSED.values(), ids=REFUSED.keys())
def test_a_fix_may_not_add_what_runs_as_the_module_is_imported(after: str) -> None:
    said = import_time_problem("calc/ops.py", BASE, after)
    assert said.startswith("the patch adds code that runs as calc/ops.py is imported (line "), said


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
