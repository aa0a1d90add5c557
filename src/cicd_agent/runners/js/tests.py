"""What a test gen-tests asks a model for looks like in jest and vitest: where the file goes and
how it is written (:meth:`~..base.TestRunner.test_file_for`, :meth:`~..base.TestRunner.test_style`),
apart from :mod:`cicd_agent.runners.js`, which runs and reads the tests.

The layout is the repository's own: the existing test nearest the changed file says whether
tests sit beside the code, in ``__tests__``/``test``/``tests`` or in a root ``tests/`` whose
tests import it (:mod:`.layout`), and whether they are ``.test`` or ``.spec`` files.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import PurePosixPath

from cicd_agent.runners.base import TestRunner, generated_name

STYLE = (
    "Write the tests in the language and module style (`require` or `import`) of the existing "
    "tests and of the changed file: group them with `describe`, write each case as `it(...)` "
    "with `expect`."
)


class JsTests:
    """jest's and vitest's generated tests (a mixin beside :class:`.runner.JsRunner`)."""

    def test_file_for(
        self: TestRunner, source: str, related: str, taken: Callable[[str], bool]
    ) -> str:
        """``<stem>.generated.test<suffix>`` in the folder ``related`` sits in (beside
        ``source``, its ``__tests__``, or a root ``tests/`` whose test imports it: the gate
        allows each), beside ``source`` when there is none; ``.spec`` where ``related`` is one
        (``.test`` otherwise: vitest finds no other name by default)."""
        name, near = PurePosixPath(source), PurePosixPath(related)
        stem, suffix = name.name.removesuffix(name.suffix), name.suffix
        folder = near.parent if related else name.parent
        kind = ".spec" if ".spec." in near.name else ".test"
        return generated_name(self, lambda mark: (folder / f"{stem}.{mark}{kind}{suffix}").as_posix(),
                              taken)  # fmt: skip

    def test_style(self, source_text: str, related_text: str) -> str:
        """``describe``/``it``/``expect`` in the module style of the tests already there."""
        return STYLE
