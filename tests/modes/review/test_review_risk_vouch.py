"""A model cannot vouch for risk: with the stand-in model approving everything and
finding nothing, a change the deterministic review rates high is not approved; the same model on
a low-risk change is, so the test can tell the two apart."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.git_builder import GitRepoBuilder
from tests.helpers.review import REVIEWS, answer, pull_request_event, run_review

MIGRATION = (
    "ALTER TABLE accounts ADD COLUMN last_seen timestamp;\n"
    "UPDATE accounts SET last_seen = created;\n"
)


def _review(tmp_path: Path, github_api: Any, model_server: Any, files: dict[str, str]) -> Any:
    repo = GitRepoBuilder(tmp_path / "repo")
    base = repo.commit("base", {"src/app.py": "def main():\n    return 0\n"})
    head = repo.commit("change", files)
    model_server.answer_with(lambda request: answer(verdict="approve"), times=None)
    return run_review(
        tmp_path, github_api, model_server, repo, pull_request_event(tmp_path, base, head)
    )


def test_an_approving_model_does_not_approve_a_high_risk_change(
    tmp_path: Path, github_api: Any, model_server: Any
) -> None:
    code, outputs, summary, _ = _review(
        tmp_path, github_api, model_server, {"migrations/0002_last_seen.sql": MIGRATION}
    )

    assert code == 0, summary
    assert outputs["risk_level"] in {"high", "critical"}, summary
    assert outputs["findings_count"] == "0", summary
    assert outputs["decision"] == "comment", summary
    [review] = github_api.proxy.calls("POST", REVIEWS)
    assert review.json()["event"] == "COMMENT"


def test_the_same_model_approves_a_low_risk_change(
    tmp_path: Path, github_api: Any, model_server: Any
) -> None:
    code, outputs, summary, _ = _review(
        tmp_path, github_api, model_server, {"src/app.py": "def main():\n    return 1\n"}
    )

    assert code == 0, summary
    assert outputs["risk_level"] in {"low", "medium"}, summary
    assert outputs["decision"] == "approve", summary
    [review] = github_api.proxy.calls("POST", REVIEWS)
    assert review.json()["event"] == "APPROVE"
