"""The risk service review and deploy-gate share: a full clone is never deepened, a change is
scored from the repository's history, and a GitHub that cannot say who opened the pull request
is a note on the run, git's author text then counting only to raise."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from cicd_agent.actions.errors import ExternalServiceError
from cicd_agent.actions.progress import Progress
from cicd_agent.local.change_set import read_change_set
from cicd_agent.local.checkout import GitCheckout
from cicd_agent.risk.service import change_risk, deepen
from tests.git_builder import GitRepoBuilder


class Unavailable:
    """A GitHub that cannot say who opened the pull request."""

    def author_of_change(self, sha: str, base: str) -> tuple[str, tuple[str, ...]] | None:
        raise ExternalServiceError("GitHub answered 502")


@dataclass
class Run:
    checkout: GitCheckout
    environ: Mapping[str, str] = field(default_factory=dict)
    github: Unavailable | None = None
    server_url: str = "https://github.com"
    repository: str | None = "octo/app"
    github_token: str | None = None
    progress: Progress = field(default_factory=lambda: Progress(None))
    notes: list[str] = field(default_factory=list)

    def note(self, text: str) -> None:
        self.notes.append(text)


def test_a_change_is_scored_and_an_author_github_cannot_name_is_a_note(tmp_path: Path) -> None:
    builder = GitRepoBuilder(tmp_path / "app")
    base = builder.commit("base", {"app.py": "def f():\n    return 1\n"})
    head = builder.commit("grow", {"app.py": "".join(f"def f{i}():\n    return {i}\n" for i in range(80))})
    run = Run(GitCheckout(builder.path), {"CICD_AGENT_CACHE_DIR": str(tmp_path / "cache")},
              Unavailable())
    assert deepen(run, [base, head], now=0) is False  # a full clone: nothing to fetch
    change = read_change_set(run.checkout.git, head, base)
    scored = change_risk(run, change, deepened=False, now=2_000_000_000)
    assert scored.risk_level.value in ("low", "medium", "high", "critical")
    assert scored.reasons and any("lines" in r.message or "line" in r.message for r in scored.reasons)
    assert run.notes[0].startswith("Pull request author unavailable, so git's author text is used")
    assert (tmp_path / "cache").is_dir()  # the run's own cache folder, read from its environment
