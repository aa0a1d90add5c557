"""Real eslint for the tests, from the corpus toolbox the harness installs (tests/corpus/tools.py):
skipped where it could not be installed, never on CI (a skipped check is not a pass)."""

from __future__ import annotations

import os

import pytest

from tests.corpus.build import TOOLS_DIR
from tests.corpus.tools import Toolbox
from tests.helpers.gen_tests import path_env

ESLINT_BIN = TOOLS_DIR / "node" / "node_modules" / ".bin"


def needs_eslint() -> str:
    """The ``PATH`` of a review that finds eslint (installing the toolbox first)."""
    Toolbox(TOOLS_DIR).prepare()
    if not (ESLINT_BIN / "eslint").exists():
        if os.environ.get("CI"):
            pytest.fail(f"eslint could not be installed into the corpus toolbox ({TOOLS_DIR})")
        pytest.skip(f"eslint is not in the corpus toolbox ({TOOLS_DIR})")
    return os.pathsep.join([path_env(), str(ESLINT_BIN)])
