"""What analyse-failure's model is shown for its diagnosis: the prompt and its token budget (its
schema is :mod:`.answer`'s). The fix step's own prompts are its own (:mod:`.fix`, the test that
comes with a verified fix; :mod:`.fix.agent`, the tool loop).

Everything the logs or the repository wrote (error lines, job and file names, commit subjects,
the excerpt) is redacted and fenced as data; only numbers and enums the tool computed go in the
clear. The excerpt is the deterministic analysis' own, already fitted to the budget that
:func:`~cicd_agent.modes.analyse_failure.verdict.excerpt_budget` gives, so the prompt is the
same text ``--json`` shows as ``excerpt``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from string import Template
from typing import TYPE_CHECKING

from cicd_agent.model.prompts import UNTRUSTED_RULES, Truncate, fence, template
from cicd_agent.modes.analyse_failure.log_facts import LogAnalysis

if TYPE_CHECKING:
    from cicd_agent.modes.analyse_failure.types import Change, Evidence

CHANGED_FILES_TOKENS = 600
COMMITS_TOKENS = 500
FINDINGS_TOKENS = 800
MAX_CHANGED_FILES = 200
MAX_COMMITS = 50


def build_prompt(
    analysis: LogAnalysis,
    change: Change | None,
    evidence: Evidence,
    *,
    redact: Callable[[str], str],
    truncate: Truncate,
    attempt: int = 1,
) -> tuple[str, str]:
    """``(system, user)`` for the model; every repository or log text fenced and redacted."""
    system = Template(template("analyse_failure_system")).substitute(
        untrusted_rules=UNTRUSTED_RULES
    )
    facts = {
        "failure_type": analysis.failure_type.value,
        "is_flaky": analysis.flaky_by_evidence,
        "likely_flaky_signs_in_log": len(analysis.likely_flaky_evidence),
        "failed_jobs": len(analysis.failed_jobs),
        "run_attempt": attempt,
        "other_attempt_of_this_run_passed": evidence.other_attempt_passed,
        "same_failure_came_and_went_on_default_branch": evidence.intermittent_on_default_branch,
        "same_failure_on_default_branch_not_fixed_since": evidence.broken_on_default_branch,
        "error_names_a_changed_file": evidence.touches_changed_files,
        "failed_tests_flaky_by_their_history": evidence.flaky_by_test_history,
        "matched_signatures": list(analysis.signatures_hit),
    }
    findings = [f"Best error line: {analysis.root_cause or '(none found)'}", "Failed jobs:"]
    findings += [
        f"- {job.name} | step {job.failed_step or '?'} | {job.conclusion}"
        f"{f' (exit code {job.exit_code})' if job.exit_code is not None else ''}"
        f" | {job.failure_type.value} | {job.root_cause}"
        for job in analysis.failed_jobs
    ]
    findings.append("Files named in errors:")
    findings += [
        f"- {f.path}{':' + ','.join(map(str, f.lines[:5])) if f.lines else ''}"
        f"{' (changed)' if f.changed else ''}"
        for f in analysis.responsible_files
    ] or ["- none"]
    changed = "(unknown: the change under test could not be read)"
    commits = "(unknown)"
    note = ""
    if change is not None:
        shown = change.files[:MAX_CHANGED_FILES]
        changed = "\n".join(shown) or "(none)"
        if len(change.files) > len(shown):
            changed += f"\n… and {len(change.files) - len(shown)} more"
        commits = "\n".join(f"{sha} {subject}" for sha, subject in change.commits[:MAX_COMMITS])
        note = f" ({change.base[:12]}..{change.head[:12]})" if change.base else ""
        if change.source == "api":
            note += " (the pull request's whole file list: the checkout lacked its commits)"
    user = Template(template("analyse_failure_user")).substitute(
        facts=json.dumps(facts, indent=1),
        findings=fence("log findings", truncate(redact("\n".join(findings)), FINDINGS_TOKENS)),
        change_note=note,
        changed_files=fence("changed files", truncate(redact(changed), CHANGED_FILES_TOKENS)),
        commits=fence("commits", truncate(redact(commits or "(none)"), COMMITS_TOKENS)),
        excerpt=fence("log excerpt", analysis.excerpt),
    )
    return system, user
