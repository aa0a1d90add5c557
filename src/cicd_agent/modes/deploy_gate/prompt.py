"""What deploy-gate's model is shown: the prompt (computed facts in the clear; everything from
the repository, such as the diff collect read with the riskiest files first, fenced, redacted
and fitted to the model's prompt budget); its answer's schema is :class:`.types.DeployOpinion`.
It reads nothing itself: it only builds text."""

from __future__ import annotations

import json
from string import Template
from typing import TYPE_CHECKING

from cicd_agent.job.context import RunContext
from cicd_agent.job.pipeline import as_json
from cicd_agent.model.prompts import UNTRUSTED_RULES, fence, template

if TYPE_CHECKING:
    from cicd_agent.model.client import ModelClient
    from cicd_agent.modes.deploy_gate.options import DeployOptions
    from cicd_agent.modes.deploy_gate.types import DeployFacts, DeployVerdict

MAX_COMMIT_TOKENS = 1_500
MAX_EVIDENCE_TOKENS = 1_500
SCHEMA_ALLOWANCE = 400
"""Tokens the response schema and chat framing take besides the messages."""


def build_prompt(
    ctx: RunContext[DeployOptions], facts: DeployFacts, verdict: DeployVerdict, model: ModelClient
) -> tuple[str, str]:
    """``(system, user)`` within ``model.prompt_budget()``."""
    counter = model.counter("model")
    redact = ctx.redactor.redact
    assessment = facts.assessment
    system = Template(template("deploy_gate_system")).substitute(untrusted_rules=UNTRUSTED_RULES)
    numbers = {
        "risk_level": assessment.risk_level.value,
        "risk_score": assessment.risk_score,
        "change_types": [kind.value for kind in assessment.change_types],
        "features": assessment.features.to_json(),
        "reasons": [{"signal": r.signal, "points": r.points} for r in assessment.reasons],
        "safety_score": verdict.safety,
        "signals": {s.name.value: s.score for s in verdict.signals},
        "decision": as_json(verdict.decision),
    }
    evidence = "\n".join(
        f"- {r.signal}: {r.message} {'; '.join(r.evidence[:5])}" for r in assessment.reasons
    )
    commits = "\n\n".join(c.message for c in facts.change.commits[:50])
    excerpt = facts.excerpt
    assert excerpt is not None  # collect reads it for every run that asks a model
    environment = facts.options.environment
    pieces = {
        "environment": f" to {environment}" if environment else "",
        "facts": json.dumps(numbers, indent=1),
        "evidence": fence(
            "reasons evidence", counter.truncate(redact(evidence), MAX_EVIDENCE_TOKENS)
        ),
        "commits": fence("commit messages", counter.truncate(redact(commits), MAX_COMMIT_TOKENS)),
    }
    skeleton = Template(template("deploy_gate_user")).substitute(pieces, diff="", omitted="")
    room = model.prompt_budget("model") - counter.count(system) - counter.count(skeleton)
    room -= SCHEMA_ALLOWANCE
    omitted = len(facts.change.files) - len(excerpt.paths)
    diff = ""
    if room > 0 and excerpt.paths:
        limit = room * 8
        raw = excerpt.text[:limit]
        if len(raw) >= limit:  # cut mid-line: a secret cut in two would not be recognised
            raw = raw[: raw.rfind("\n") + 1]
        diff = counter.truncate(redact(raw), room - 40)
    note = f" ({omitted} lockfile, generated, binary or lower-priority file(s) not shown)"
    user = Template(template("deploy_gate_user")).substitute(
        pieces, diff=fence("diff excerpt", diff), omitted=note if omitted > 0 else ""
    )
    return system, user
