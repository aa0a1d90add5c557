"""``ask``'s prompt and the schema of the model's answer.

The question, the pull request's text, the thread's finding and the diff are all fenced as
untrusted data (a maintainer's question can quote attacker text, and a reply in a thread is
the reply's own text). The diff gets what is left of the budget after everything else.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from string import Template

from pydantic import BaseModel, ConfigDict, Field

from cicd_agent.analysis.diff import Diff
from cicd_agent.analysis.finding import Finding
from cicd_agent.analysis.packing import pack
from cicd_agent.model.prompts import UNTRUSTED_RULES, Count, Truncate, fence, template

ASK_TOKENS = 24_000
"""Prompt tokens for one answer at most: a question needs the diff, not a whole-repo read."""
PR_TEXT_TOKENS = 1_000
THREAD_TOKENS = 800
FINDINGS_SHOWN = 15
SAFETY_MARGIN = 300


class AskAnswer(BaseModel):
    """What the model answers a question with."""

    model_config = ConfigDict(extra="forbid", defer_build=True)

    answer: str = Field(description="The answer, GitHub Markdown, a few sentences.")
    grounded: bool = Field(description="False when the material shown does not answer it.")


def build_ask(
    *,
    question: str,
    thread: str,
    title: str,
    body: str,
    risk: str,
    findings: Sequence[Finding],
    diff: Diff,
    head: str,
    count: Count,
    truncate: Truncate,
    budget: int,
    redact: Callable[[str], str],
) -> tuple[str, str, bool]:
    """System and user prompts, and whether the whole diff fit."""
    system = Template(template("command_ask_system")).substitute(untrusted_rules=UNTRUSTED_RULES)
    listed = [f.prompt_line for f in findings[:FINDINGS_SHOWN]] or ["(none)"]
    fields = {
        "question": fence("question", redact(question)),
        "thread": fence("review comment", truncate(redact(thread), THREAD_TOKENS))
        if thread
        else "(none)",
        "pull_request": fence(
            "pull request", truncate(redact(f"{title}\n\n{body}".strip()), PR_TEXT_TOKENS)
        ),
        "risk": risk,
        "findings": fence("findings", redact("\n".join(listed))),
        "head": head[:12],
    }
    schema = json.dumps(AskAnswer.model_json_schema())
    fixed = count(system) + count(
        Template(template("command_ask_user")).substitute(fields, diff="")
    )
    room = min(budget, ASK_TOKENS) - fixed - count(schema) - SAFETY_MARGIN
    packing = pack(diff, count=count, budget=room, max_calls=1, prepare=redact)
    text = packing.diff_text(0, count) if packing.parts else "(no text change fits)"
    user = Template(template("command_ask_user")).substitute(fields, diff=fence("diff", text))
    return system, user, packing.complete
