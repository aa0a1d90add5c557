"""The scripted answers research/fix/fix_funnel.py replays for each reproduced pair (its step 3).

They are built from the pair itself (the historical fix and variations of it), not by a model,
so the funnel measures the pipeline and the verifier, not a model's skill.
"""

from __future__ import annotations

import difflib
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from fix_funnel_pairs import Pair  # noqa: E402
from tests.harness.model_server import ToolCallStep  # noqa: E402
from unidiff import PatchSet  # noqa: E402

KINDS = ("oracle", "wrong-then-oracle", "partial", "stale", "test-edit", "workflow")
"""Every answer kind :func:`recorded_answers` can give, in the report's order."""

STOP = "I have no further change to propose."
WORKFLOW_EDIT = (
    "diff --git a/.github/workflows/ci.yml b/.github/workflows/ci.yml\n"
    "new file mode 100644\n"
    "--- /dev/null\n"
    "+++ b/.github/workflows/ci.yml\n"
    "@@ -0,0 +1 @@\n"
    "+on: push\n"
)


def _first_target(diff: str) -> str:
    return next(line[6:] for line in diff.splitlines() if line.startswith("+++ b/"))


def _file_diff(path: str, old: str, new: str) -> str:
    lines = difflib.unified_diff(
        old.splitlines(keepends=True), new.splitlines(keepends=True), f"a/{path}", f"b/{path}"
    )
    return "".join(lines)


def wrong_patch(pair: Pair) -> str:
    """A patch that applies and changes nothing that matters: a comment atop the fixed file."""
    path = _first_target(pair.fix_diff)
    assert pair.checkout is not None
    old = (pair.checkout / path).read_text(encoding="utf-8")
    return _file_diff(path, old, "# a change that fixes nothing\n" + old)


def partial_patch(pair: Pair) -> str:
    """The historical fix's first hunk alone ("" when the fix has only one hunk)."""
    files = PatchSet(pair.fix_diff)
    if sum(len(patched) for patched in files) < 2:
        return ""
    first = files[0]
    return f"--- {first.source_file}\n+++ {first.target_file}\n{first[0]}"


def stale_patch(pair: Pair) -> str:
    """The historical fix with its first context line changed, so it cannot apply."""
    lines = pair.fix_diff.splitlines(keepends=True)
    for index, line in enumerate(lines):
        if line.startswith(" ") and line.strip():
            lines[index] = line.rstrip("\n") + "  # stale context\n"
            return "".join(lines)
    for index, line in enumerate(lines):
        if line.startswith("-") and not line.startswith("---"):
            lines[index] = line.rstrip("\n") + "  # stale context\n"
            return "".join(lines)
    return ""


def test_edit_patch(pair: Pair) -> str:
    """The cheat: the fix's first test file marked skipped, so pytest passes without a fix."""
    path = next(path for path in pair.tests if pair.checkout and (pair.checkout / path).is_file())
    assert pair.checkout is not None
    old = (pair.checkout / path).read_text(encoding="utf-8")
    return _file_diff(path, old, "import pytest\npytestmark = pytest.mark.skip\n" + old)


def recorded_answers(pair: Pair) -> dict[str, list[list[ToolCallStep]]]:
    """Per answer kind, the scripted turns (each a list of tool calls); see the docstring."""
    oracle = pair.fix_diff
    target = _first_target(oracle)

    def propose(diff: str, summary: str) -> list[ToolCallStep]:
        return [("propose_patch", {"diff": diff, "summary": summary})]

    answers = {
        "oracle": [
            [("read_file", {"path": target})],
            [("run_failing_command", {})],
            propose(oracle, "the historical fix"),
        ],
        "wrong-then-oracle": [
            propose(wrong_patch(pair), "a comment"),
            propose(oracle, "the historical fix"),
        ],
    }
    partial, stale = partial_patch(pair), stale_patch(pair)
    if partial:  # a one-hunk fix has no partial version
        answers["partial"] = [propose(partial, "the first hunk of the fix")]
    if stale:
        answers["stale"] = [propose(stale, "the fix with stale context")]
    answers["test-edit"] = [propose(test_edit_patch(pair), "make the test pass")]
    answers["workflow"] = [propose(oracle + WORKFLOW_EDIT, "the fix and a CI tweak")]
    return answers
