"""Fixtures of the structure tests."""

from __future__ import annotations

import pytest

from tests.helpers.typing_toys import ToyReport, check


@pytest.fixture(scope="session")
def toy_mypy(tmp_path_factory: pytest.TempPathFactory) -> ToyReport:
    """The toy modes (``test_mode_typing``) and toy posters (``test_posting_typing``), checked
    in a single mypy run: the package they import is analysed once for all of them. Their tests
    share :data:`~tests.helpers.typing_toys.TOY_GROUP`, so a parallel run makes it once."""
    from tests.project import test_mode_typing, test_posting_typing

    sources = {**test_mode_typing.toy_modules(), **test_posting_typing.toy_modules()}
    return check(tmp_path_factory.mktemp("toy-mypy"), sources)
