"""The lines a patch changed, read from the checkout's file before and after it: the file is
the pull request's, so no shape of it may stall the reading (it runs in our process, outside
any run's time limit), and a reading cut short may only guard more lines, never fewer."""

from __future__ import annotations

import sys

from cicd_agent.runners.patched_lines import changed_lines
from tests.helpers.bounded import run_bounded

_REPEATED = """
from cicd_agent.runners.patched_lines import changed_lines, function_lines
before = "def f():\\n" + "    x = 1\\n" * 200_000
after = "def f():\\n    x = 2\\n" + "    x = 1\\n" * 199_998 + "    x = 3\\n"
print(len(changed_lines(before, after)), len(function_lines(before, after)))
"""


def test_attack_a_file_of_one_line_repeated_does_not_stall_the_patched_lines() -> None:
    """A function of 200,000 equal lines, a patch changing its first and last: the line diff
    compared every line with every other (8,000 lines took 6 s of CPU at load 5; 200,000
    would take over an hour), in the fix step's and review's proof and build's lint."""
    done = run_bounded([sys.executable, "-c", _REPEATED])
    assert done.returncode == 0, done.stderr[-2000:]
    changed, in_functions = map(int, done.stdout.split())
    assert changed >= 2 and in_functions >= 2  # at least the two lines the patch wrote


def test_the_lines_a_patch_changed_are_those_it_wrote() -> None:
    before = "a\nb\nc\nd\n"
    assert changed_lines(before, "a\nB\nc\nd\n") == [2]
    assert changed_lines(before, "a\nb\nx\nc\nd\n") == [3]
    assert changed_lines(before, "a\nd\n") == [1, 2]  # removed: the lines either side
    assert changed_lines(before, before) == []
