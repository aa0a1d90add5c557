"""The model's bounded tool loop: look at the checkout, run the failing command, propose a patch.

The model is attacker-influenced (it reads the checkout and the log), so it gets no power of its
own: each call's arguments must fit the tool's typed model (:mod:`.tools`, else the call is
refused), its tools read the checkout through :class:`~.tools.Checkout` (confined, bounded,
read only) and its diffs go only to the :class:`~.judge.claims.Verifier`, which applies them to a
copy in the sandbox. A diff the fix step's policy refuses (a path outside the checkout, inside
``.git``, a workflow, a lock file, the failing test) is refused before a run is spent, for runs
too: the loop asks the verifier (:meth:`~.judge.claims.Verifier.refusal`), which enforces the
same policy as the final gate. Everything shown to the model is redacted, and repository or log
text is fenced as data (:func:`cicd_agent.model.prompts.fence`).

The loop stops at the first verified patch, when the model stops calling tools, or at a cap:
model calls, tokens (the next prompt's size is counted before it is sent) and cost (checked
after each call, so one call may cross it), proposals and sandbox runs. Every model turn and
every tool call, refused ones included, is kept as one audit record in the outcome
(``AgentOutcome.audit``): :mod:`.publish` appends them to the audit file in the mode's
publish step, where every write happens.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from string import Template
from typing import TYPE_CHECKING, Any

from cicd_agent.actions.errors import ModelError
from cicd_agent.actions.markdown import prose
from cicd_agent.local.audit import stamp
from cicd_agent.model.client import ModelClient
from cicd_agent.model.conversation import Message, assistant_turn
from cicd_agent.model.prompts import UNTRUSTED_RULES, fence, template
from cicd_agent.model.reply import ToolCall
from cicd_agent.modes.analyse_failure.fix.judge.claims import (
    FailingCommand,
    Patch,
    RunOutcome,
    Verdict,
    Verification,
    Verifier,
)
from cicd_agent.modes.analyse_failure.fix.tools import (
    TOOLS,
    Checkout,
    ProposePatch,
    Refused,
    RunFailingCommand,
    bounded,
    parse_call,
)

if TYPE_CHECKING:
    from pathlib import Path

    from cicd_agent.job.run import Run
    from cicd_agent.local.checkout import GitCheckout

MAX_AUDIT_ARGUMENT = 2_000
"""Characters of one tool argument kept in the audit record (the diff's digest is kept whole)."""
MAX_EXCERPT = 8_000


@dataclass(frozen=True)
class AgentLimits:
    """The loop's caps. ``max_calls`` counts model requests; the others are per loop."""

    max_calls: int = 12
    max_tokens: int = 200_000
    max_cost_usd: float = 1.0
    max_proposals: int = 3
    max_runs: int = 6


@dataclass
class AgentOutcome:
    """What the loop produced: the verified patch (if any), every verdict, and what it cost."""

    offered: Verification | None = None
    proposals: list[Verification] = field(default_factory=list)
    refusals: list[str] = field(default_factory=list)
    stop_reason: str = ""
    calls: int = 0
    tokens: int = 0
    cost_usd: float = 0.0
    audit: list[dict[str, Any]] = field(default_factory=list)
    """Every step as the audit file keeps it, stamped when it happened, for publish to append."""


class FixAgent:
    """One loop over one failure; build a new one per failure."""

    def __init__(
        self,
        model: ModelClient,
        verifier: Verifier,
        checkout: GitCheckout,
        *,
        redact: Callable[[str], str],
        limits: AgentLimits | None = None,
        audit_base: Mapping[str, Any] | None = None,
    ) -> None:
        """``audit_base``: the fields every audit record starts with (the mode, the job)."""
        self.model = model
        self.verifier = verifier
        self.checkout = Checkout(checkout)
        self.redact = redact
        self.limits = limits or AgentLimits()
        self._audit_base = dict(audit_base or {})
        self._steps = 0
        self._runs = 0
        self._verdict: dict[str, Any] = {}
        """The last proposal's verdict, for the audit record of its tool call."""
        self.outcome = AgentOutcome()

    def run(self, failing: FailingCommand, output: str) -> AgentOutcome:
        """Loop until a verified patch, the model's stop, or a cap (module docstring). ``output``
        is the failing command's own output in the sandbox without a patch, shown to the model
        in place of the log excerpt."""
        system = Template(template("fix_agent_system")).substitute(
            untrusted_rules=UNTRUSTED_RULES, max_calls=self.limits.max_calls
        )
        user = Template(template("fix_agent_user")).substitute(
            job=_inline(self.redact(failing.job)),
            step=_inline(self.redact(failing.step)),
            command=fence("failing command", self.redact(failing.failing)),
            excerpt=fence("log excerpt", bounded(self.redact(output), MAX_EXCERPT)),
        )
        messages: list[Message] = [
            {"role": "system", "content": system},
            {"role": "user", "content": user},
        ]
        outcome = self.outcome
        start_cost = self.model.usage.cost_usd
        while not outcome.stop_reason:
            outcome.stop_reason = self._cap_reached(messages)
            if outcome.stop_reason:
                break
            try:
                turn = self.model.converse(messages, TOOLS)
            except ModelError as exc:
                outcome.stop_reason = f"the model call failed: {exc}"
                break
            outcome.calls += 1
            outcome.tokens += turn.prompt_tokens + turn.completion_tokens
            outcome.cost_usd = self.model.usage.cost_usd - start_cost
            self._record(
                "model",
                text=self.redact(turn.content)[:500],
                tool_calls=[call.name for call in turn.tool_calls],
                prompt_tokens=turn.prompt_tokens,
                completion_tokens=turn.completion_tokens,
            )
            if not turn.tool_calls:
                # Model text, shown in the summary: one neutralised line.
                said = prose(self.redact(turn.content))[:300] or "no reason given"
                outcome.stop_reason = f"the model stopped without a verified patch: {said}"
                break
            messages.append(assistant_turn(turn.content, turn.tool_calls))
            for call in turn.tool_calls:
                messages.append(
                    {"role": "tool", "tool_call_id": call.id, "content": self._call(call)}
                )
            if outcome.offered is not None:
                outcome.stop_reason = "a patch passed the judge in the sandbox"
        self._record("stop", reason=outcome.stop_reason, calls=outcome.calls, tokens=outcome.tokens)
        return outcome

    # ------------------------------------------------------------------ caps

    def _cap_reached(self, messages: list[Message]) -> str:
        limits, outcome = self.limits, self.outcome
        if outcome.calls >= limits.max_calls:
            return (
                f"the call cap of {limits.max_calls} model calls was reached without a verified "
                "patch"
            )
        if outcome.cost_usd >= limits.max_cost_usd:
            return f"the cost cap of ${limits.max_cost_usd:g} was reached without a verified patch"
        upcoming = self.model.conversation_tokens(messages, TOOLS)
        if outcome.tokens + upcoming > limits.max_tokens:
            return (
                f"the token cap of {limits.max_tokens:,} would be passed by the next call "
                f"({outcome.tokens:,} spent, about {upcoming:,} more to send)"
            )
        return ""

    # ------------------------------------------------------------------ tools

    def _call(self, call: ToolCall) -> str:
        """Carry out one tool call; the (redacted, fenced) text the model gets back."""
        sent: Mapping[str, object] = {"raw": call.arguments}
        try:
            arguments = parse_call(call.name, call.arguments)
            sent = arguments.model_dump(exclude_unset=True)
            match arguments:
                case RunFailingCommand():
                    text = self._run(arguments)
                case ProposePatch():
                    text = self._propose(arguments)
                case _:  # a read-only tool's result as the model reads it: redacted, fenced
                    text = fence(f"{call.name} result", self.redact(self.checkout.read(arguments)))
        except Refused as exc:
            return self._refuse(call, sent, str(exc))
        except OSError as exc:  # an unreadable file, a sandbox that could not start: no crash
            return self._refuse(call, sent, f"the tool failed ({exc.strerror or 'OS error'})")
        verdict, self._verdict = self._verdict, {}
        self._record("tool", call=call.name, arguments=self._audited(sent), refused=None, **verdict)
        return text

    def _refuse(self, call: ToolCall, arguments: Mapping[str, object], reason: str) -> str:
        reason = self.redact(reason)
        self.outcome.refusals.append(f"{call.name[:80]}: {reason}")
        self._record(
            "tool", call=call.name[:80], arguments=self._audited(arguments), refused=reason
        )
        return f"refused: {reason}"

    def _patch(self, diff: str, summary: str) -> Patch:
        """The model's diff as a Patch, or Refused when the fix step's policy would refuse it
        (outside the checkout, ``.git``, a workflow, a lock file, a symlink, too large)."""
        if not diff.strip():
            raise Refused("the diff must be a non-empty string")
        refused = self.verifier.refusal(diff)
        if refused:
            raise Refused(refused)
        text = " ".join(summary.split())[:300]
        return Patch(diff=diff, source="model", summary=text)

    def _run(self, call: RunFailingCommand) -> str:
        if self._runs >= self.limits.max_runs:
            raise Refused(
                f"the cap of {self.limits.max_runs} sandbox runs is reached; "
                "propose a patch or stop"
            )
        patch = None if not call.diff else self._patch(call.diff, "candidate")
        self._runs += 1
        ran = self.verifier.run_failing(patch)
        return _described(ran, self.redact)

    def _propose(self, call: ProposePatch) -> str:
        if len(self.outcome.proposals) >= self.limits.max_proposals:
            raise Refused(f"the cap of {self.limits.max_proposals} proposals is reached")
        patch = self._patch(call.diff, call.summary)
        verdict = self.verifier.verify(patch)
        self.outcome.proposals.append(verdict)
        passed = verdict.verdict is not Verdict.NOT_PASSED
        self._verdict = {"passed": passed, "reason": self.redact(verdict.reason)}
        if passed:
            self.outcome.offered = verdict
            return "accepted: the patch is verified."
        last = _described(verdict.runs[-1], self.redact) if verdict.runs else ""
        return f"rejected: {self.redact(verdict.reason)}" + (f"\n{last}" if last else "")

    # ------------------------------------------------------------------ audit

    def _audited(self, arguments: Mapping[str, object]) -> dict[str, Any]:
        """The arguments as the audit keeps them: redacted, cut, and a diff's full digest."""
        kept: dict[str, Any] = {}
        for key, value in list(arguments.items())[:10]:
            text = value if isinstance(value, str) else json.dumps(value)
            kept[str(key)[:40]] = self.redact(text)[:MAX_AUDIT_ARGUMENT]
            if key == "diff" and isinstance(value, str):
                kept["diff_sha256"] = hashlib.sha256(value.encode()).hexdigest()
        return kept

    def _record(self, kind: str, **values: Any) -> None:
        self._steps += 1
        self.outcome.audit.append(
            {
                **self._audit_base,
                "time": stamp(),
                "phase": "fix-agent",
                "step": self._steps,
                "kind": kind,
                **values,
            }
        )


def _inline(text: str) -> str:
    """One line of untrusted text for a code span in the prompt (no backticks, no newlines)."""
    return " ".join(text.replace("`", "'").split())[:200]


def _described(ran: RunOutcome, redact: Callable[[str], str]) -> str:
    """A sandbox run as the model sees it: the exit code and the output's tail, fenced."""
    status = "timed out" if ran.timed_out else f"exit code {ran.exit_code}"
    return f"{status}\n" + fence("command output", bounded(redact(ran.output)[-8_000:]))


def propose(
    run: Run,
    model: ModelClient,
    verifier: Verifier,
    failing: FailingCommand,
    audit_file: Path | None,
) -> AgentOutcome:
    """The check step's model loop (called by :func:`~cicd_agent.modes.analyse_failure.fix.check`
    when the repository's own fixer has no verified patch): run the loop on the run's
    checkout; its outcome holds the verdict on each patch it proposed (at most
    ``max_proposals``), in order, so the result shows every one, not only the verified one; the
    loop's stop and cost become a note.

    The loop starts from the failing command's output in the sandbox (the verifier's baseline
    run), which is fresher than the log excerpt and already redacted. Its steps, in the
    outcome, are for :mod:`.publish` to append to ``audit_file``, which the note names.
    """
    base = {"mode": "analyse-failure", "repository": run.repository, "job": failing.job}
    agent = FixAgent(model, verifier, run.checkout, redact=run.redactor.redact, audit_base=base)
    baseline = verifier.reproduces()  # a gate before any token is spent (not a patch's baseline)
    if baseline.passed:  # nothing to fix here: asking would only spend tokens
        run.note(
            "Model fix loop not started: the failing command passes in the sandbox without "
            "any patch."
        )
        return AgentOutcome()
    outcome = agent.run(failing, baseline.output)
    kept = (
        f"steps in {audit_file}"
        if audit_file
        else "steps not kept: no RUNNER_TEMP, so no audit file"
    )
    run.note(
        f"Model fix loop: {outcome.stop_reason} ({outcome.calls} model call(s), "
        f"{outcome.tokens:,} tokens, {len(outcome.proposals)} patch(es) judged, "
        f"{len(outcome.refusals)} tool call(s) refused; {kept})."
    )
    return outcome
