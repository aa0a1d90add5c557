"""What a test gen-tests asks a model for looks like in jest and vitest: where the file goes and
how it is written (:meth:`~.base.TestRunner.test_file_for`, :meth:`~.base.TestRunner.test_style`),
apart from :mod:`.js`, which runs and reads the tests.

The layout is the repository's own: the existing test nearest the changed file says whether
tests sit beside the code or in ``__tests__``/``test``/``tests`` and whether they are ``.test``
or ``.spec`` files.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import PurePosixPath

from cicd_agent.verify.runners.base import TestRunner, generated_name

TEST_FOLDERS = ("__tests__", "test", "tests")
"""The folders beside the code where a JavaScript project keeps its tests (gen-tests' gate
allows these and the code's own folder)."""
STYLE = (
    "Write the tests in the language and module style (`require` or `import`) of the existing "
    "tests and of the changed file: group them with `describe`, write each case as `it(...)` "
    "with `expect`."
)


class JsTests:
    """jest's and vitest's generated tests (a mixin beside :class:`.js.JsRunner`)."""

    def test_file_for(
        self: TestRunner, source: str, related: str, taken: Callable[[str], bool]
    ) -> str:
        """``<stem>.generated.test<suffix>`` beside ``source``, or in the test folder
        ``related`` sits in; ``.spec`` where ``related`` is one (``.test`` otherwise: vitest
        finds no other name by default)."""
        name, near = PurePosixPath(source), PurePosixPath(related)
        stem, suffix = name.name.removesuffix(name.suffix), name.suffix
        folder = name.parent / near.parent.name if near.parent.name in TEST_FOLDERS else name.parent
        kind = ".spec" if ".spec." in near.name else ".test"
        return generated_name(self, lambda mark: (folder / f"{stem}.{mark}{kind}{suffix}").as_posix(),
                              taken)  # fmt: skip

    def test_style(self, source_text: str, related_text: str) -> str:
        """``describe``/``it``/``expect`` in the module style of the tests already there."""
        return STYLE
