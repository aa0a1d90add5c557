"""Real eslint and biome for the tests, from the corpus toolbox the harness installs
(tests/corpus/tools.py): skipped where they could not be installed, never on CI (a skipped check
is not a pass)."""

from __future__ import annotations

import os

import pytest

from tests.corpus.tools import TOOLS_DIR, Toolbox
from tests.helpers.gen_tests import path_env

NODE_BIN = TOOLS_DIR / "node" / "node_modules" / ".bin"


def needs_node_tool(name: str) -> str:
    """The ``PATH`` of a review that finds ``name`` (eslint, biome) in the toolbox's npm half."""
    Toolbox(TOOLS_DIR).prepare()
    if not (NODE_BIN / name).exists():
        if os.environ.get("CI"):
            pytest.fail(f"{name} could not be installed into the corpus toolbox ({TOOLS_DIR})")
        pytest.skip(f"{name} is not in the corpus toolbox ({TOOLS_DIR})")
    return os.pathsep.join([path_env(), str(NODE_BIN)])


def needs_eslint() -> str:
    """The ``PATH`` of a review that finds eslint."""
    return needs_node_tool("eslint")
