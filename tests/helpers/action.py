"""The end-to-end modules' shared action runner."""

from __future__ import annotations

import pytest

from tests.harness.action_runner import ActionRunner


def shared_runner(tmp_path_factory: pytest.TempPathFactory) -> ActionRunner:
    """The session's runner: one ``RUNNER_TEMP`` for every end-to-end module, so the action's
    install steps (a venv and a pip install, about a minute) run once and are replayed after."""
    return ActionRunner(tmp_path_factory.getbasetemp() / "runner-temp")
