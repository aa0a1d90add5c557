"""Marks for tests that need a language's toolchain (``go``, ``cargo``): skipped on a machine
without it, never on CI, where a missing toolchain fails the test (``tests/harness/setup.sh``
installs Go; cargo comes with rustup). A skipped check is not a pass."""

from __future__ import annotations

import os
import shutil

import pytest


def needs(tool: str) -> pytest.MarkDecorator:
    """Skip without ``tool`` on ``PATH``, except under ``CI``."""
    return pytest.mark.skipif(
        shutil.which(tool) is None and not os.environ.get("CI"), reason=f"no {tool} here"
    )


needs_go = needs("go")
needs_cargo = needs("cargo")
