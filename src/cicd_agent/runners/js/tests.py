"""What a test gen-tests asks a model for looks like in jest and vitest: where the file goes and
how it is written, where the repository's tests already are, where a new one may not go and
whether each of its tests asserts.

The layout is the repository's own: the existing test nearest the changed file says whether
tests sit beside the code, in ``__tests__``/``test``/``tests`` or in a root ``tests/`` whose
tests import it, and whether they are ``.test`` or ``.spec`` files.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path, PurePosixPath

from cicd_agent.runners.base import Layout
from cicd_agent.runners.layout import generated_name
from cicd_agent.runners.protocol import Runner

STYLE = (
    "Write the tests in the language and module style (`require` or `import`) of the existing "
    "tests and of the changed file: group them with `describe`, write each case as `it(...)` "
    "with `expect`."
)
SETTINGS = ("package.json", "package-lock.json", "tsconfig*.json", "babel.config.*", ".babelrc*")
"""Files that change how any JavaScript runner runs, besides each runner's own settings: a new
test file is never one."""


class JsTests:
    """jest's and vitest's generated tests (a mixin beside the runner)."""

    def test_file_for(self: Runner, source: str, related: str, taken: Callable[[str], bool]) -> str:
        """``<stem>.generated.test<suffix>`` in the folder ``related`` sits in (beside
        ``source``, its ``__tests__``, or a root ``tests/`` whose test imports it: the gate
        allows each), beside ``source`` when there is none; ``.spec`` where ``related`` is one
        (``.test`` otherwise: vitest finds no other name by default)."""
        name, near = PurePosixPath(source), PurePosixPath(related)
        stem, suffix = name.name.removesuffix(name.suffix), name.suffix
        folder = near.parent if related else name.parent
        kind = ".spec" if ".spec." in near.name else ".test"
        return generated_name(
            self, lambda mark: (folder / f"{stem}.{mark}{kind}{suffix}").as_posix(), taken
        )

    def test_style(self, source_text: str, related_text: str) -> str:
        """``describe``/``it``/``expect`` in the module style of the tests already there."""
        return STYLE

    def layout(self: Runner, checkout: Path) -> Layout:
        """The tests that import each file, and a root ``tests/``."""
        from cicd_agent.runners.js import layout as js_layout  # gen-tests' alone, as below

        return js_layout.layout(self, checkout)

    def new_test_problem(self: Runner, checkout: Path, path: str) -> str:
        """A test ``npm test`` runs, no file of :data:`SETTINGS`, none in a ``__mocks__``
        folder, and no module an import of the checkout could open in place of one it holds."""
        from cicd_agent.runners.js import layout as js_layout  # not on review's import path
        from cicd_agent.runners.js import script as js_script

        if not js_script.scope(self, checkout).runs(path):
            return (
                f"outside the paths package.json's scripts.test gives {self.name}: npm test "
                "would never run it"
            )
        if any(PurePosixPath(path).match(pattern) for pattern in SETTINGS):
            return f"{path} is part of {self.name}'s settings: a candidate writes a test file only"
        if js_layout.mock(path):
            return (
                f"{path} is in a __mocks__ folder: jest takes each file there for the module "
                "of its name in every test (a manual mock); a candidate writes a test file only"
            )
        if js_layout.import_twin(checkout, path):
            return (
                "a file the repository already holds (one an import opens in its place: a "
                "file or folder of its name beside it, extension and case aside)"
            )
        return ""

    def unasserted(self, checkout: Path, path: str, text: str) -> str:
        """Its first ``it``/``test`` that holds no ``expect`` or ``assert``."""
        from cicd_agent.runners.js.assertions import js_unasserted  # gen-tests' alone

        idle = js_unasserted(path, text)
        return (
            f"{idle} asserts nothing (no failure it could report: a JavaScript test calls "
            "expect or assert)"
            if idle
            else ""
        )
