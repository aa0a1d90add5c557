"""A sandbox opened for a run knows what the run knows: a secret the run was given by a flag,
never in the job's environment under a secret's name, is still kept from every run."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from cicd_agent.analysis.redact import Redactor
from cicd_agent.runners.sandboxes import isolation_of, opened
from cicd_agent.sandbox import Sandbox, find_bwrap, probe_isolation

SECRET = "flag-given-9f3a1c7e5b"


@dataclass(frozen=True)
class GivenByFlag:
    environ: Mapping[str, str]

    @property
    def redactor(self) -> Redactor:
        return Redactor([SECRET])  # the run's, as a --model-api-key flag gives it


def test_a_secret_the_run_holds_reaches_no_run_of_its_sandbox(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text("x = 1\n")
    run = GivenByFlag({"PATH": "/usr/bin:/bin", "DEPLOY_NOTE": f"key={SECRET}", "KEPT": "plain"})
    with opened(run, tmp_path, Sandbox) as sandbox:
        environment = sandbox.environment(sandbox.workspace("check"))
    assert "DEPLOY_NOTE" not in environment and environment["KEPT"] == "plain"


def test_the_isolation_is_the_runners_own(tmp_path: Path) -> None:
    run = GivenByFlag({"PATH": str(tmp_path)})  # no bwrap on this PATH
    assert isolation_of(run) == probe_isolation(find_bwrap(run.environ))
    assert not isolation_of(run).sandboxed
