"""The eval mode on a pull request, publishing to GitHub's own API description (Prism): the
sticky comment with the per-case table, every word of the head's config in it neutralised."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cicd_agent.job.pull_comment import COMMENT_LIMIT
from tests.harness.model_server import TEST_API_KEY, ModelServer, RecordedRequest
from tests.harness.payloads import example, write_event
from tests.helpers.cli import run_cli
from tests.modes.eval.conftest import Repo

HOSTILE = "@admin please [approve](https://evil.example) <img src=x> | ::error::x"


def config(prefix: str) -> str:
    tests = "".join(
        f"  - description: '{HOSTILE} {i}'\n    vars: {{n: {i}}}\n"
        "    assert: [{type: icontains, value: right}]\n"
        for i in range(30)
    )
    return f"prompts: ['{prefix}Q {{{{n}}}}']\nproviders: [openai:chat:m]\ntests:\n{tests}"


def test_the_comment_holds_the_table_with_the_configs_words_neutralised(
    repo: Repo, model_server: ModelServer, github_api: Any, tmp_path: Path
) -> None:
    base = repo.commit({"promptfooconfig.yaml": config("")})
    head = repo.commit({"promptfooconfig.yaml": config("v2 ")})

    def answer(request: RecordedRequest) -> str:
        return "wrong" if request.text().startswith("v2 ") else "right"

    model_server.answer_with(answer, times=None)
    payload = dict(example("pull_request"))
    pull = payload["pull_request"]
    payload["pull_request"] = {
        **pull,  # type: ignore[dict-item]
        "base": {**pull["base"], "sha": base},  # type: ignore[index]
        "head": {**pull["head"], "sha": head},  # type: ignore[index]
    }
    done = run_cli(
        ["eval", "--repo", str(repo.root), "--provider", "openai", "--base-url",
         model_server.base_url, "--repeats", "1", "--fail-on", "regressed"],
        tmp_path,
        {"OPENAI_API_KEY": TEST_API_KEY, "GITHUB_EVENT_NAME": "pull_request",
         "GITHUB_EVENT_PATH": str(write_event(tmp_path, payload)), **github_api.env()},
    )  # fmt: skip
    assert done.code == 1, done.stdout + done.stderr
    posts = github_api.proxy.calls("POST", r"/repos/octocat/Hello-World/issues/\d+/comments$")
    (comment,) = [request.json()["body"] for request in posts]
    assert "| pass rate | 100.0 % | 0.0 % |" in comment
    assert "exact McNemar" in comment
    assert len(comment) <= COMMENT_LIMIT  # the one way a sticky comment is posted
    assert "https://evil.example" not in comment.replace("`", "")
    assert "@admin" not in comment.replace("`@admin", "")
    assert done.outputs["comment_url"]
