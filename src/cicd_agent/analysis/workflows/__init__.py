"""Audit the workflow and action files a change touches, with zizmor, on the changed lines only.

Hand-grown rules found 9 of the 32 attacker-controllable template injections in zizmor's own test
workflows (see research/review/workflow_audit.md); zizmor models which contexts an attacker controls
in which event, ``actions/github-script``'s ``script:``, ``toJson(github.event)``, inputs and YAML
anchors. So zizmor does the auditing, and this package keeps to what zizmor does not decide for us.
One module per job:

- ``audit``: the steps for one change (``audit_workflows``, ``workflow_findings``); it parses
  YAML, so it is imported where a change's workflows are audited, not with this package;
- ``auditor``: what the audit needs of the zizmor run, which the caller passes in (running
  it is :mod:`cicd_agent.local.zizmor`'s job: nothing here starts a process);
- ``zizmor_map``: zizmor's findings on changed lines, mapped to our severity, and where we
  part from zizmor (an expansion no outside contributor can fill is medium, not high);
- ``ignores``: the ``# zizmor: ignore`` comments a run honours, and who may write one;
- ``ours``: ``pull_request_target`` with a checkout of the pull request's head, and a narrow
  injection check for files zizmor refused or could not parse;
- ``paths``: which files are workflows and actions (``workflow_paths``), and which are safe
  to write out.
"""

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
