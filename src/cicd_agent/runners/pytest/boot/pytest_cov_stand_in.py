"""pytest-cov's command line, accepted and ignored, in runs where pytest-cov is blocked.

pytest-cov's tracer would pause the coverage our boot starts for the whole session, so every run
blocks it (``-p no:cov``, which also stops ``--cov-fail-under`` on a run of a few files) and
loads this module under a name chosen per sandbox. It takes pytest-cov's options with the same
arity, so the project's addopts parse and the same words stay paths, and its ``no_cover`` marker
and ``cov``/``no_cover`` fixtures, so the project's tests collect and run. An option pytest-cov
already added (``-p pytest_cov`` loaded before the block) is left as it is."""

from __future__ import annotations

from typing import Any

import pytest

_FLAGS = ("--cov-reset", "--no-cov-on-fail", "--no-cov", "--cov-append", "--cov-branch")
_VALUES = ("--cov-report", "--cov-config", "--cov-fail-under", "--cov-precision", "--cov-context")


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("cov", "coverage reporting with distributed testing support")
    options: list[tuple[str, dict[str, Any]]] = [
        ("--cov", {"action": "append", "nargs": "?", "const": True, "dest": "cov_source"}),
        *((flag, {"action": "store_true"}) for flag in _FLAGS),
        *((name, {"action": "append"}) for name in _VALUES),
    ]
    for name, settings in options:
        try:
            group.addoption(name, help="ignored: cicd-agent measures coverage itself", **settings)
        except ValueError:  # pytest-cov's own, added before it was blocked
            continue


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "no_cover: disable coverage for this test.")


@pytest.fixture
def no_cover() -> None:
    """pytest-cov's fixture: nothing to pause here."""


@pytest.fixture
def cov() -> None:
    """pytest-cov's fixture: no coverage object of pytest-cov's runs here."""
