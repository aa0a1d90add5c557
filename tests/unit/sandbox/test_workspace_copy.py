"""What the sandbox's copy of a checkout leaves out (found by the third red team): a
credential file an earlier step of the job wrote into the workspace is not the pull
request's to read."""

from __future__ import annotations

from pathlib import Path

from cicd_agent.sandbox.workspace import copy_repository


def test_a_cloud_credential_file_left_in_the_workspace_is_not_copied(tmp_path: Path) -> None:
    source = tmp_path / "checkout"
    (source / "src").mkdir(parents=True)
    (source / "src" / "app.py").write_text("X = 1\n")
    (source / "gha-creds-1a2b3c4d5e6f.json").write_text('{"type": "external_account"}\n')
    target = tmp_path / "copy"
    copy_repository(source, target)
    assert (target / "src" / "app.py").is_file()
    assert not (target / "gha-creds-1a2b3c4d5e6f.json").exists()
