"""Review's prompts: the templates filled with fenced, redacted pull-request text.

Everything the pull request's author wrote (title, body, commit messages, the diff itself) is
redacted and fenced as untrusted data. The parts that do not change between calls (system
prompt, title, body, commits, risk, known findings) are counted once; what is left of a call's
budget is the diff's share, which :func:`cicd_agent.analysis.packing.pack` fills.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from string import Template

from cicd_agent.analysis.file_names import escaped
from cicd_agent.analysis.findings import Finding
from cicd_agent.modes.review.decide import ReviewAnswer
from cicd_agent.prompts import UNTRUSTED_RULES, Count, Truncate, fence, template

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

    def diff_budget(self, count: Count, call_budget: int) -> int:
        """Tokens left for the diff of one call once everything else is counted."""
        schema = json.dumps(ReviewAnswer.model_json_schema())
        fixed = count(self.system) + count(self.user("", 98, 99)) + count(schema)
        return min(call_budget, REVIEW_CALL_TOKENS) - fixed - SAFETY_MARGIN


def build_prompt(
    *,
    title: str,
    body: str,
    commits: Sequence[str],
    risk: str,
    known: Sequence[Finding],
    redact: Callable[[str], str],
    truncate: Truncate,
    guidance: str = "",
) -> ReviewPrompt:
    """The system prompt and the fixed fields of the user prompt."""
    system = Template(template("review_system")).substitute(untrusted_rules=UNTRUSTED_RULES)
    pull_request = truncate(redact(f"{title.strip()}\n\n{body.strip()}".strip()), PR_TEXT_TOKENS)
    history = truncate(redact("\n---\n".join(m.strip() for m in commits)), COMMIT_TOKENS)
    listed = [
        f"- {f.severity.label} {f.rule} at {escaped(f.path)}{':' + str(f.line) if f.line else ''}: {f.title}"
        for f in known[:KNOWN_FINDINGS]
    ]
    if len(known) > KNOWN_FINDINGS:
        listed.append(f"- … and {len(known) - KNOWN_FINDINGS} more")
    return ReviewPrompt(
        system=system,
        fields={
            "risk": risk,
            "known_findings": fence("automated findings", "\n".join(listed) or "- none"),
            "pull_request": fence("pull request", pull_request or "(no title or description)"),
            "commits": fence("commit messages", history or "(none)"),
            "guidance": fence(
                "repository guidance", truncate(redact(guidance), GUIDANCE_TOKENS) or "(none)"
            ),
        },
    )
