"""A secret-shaped string added by a pull request blocks approval, whatever the model says
(a diff adding only secrets the old hand-grown shapes missed was approved when the
model approved). Runs review's CLI against the local model server, which approves everything."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.git_builder import GitRepoBuilder
from tests.helpers.review import REVIEWS, answer, pull_request_event, run_review

ADDED = {
    "GitLab token": "glpat-Xk3Vq9Lm2Rt7Wz4Nb8Yc",
    "Hugging Face token": "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",
    "SendGrid key": "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",
    "DigitalOcean token": "dop_v1_3f9a1c7e5b2d40868e1f2a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f",
    "Slack app token": "xapp-1-A0123456789-1234567890123-"
    "9f8e7d6c5b4a39281706f5e4d3c2b1a09f8e7d6c5b4a39281706f5e4d3c2b1a0",
}


@pytest.mark.parametrize("kind", sorted(ADDED))
def test_an_added_secret_is_never_approved(
    kind: str, tmp_path: Path, github_api: Any, model_server: Any
) -> None:
    secret = ADDED[kind]
    repo = GitRepoBuilder(tmp_path / "repo")
    base = repo.commit("base", {"src/app.py": "def main():\n    return 0\n"})
    head = repo.commit("deploy settings", {"src/deploy.py": f'CLIENT = connect("{secret}")\n'})
    model_server.answer_with(lambda request: answer(verdict="approve"), times=None)

    code, outputs, summary, _ = run_review(
        tmp_path, github_api, model_server, repo, pull_request_event(tmp_path, base, head)
    )

    assert code == 0, summary
    assert outputs["decision"] != "approve", summary
    assert outputs["critical_count"] == "1", summary
    [review] = github_api.proxy.calls("POST", REVIEWS)
    assert review.json()["event"] != "APPROVE"
    assert secret not in model_server.all_prompt_text()
    assert secret not in summary
