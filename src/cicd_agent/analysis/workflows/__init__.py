"""Audit the workflow and action files a change touches, with zizmor, on the changed lines only.

Hand-grown rules found 9 of the 32 attacker-controllable template injections in zizmor's own test
workflows (research/review/workflow_audit.md): zizmor models which contexts an attacker controls
in which event, so it does the auditing, and this package keeps to what zizmor does not decide
for us. ``audit`` parses YAML, so it is imported only where a change's workflows are audited;
running zizmor is :mod:`cicd_agent.local.zizmor`'s job."""

from cicd_agent.analysis.workflows.auditor import WorkflowAuditor
from cicd_agent.analysis.workflows.ignores import (
    NO_EXEMPTIONS,
    Exemptions,
    HonouredIgnore,
    base_ignore_lines,
)
from cicd_agent.analysis.workflows.paths import workflow_paths

__all__ = [
    "NO_EXEMPTIONS",
    "Exemptions",
    "HonouredIgnore",
    "WorkflowAuditor",
    "base_ignore_lines",
    "workflow_paths",
]
