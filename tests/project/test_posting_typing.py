"""Posting is typed: mypy --strict rejects a plain ``str`` at every poster (GitHub, the job
summary, Slack), including text that was neutralised and then flattened, stripped or cut
(issue 42)."""

from __future__ import annotations

import ast
import os
import re
import sys
from pathlib import Path

import pytest
from mypy import api

from tests.harness.payloads import REPO_ROOT

SRC = REPO_ROOT / "src"

MODULE = """
from __future__ import annotations

from cicd_agent.github.checks import publish_check_run
from cicd_agent.github.client import GitHubClient
from cicd_agent.github.comments import upsert_issue_comment, upsert_thread_reply
from cicd_agent.github.models import ReviewComment
from cicd_agent.github.pulls import create_draft_pull, create_review
from cicd_agent.modes.review.describe import write_to_body
from cicd_agent.notify import post_message, slack_text
from cicd_agent.runner.markdown import neutralise, posted
from cicd_agent.runner.runner_io import RunnerIO


def post(client: GitHubClient, runner: RunnerIO, model_text: str) -> None:
    text = TEXT
    create_review(client, 1, body=text, comments=[ReviewComment("a.py", 1, text)])
    publish_check_run(client, name="n", head_sha="0" * 40, title=text, summary=text,
                      conclusion="success", text=text)
    upsert_issue_comment(client, 1, "key", text)
    upsert_thread_reply(client, 1, 2, "key", text)
    write_to_body(client, 1, text, [])
    create_draft_pull(client, base="main", head="fix", title=text, body=text)
    runner.write_summary(text)
    post_message("https://hooks.example/x", SLACK)
    # the client's methods, which the modes call
    client.post_review(1, body=text, event="COMMENT", comments=[ReviewComment("a.py", 1, text)],
                       commit_sha="0" * 40)
    client.publish_check_run(name="n", head_sha="0" * 40, title=text, summary=text,
                             conclusion="success", annotations=[])
    client.upsert_issue_comment(1, "key", text)
"""
POSTERS = 17
"""Texts handed to a poster in ``MODULE``: each is one error when the text is not neutral."""


def _mypy(tmp_path: Path, texts: dict[str, tuple[str, str]]) -> str:
    """Check one module per ``texts`` entry in a single mypy run (the package is analysed once)."""
    modules = []
    for name, (text, slack) in texts.items():
        module = tmp_path / f"{name}.py"
        module.write_text(MODULE.replace("TEXT", text).replace("SLACK", slack))
        modules.append(str(module))
    os.environ["MYPYPATH"] = str(SRC)
    limit = sys.getrecursionlimit()  # mypy raises it for the whole process: later tests need ours
    try:
        out, err, _ = api.run(["--strict", "--no-incremental", "--follow-imports=silent", *modules])
    finally:
        del os.environ["MYPYPATH"]
        sys.setrecursionlimit(limit)
    return out + err


@pytest.mark.slow
def test_only_neutral_text_reaches_a_poster(tmp_path: Path) -> None:
    texts = {
        "neutral": ("posted(model_text)", "slack_text(model_text)"),
        "raw": ("model_text", "model_text"),
        "flattened": ('" ".join(neutralise(model_text).split())', "slack_text(model_text).strip()"),
        "stripped": ("neutralise(model_text).strip()", "slack_text(model_text).strip()"),
        "cut": ("posted(model_text)[:100]", "slack_text(model_text)[:100]"),
    }
    report = _mypy(tmp_path, texts)
    errors = [line for line in report.splitlines() if ": error:" in line]
    for name in texts:
        found = [line for line in errors if line.startswith(str(tmp_path / f"{name}.py"))]
        assert len(found) == (0 if name == "neutral" else POSTERS), (name, report)
    assert all(re.search('expected "(Neutral|SlackText)', line) for line in errors), report


# PyGithub's calls that post text GitHub renders as Markdown (a body, a title, a summary).
_PYGITHUB_POSTS = frozenset(
    {"create_pull", "create_issue", "create_comment", "create_issue_comment", "create_review",
     "create_review_comment", "create_check_run", "edit"}
)  # fmt: skip


def test_every_pygithub_post_goes_through_the_typed_facade() -> None:
    """Found by a red team: analyse-failure's fix opened its draft pull request with
    ``repo.create_pull(body=str)`` in the mode, past every typed poster. PyGithub's posting
    calls are made only in ``cicd_agent.github``, whose functions take :class:`Neutral` text."""
    facade = SRC / "cicd_agent" / "github"
    outside = [
        f"{path.relative_to(SRC)}:{node.lineno} {node.func.attr}"
        for path in sorted((SRC / "cicd_agent").rglob("*.py"))
        if facade not in path.parents
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in _PYGITHUB_POSTS
    ]
    assert outside == []
