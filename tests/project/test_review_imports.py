"""What importing review's wiring loads: what a review run uses, and nothing it does not.

Each check runs in a fresh interpreter (this one has long since imported everything). The
modules are named, not timed: a figure moves with the machine's load, a module set does not.
"""

from __future__ import annotations

import ast
import subprocess
import sys

REVIEW = "cicd_agent.modes.review.mode"

NOT_FOR_REVIEW = (
    # deploy-gate's fitting (scipy only when it fits), the SDKs of other modes and the model
    "numpy", "scipy", "sklearn", "openai", "github", "tiktoken",
    # posting only: the Markdown parser and the renderer that checks what a post shows
    "markdown_it", "cmarkgfm",
    # the build's tree export
    "tarfile",
    # the validation library: review's result, findings, risk and usage are dataclasses; the
    # event file's views, a model's answers, the fork hand-off's file and the model settings
    # are validated where they are read
    "pydantic", "pydantic_core",
)  # fmt: skip


def loaded_by_review() -> list[str]:
    """Every module in ``sys.modules`` once review's wiring is imported in a fresh interpreter."""
    probe = f"import sys, {REVIEW}\nprint(sorted(sys.modules))"
    completed = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )
    return list(ast.literal_eval(completed.stdout.strip().splitlines()[-1]))


def test_review_loads_no_package_a_review_run_does_not_use() -> None:
    loaded = set(loaded_by_review())
    assert sorted(m for m in NOT_FOR_REVIEW if m in loaded) == []
