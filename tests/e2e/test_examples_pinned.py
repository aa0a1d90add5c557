"""The examples pin a commit of this repository that has every mode and input they use.

A user copies ``uses: org/cicd-agent@SHA`` and runs that commit, whatever the working tree says:
each pin must be a commit of this history whose own CLI offers the mode and whose own
``action.yml`` declares the inputs. The end-to-end tests (``test_examples_e2e.py``) then run
every example against that same tree.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.harness.pinned import action_tree, is_commit, mode_help, pins, the_pin
from tests.harness.workflows import Workflow, all_examples, usage_comment

SKELETON = "e6756ef34ed677344c24ce016b8f48c670e34cdf"
"""The first commit, which the examples used to pin: a CLI with no modes at all."""


def used_modes() -> dict[str, set[str]]:
    """Mode → the inputs some example passes it (a reusable workflow's callers included)."""
    used: dict[str, set[str]] = {}
    for workflow in all_examples():
        for step in workflow.agent_steps():
            if step.mode == "${{ inputs.mode }}":
                for job in usage_comment(workflow)["jobs"].values():
                    used.setdefault(job["with"]["mode"], set()).update(step.with_)
            else:
                used.setdefault(step.mode, set()).update(step.with_)
    return used


def test_every_example_pins_the_same_commit_of_this_history() -> None:
    assert len(pins()) >= 8
    assert is_commit(the_pin())


@pytest.fixture(scope="module")
def pinned_tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return action_tree(the_pin(), tmp_path_factory.mktemp("pinned"))


@pytest.mark.parametrize("mode", sorted(used_modes()))
def test_the_pinned_tree_has_every_mode_and_input_the_examples_use(
    pinned_tree: Path, mode: str
) -> None:
    shown = mode_help(pinned_tree, mode)
    assert shown.returncode == 0, shown.stdout + shown.stderr
    assert f"usage: cicd-agent {mode}" in shown.stdout
    declared = yaml.safe_load((pinned_tree / "action.yml").read_text())["inputs"]
    assert used_modes()[mode] - {"mode"} <= set(declared), mode


def test_the_check_refuses_the_skeleton_the_examples_used_to_pin(tmp_path: Path) -> None:
    tree = action_tree(SKELETON, tmp_path)
    shown = mode_help(tree, "deploy-gate")
    assert shown.returncode != 0
    assert "invalid choice: 'deploy-gate'" in shown.stdout + shown.stderr


def test_a_pin_outside_the_history_is_refused(tmp_path: Path) -> None:
    with pytest.raises(AssertionError, match="not a commit of this repository"):
        action_tree("0123456789" * 4, tmp_path)


def test_every_workflow_has_at_least_one_pinned_step() -> None:
    for workflow in all_examples():
        assert workflow.agent_steps(), workflow.path.name
    assert isinstance(Workflow.load("reusable.yml"), Workflow)
