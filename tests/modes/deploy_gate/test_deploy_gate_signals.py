"""deploy-gate's signals from the run's environment: the running workflow's file, read from
``GITHUB_WORKFLOW_REF`` (``modes/deploy_gate/collect.py``), so its own earlier runs are the ones
whose conclusions count."""

from __future__ import annotations

import pytest

from cicd_agent.modes.deploy_gate.collect import workflow_from_env


@pytest.mark.parametrize(
    ("ref", "workflow"),
    [
        ("octo/app/.github/workflows/deploy.yml@refs/heads/main", "deploy.yml"),
        ("octo/app/.github/workflows/release.yaml@refs/tags/v1.2.0", "release.yaml"),
        ("octo/app/.github/workflows/ci.yml", "ci.yml"),
        ("", None),
        ("@refs/heads/main", None),
    ],
)
def test_the_workflow_file_is_the_refs_last_path_part(ref: str, workflow: str | None) -> None:
    assert workflow_from_env({"GITHUB_WORKFLOW_REF": ref}) == workflow


def test_outside_actions_there_is_no_workflow() -> None:
    assert workflow_from_env({}) is None
