"""gen-tests' sandbox lives exactly as long as the run: decide leaves it alone (it is pure),
publish still has it, and the copies are deleted when the run ends."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

from cicd_agent.modes.gen_tests import mode
from cicd_agent.modes.gen_tests.result import GenTestsResult
from tests.fixtures.gentests_project.build import make_repo
from tests.helpers.gen_tests import run_gen_tests

PREFIX = "cicd-agent-gentests-"


@pytest.fixture
def scratch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The system temp folder, for this test alone: the sandbox's copies land here."""
    folder = tmp_path / "system-temp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


def _argv(tmp_path: Path) -> list[str]:
    repo = tmp_path / "shop"
    base, head = make_repo(repo)
    return ["--repo", str(repo), "--base", base, "--head", head, "--provider", "none"]


def test_the_sandbox_outlives_decide_and_is_gone_after_the_run(
    tmp_path: Path, scratch: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen_at_publish: list[list[Path]] = []
    publish = mode.publish

    def watching(ctx: object, facts: object, verdict: object, result: GenTestsResult) -> None:
        seen_at_publish.append([p for p in scratch.glob(f"{PREFIX}*") if (p / "pristine").is_dir()])
        publish(ctx, facts, verdict, result)  # type: ignore[arg-type]

    monkeypatch.setattr(mode, "publish", watching)  # where the wiring calls it
    code, document, _, stderr = run_gen_tests(_argv(tmp_path), tmp_path)
    assert code == 0, stderr
    assert document["segments"], "the run must have measured something in the sandbox"
    assert len(seen_at_publish) == 1 and len(seen_at_publish[0]) == 1
    assert not list(scratch.glob(f"{PREFIX}*"))
