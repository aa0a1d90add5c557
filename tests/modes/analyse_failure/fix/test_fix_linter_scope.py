"""Which files a fix judged by a linter's exit code may change (:func:`unnamed_by_the_linter`)."""

from __future__ import annotations

import pytest

from cicd_agent.runners.patched_lines import unnamed_by_the_linter

OUTPUTS = {
    "ruff": "src/app.py:1:8: F401 [*] `os` imported but unused\nFound 1 error.\n",
    "ruff-full": "F401 [*] `os` imported but unused\n --> src/app.py:1:8\n  |\n1 | import os\n",
    "ruff-github": "::error title=Ruff (F401),file=/tmp/x/run-1/live/repo/src/app.py,line=1,"
    "col=8::src/app.py:1:8: F401 `os` imported but unused\n",
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


QUOTED = {
    "eslint-unresolved": "\n/tmp/x/run-1/live/repo/src/app.js\n  1:5  error  Unable to resolve "
    "path to module './plugins/fix.mjs'  import/no-unresolved\n",
    "pylint-fixme": "src/a.py:3:0: W0511: TODO see plugins/fix.mjs (fixme)\n",
    "mypy-reveal": "src/a.py:3: note: Revealed type is \"Literal['plugins/fix.mjs']?\"\n"
    'src/a.py:4: error: Name "y" is not defined  [name-defined]\n',
    "ruff-snippet": "src/a.py:1:8: F401 [*] `os` imported but unused\n  |\n"
    "1 | import os  # plugins/fix.mjs\n  |\n",
}


@pytest.mark.parametrize("output", QUOTED.values(), ids=QUOTED.keys())
def test_a_path_the_linter_only_quotes_from_the_project_is_not_named(output: str) -> None:
    """Attack: the pull request's code holds the path of a module the linter loads (a TODO,
    an import, a string), the linter's report quotes it, and a patch to that module (which can
    set the linter's exit code) passed as a file the linter named."""
    said = unnamed_by_the_linter(["plugins/fix.mjs"], output)
    assert said.endswith("never code the linter itself loads"), said
    reported = "src/" + ("app.js" if "app.js" in output else "a.py")
    assert unnamed_by_the_linter([reported], output) == ""
