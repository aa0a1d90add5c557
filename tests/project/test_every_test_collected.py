"""A plain run (the README's test command) collects every test file under ``tests/``.

pytest skips folders matching ``norecursedirs`` without a word; its default names ``build``, so
the build mode's tests (``tests/modes/build/``) once went uncollected while the suite passed.
"""

from __future__ import annotations

from fnmatch import fnmatch

import pytest

from tests.harness.payloads import REPO_ROOT


def test_no_folder_holding_tests_is_one_pytest_skips(pytestconfig: pytest.Config) -> None:
    patterns = pytestconfig.getini("norecursedirs")
    skipped = sorted(
        str(path.relative_to(REPO_ROOT))
        for path in (REPO_ROOT / "tests").rglob("test_*.py")
        for part in path.relative_to(REPO_ROOT / "tests").parent.parts
        if any(fnmatch(part, pattern) for pattern in patterns)
    )
    assert not skipped, f"test files pytest never collects (norecursedirs): {skipped}"

