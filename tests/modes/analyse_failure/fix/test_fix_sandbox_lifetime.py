"""The fix step's sandbox, attacked for outliving its step: every copy of the pull request's
code it made is gone before decide and publish run (they read verdicts as data, and nothing a
later step does may reach a copy the checkout's code ran in). Real bubblewrap, through the
CLI."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import pytest

from cicd_agent.modes.analyse_failure import mode
from cicd_agent.sandbox.run import Sandbox
from tests.helpers.fix_projects import LINT
from tests.helpers.sandbox import needs_sandbox
from tests.modes.analyse_failure.test_analyse_failure_fix import _run


@needs_sandbox
def test_attack_no_sandbox_copy_is_left_when_decide_and_publish_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """ATTACK: a verified fix's sandbox kept open past the check step (as it was when it lived
    as long as the run) leaves the checkout's copies on disk while publish writes the patch
    and the comment. Each sandbox is kept as it is made (held, as the run's resources held it,
    so no collection of the object cleans it up); when decide runs, no folder of one is
    left."""
    made: list[Sandbox] = []
    left: list[list[Path]] = []
    prepare, decide = Sandbox.prepare, mode.decide

    def recorded(self: Sandbox) -> None:
        made.append(self)
        prepare(self)

    def deciding(*args: Any, **kwargs: Any) -> Any:
        left.append([sandbox.root for sandbox in made if sandbox.root.exists()])
        return decide(*args, **kwargs)

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # the copies' folders: this test's
    monkeypatch.setattr(Sandbox, "prepare", recorded)
    monkeypatch.setattr(mode, "decide", deciding)
    code, outputs, summary, _ = _run(tmp_path, LINT, "--fix", "suggest")
    assert code == 0 and outputs["fix_status"] == "verified", summary
    assert made, "the fix step made no sandbox"
    assert left == [[]], left
    assert not list(tmp_path.glob(f"{Sandbox.temp_prefix}*"))
