"""Which files a fix judged by a linter's exit code may change (:func:`unnamed_by_the_linter`)."""

from __future__ import annotations

import pytest

from cicd_agent.modes.analyse_failure.fix.witnessed import unnamed_by_the_linter

OUTPUTS = {
    "ruff": "src/app.py:1:8: F401 [*] `os` imported but unused\nFound 1 error.\n",
    "eslint": "\n/tmp/x/run-1/live/repo/src/app.js\n  1:5  error  'x' is never reassigned\n",
    "isort": "ERROR: /tmp/x/run-1/live/repo/src/app.py Imports are incorrectly sorted.\n",
    "prettier": "Checking formatting...\n[warn] src/app.ts\n",
    "black": "would reformat ./src/app.py\n",
}


@pytest.mark.parametrize("output", OUTPUTS.values(), ids=OUTPUTS.keys())
def test_a_file_the_linter_named_may_change(output: str) -> None:
    path = "src/app." + ("js" if "app.js" in output else "ts" if "app.ts" in output else "py")
    assert unnamed_by_the_linter([path], output) == ""


@pytest.mark.parametrize("path", ["app.js", "rules.mjs", "src/app", "repo/src/app.js", "c/app.js"])
def test_a_file_only_part_of_a_named_path_may_not(path: str) -> None:
    """``app.js`` is the end of ``src/app.js``, not a file the linter named: a config at the
    root importing ``./app.js`` would otherwise pass as the reported file."""
    said = unnamed_by_the_linter([path], OUTPUTS["eslint"] + "/work/abc/app.js:1\n")
    assert said.endswith("never code the linter itself loads"), said
