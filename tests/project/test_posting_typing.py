"""Posting is typed: mypy --strict rejects a plain ``str`` at every poster (GitHub, the job
summary, Slack), including text that was neutralised and then flattened, stripped or cut
(issue 42)."""

from __future__ import annotations

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
from cicd_agent.github.pulls import create_review
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
    runner.write_summary(text)
    post_message("https://hooks.example/x", SLACK)
"""
POSTERS = 10
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
