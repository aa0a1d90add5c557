"""What importing review's wiring loads: what a review run uses, and nothing it does not.

Each check runs in a fresh interpreter (this one has long since imported everything). The
modules are named, not timed: a figure moves with the machine's load, a module set does not.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import cicd_agent

REVIEW = "cicd_agent.modes.review.mode"

NOT_FOR_REVIEW = (
    # deploy-gate's fitting (scipy only when it fits), the SDKs of other modes and the model
    "numpy", "scipy", "sklearn", "openai", "github", "tiktoken",
    # posting only: the Markdown parser and the renderer that checks what a post shows
    "markdown_it", "cmarkgfm",
    # the build's tree export
    "tarfile",
)  # fmt: skip

PYDANTIC_MODELS_ON_THE_PATH = {
    "cicd_agent.analysis.finding",
    "cicd_agent.job.context",
    "cicd_agent.job.events",
    "cicd_agent.job.pipeline",
    "cicd_agent.model.pricing",
    "cicd_agent.model.usage",
    "cicd_agent.modes.review.result",
    "cicd_agent.risk.assessment",
    "cicd_agent.risk.score",
}
"""The modules on review's import path that import pydantic when loaded. pydantic is about
half of the import's CPU, so this set may only shrink: a module whose models hold our own data
becomes plain dataclasses, one that validates outside input (a config file, a model's answer,
an event) is loaded where that input is read. Remove a module here once it is off the path."""


def loaded_by_review() -> list[str]:
    """Every module in ``sys.modules`` once review's wiring is imported in a fresh interpreter."""
    probe = f"import sys, {REVIEW}\nprint(sorted(sys.modules))"
    completed = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )
    return list(ast.literal_eval(completed.stdout.strip().splitlines()[-1]))


def imports_pydantic_when_loaded(module: str) -> bool:
    """Whether ``module``'s top level imports pydantic (an import under ``if TYPE_CHECKING``
    or in a function is not run on import)."""
    path = Path(cicd_agent.__file__).parent.joinpath(*module.split(".")[1:])
    source = path / "__init__.py" if path.is_dir() else path.with_suffix(".py")
    for node in ast.parse(source.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0].startswith(
            "pydantic"
        ):
            return True
        if isinstance(node, ast.Import) and any(
            alias.name.split(".")[0].startswith("pydantic") for alias in node.names
        ):
            return True
    return False


def test_review_loads_no_package_a_review_run_does_not_use() -> None:
    loaded = set(loaded_by_review())
    assert sorted(m for m in NOT_FOR_REVIEW if m in loaded) == []


def test_the_modules_bringing_pydantic_onto_reviews_path_only_shrink() -> None:
    ours = [m for m in loaded_by_review() if m.startswith("cicd_agent.")]
    bringing = {m for m in ours if imports_pydantic_when_loaded(m)}
    assert bringing == PYDANTIC_MODELS_ON_THE_PATH, (
        f"new on the path: {sorted(bringing - PYDANTIC_MODELS_ON_THE_PATH)}; "
        f"gone from it (remove them here): {sorted(PYDANTIC_MODELS_ON_THE_PATH - bringing)}"
    )


def test_the_probe_sees_a_top_level_pydantic_import_and_no_other() -> None:
    # The check above is only as good as this reading: the models' module imports pydantic
    # when loaded; the Actions errors import its ValidationError for mypy only.
    assert imports_pydantic_when_loaded("cicd_agent.analysis.finding")
    assert not imports_pydantic_when_loaded("cicd_agent.actions.errors")
