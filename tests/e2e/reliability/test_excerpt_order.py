"""The failure excerpt shows log lines as they are, in log order.

A reader searches the log for an excerpt's lines, and a model reads the lines after an error as
what followed it. Found while checking that secrets cut by line limits are not half-shown: for an
error far from the end of its step (so its lines are not in the step's tail), the lines "after"
it were read from the wrong place, because the error line's end was overwritten while reading the
lines before it; the excerpt then repeated the error line and lost what followed.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

from cicd_agent.cli import main

STAMP = "2024-05-14T09:12:02.0000000Z "
ERROR = "src/parser.c:42:13: error: 'tokens' undeclared (first use in this function)"
AFTER = ["   42 |     return tokens[index];", "      |            ^~~~~~"]


def build_log(path: Path) -> list[str]:
    """A make step whose compiler error is followed by 3,000 lines before the step fails."""
    lines = ["##[group]Run make", "make all", "##[endgroup]"]
    lines += [f"compiling unit_{n}.c" for n in range(50)]
    lines += [ERROR, *AFTER, "src/parser.c:42:13: note: each undeclared identifier is reported"]
    lines += [f"linking step {n} of 3000 ok" for n in range(3000)]
    lines += [
        "make: *** [Makefile:12: all] Error 1",
        "##[error]Process completed with exit code 2.",
    ]
    path.write_text("".join(f"{STAMP}{line}\n" for line in lines))
    return lines


def test_lines_after_an_error_are_the_ones_that_followed_it(tmp_path: Path) -> None:
    log = build_log(tmp_path / "build.txt")
    stdout = io.StringIO()
    argv = [
        "analyse-failure",
        "--provider",
        "none",
        "--logs",
        str(tmp_path / "build.txt"),
        "--json",
    ]
    assert main(argv, environ={}, stdout=stdout, stderr=io.StringIO()) == 0
    excerpt = json.loads(stdout.getvalue())["excerpt"]
    shown = [
        line
        for line in excerpt.split("=== job: build", 1)[1].splitlines()[1:]
        if line.strip() and not line.startswith("[... ")
    ]
    assert shown[shown.index(ERROR) + 1 : shown.index(ERROR) + 3] == AFTER
    assert shown.count(ERROR) == 1
    positions = [log.index(line) for line in shown]
    assert positions == sorted(positions), "the excerpt is not in log order"
