"""analyse-failure's ``analyse`` step (:func:`analyse`): the deterministic verdict, which no
model answer lowers. The scanned logs (collect read each once) are judged once, with the excerpt
budget of the model that will read the excerpt, if any (:func:`judge_logs`); then the flakiness
evidence of the runs around this one is gathered: another attempt passed, the same failure
came and went on the default branch, or the failing tests' own history says so, and weighed in
by :mod:`.flakiness`, which alone decides what of it counts; last, the repository's quarantine
list is read against the failed tests (:func:`~.quarantine.judge`). Over the facts alone: no
log is read again, and nothing here runs a process or goes to the network. It is not free of
I/O: where a log names a file, the log reading looks in the facts' checkout, bounded and
through links never followed (a line's source, :mod:`.logs.source_lines`; a path's place,
:mod:`.logs.checkout_places`; a test's file, :mod:`.logs.runner_reports`).
"""

from __future__ import annotations

from cicd_agent.modes.analyse_failure.flakiness import (
    failing_on_base_too,
    gathered,
    recoveries,
    tests_history,
    weighed,
)
from cicd_agent.modes.analyse_failure.history import recurrence
from cicd_agent.modes.analyse_failure.log_facts import LogAnalysis, Recurrence
from cicd_agent.modes.analyse_failure.logs.analyse import analyse_scans
from cicd_agent.modes.analyse_failure.logs.classify import hung_after_report
from cicd_agent.modes.analyse_failure.quarantine import judge
from cicd_agent.modes.analyse_failure.types import (
    ExcerptFit,
    FailureFacts,
    FailureVerdict,
)

EXCERPT_TOKENS = 2_000
"""Tokens of log excerpt sent at most (about 8 KB of log): the error region with context fits
with room to spare, and more log mostly adds cost, not answers."""
FIXED_PROMPT_TOKENS = 3_000
"""Room kept in a small model's window for everything but the excerpt (system prompt, facts,
changed files, commits, schema)."""
RECENT_BUDGET = 1_000
"""Excerpt characters for judging a recent default-branch failure: only its fingerprint is
compared, and the fingerprint does not depend on the excerpt."""


def excerpt_budget(prompt_budget: int) -> int:
    """Tokens the excerpt may take in a prompt whose whole budget is ``prompt_budget``."""
    return max(min(EXCERPT_TOKENS, prompt_budget - FIXED_PROMPT_TOKENS), 200)


def judge_logs(facts: FailureFacts, fit: ExcerptFit) -> LogAnalysis:
    """The scanned logs judged, the excerpt fitted as ``fit`` says; no flakiness evidence yet
    (:func:`analyse` weighs it in after)."""
    return analyse_scans(
        facts.scans,
        changed_files=facts.change.files if facts.change else (),
        changed_lines=facts.change.lines if facts.change else {},
        baseline=facts.baseline,
        budget=fit.budget,
        measure=fit.measure,
        redact=fit.redact,
        checkout=facts.checkout,
    )


def analyse(facts: FailureFacts, fit: ExcerptFit) -> FailureVerdict:
    """The verdict, with the flakiness evidence of the runs around this one weighed in and
    what the quarantine list says of the failed tests."""
    notes: list[str] = []
    analysis = judge_logs(facts, fit)
    changed = facts.change.files if facts.change else ()
    recents = [
        (recent, analyse_scans(recent.scans, changed_files=changed, budget=RECENT_BUDGET))
        for recent in facts.recent_failures
    ]
    same = [recent for recent, judged in recents if judged.fingerprint == analysis.fingerprint]
    intermittent, flipped = recoveries(same, analysis.failed_tests, facts.history)
    if flipped:
        notes.append(flipped)
    broken = [recent for recent in same if not recent.recovered]
    if broken and facts.target and facts.target.branch != facts.target.default_branch:
        notes.append(
            f"The default branch fails the same way and has not passed since "
            f"({broken[0].html_url or broken[0].run_id}): this change is probably not the cause."
        )
    if hung := hung_after_report(analysis.failure_type, analysis.signatures_hit):
        notes.append(hung)
    recurring = _recurring(facts, analysis.fingerprint)
    flaky_tests = failing_on_base_too(
        tests_history(facts, analysis),
        [(recent.run_id, recent.html_url, judged) for recent, judged in recents],
    )
    evidence, flaky_tests, untrusted = gathered(
        facts, analysis, flaky_tests, intermittent=intermittent, broken=len(broken)
    )
    if untrusted:
        notes.append(untrusted)
    analysis = weighed(analysis, evidence)
    quarantine = judge(
        analysis, facts.quarantine, facts.today, flaky_tests, code_is_proof=facts.code_is_proof
    )
    return FailureVerdict(
        facts,
        analysis,
        evidence,
        flaky_tests,
        recurring,
        quarantine,
        tuple(notes),
    )


def _recurring(facts: FailureFacts, fingerprint: str) -> Recurrence | None:
    """The earlier runs that failed the same way, from the history of a run the API names."""
    history, target = facts.history, facts.target
    if history is None or target is None or target.run_id is None:
        return None
    return recurrence(fingerprint, history.past)
