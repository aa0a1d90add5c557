"""Review's prompts: the templates filled with fenced, redacted pull-request text (the schemas
the model answers in are :mod:`.answer`'s).

Everything the pull request's author wrote (title, body, commit messages, the diff itself) is
redacted and fenced as untrusted data. The parts that do not change between calls (system
prompt, title, body, commits, risk, known findings) are counted once; what is left of a call's
budget is the diff's share, which :func:`cicd_agent.analysis.packing.pack` fills. The ask
step sends the packed parts, one call each.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from string import Template
from typing import TYPE_CHECKING

from cicd_agent.analysis.finding import Finding
from cicd_agent.analysis.packing import Packing, pack
from cicd_agent.model.prompts import UNTRUSTED_RULES, Truncate, fence, template
from cicd_agent.modes.review.types import ReviewFacts

if TYPE_CHECKING:
    from cicd_agent.model.tokens import TokenCounter

REVIEW_CALL_TOKENS = 48_000
"""Prompt tokens per review call at most, whatever the model's window: review quality drops
and cost rises on huge prompts; a bigger pull request is split across calls instead."""
PR_TEXT_TOKENS = 1_500
"""Tokens of title and description kept (long templates and pasted logs are cut)."""
COMMIT_TOKENS = 800
"""Tokens of commit messages kept."""
GUIDANCE_TOKENS = 1_500
"""Tokens of the repository's guidance kept (AGENTS.md and path instructions)."""
KNOWN_FINDINGS = 20
"""Deterministic findings listed for the model so it does not repeat them."""
SAFETY_MARGIN = 200
"""Tokens kept free for the chat framing and the counts' small errors."""


@dataclass(frozen=True)
class ReviewPrompt:
    """The fixed parts of every call; :meth:`user` adds one call's diff."""

    system: str
    fields: dict[str, str]

    def user(self, diff_section: str, part: int = 0, parts: int = 1) -> str:
        label = f" (part {part + 1} of {parts}: other files are reviewed in other calls)"
        return Template(template("review_user")).substitute(
            self.fields,
            part=label if parts > 1 else "",
            diff=fence("diff", diff_section),
        )


def pull_fields(
    facts: ReviewFacts, redact: Callable[[str], str], truncate: Truncate
) -> dict[str, str]:
    """The pull request's own words, redacted, cut and fenced as untrusted data: its title and
    description, and its commit messages (the review's prompt and the description's)."""
    text = truncate(
        redact(f"{facts.title.strip()}\n\n{facts.body.strip()}".strip()), PR_TEXT_TOKENS
    )
    history = truncate(redact("\n---\n".join(m.strip() for m in facts.commits)), COMMIT_TOKENS)
    return {
        "pull_request": fence("pull request", text or "(no title or description)"),
        "commits": fence("commit messages", history or "(none)"),
    }


def prepare_calls(
    facts: ReviewFacts,
    findings: list[Finding],
    *,
    counter: TokenCounter,
    call_budget: int,
    max_calls: int,
    redact: Callable[[str], str],
) -> tuple[ReviewPrompt, Packing, list[str]]:
    """The prompt (the system prompt and the fixed fields of the user prompt), the packing and
    each call's user message (what the ask step sends; the token benchmark measures
    exactly this)."""
    listed = [f.prompt_line for f in findings[:KNOWN_FINDINGS]]
    if len(findings) > KNOWN_FINDINGS:
        listed.append(f"- … and {len(findings) - KNOWN_FINDINGS} more")
    guidance = counter.truncate(redact(facts.guidance), GUIDANCE_TOKENS)
    prompt = ReviewPrompt(
        system=Template(template("review_system")).substitute(untrusted_rules=UNTRUSTED_RULES),
        fields={
            "risk": (
                f"{facts.risk_level} ({'; '.join(facts.risk_reasons[:3]) or 'no notable signal'})"
            ),
            "known_findings": fence("automated findings", "\n".join(listed) or "- none"),
            **pull_fields(facts, redact, counter.truncate),
            "guidance": fence("repository guidance", guidance or "(none)"),
        },
    )
    # The answer's schema is a pydantic model: loaded only when a model is asked.
    from cicd_agent.modes.review.answer import ReviewAnswer

    # what is left of a call for its diff once everything else is counted
    schema = json.dumps(ReviewAnswer.model_json_schema())
    fixed = sum(map(counter.count, (prompt.system, prompt.user("", 98, 99), schema)))
    packing = pack(
        facts.review_diff,
        count=counter.count,
        budget=min(call_budget, REVIEW_CALL_TOKENS) - fixed - SAFETY_MARGIN,
        max_calls=max_calls,
        read_sources=facts.sources.texts if facts.sources is not None else None,
        prepare=redact,
    )
    total = len(packing.parts)
    users = [prompt.user(packing.diff_text(i, counter.count), i, total) for i in range(total)]
    return prompt, packing, users
