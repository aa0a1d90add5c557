"""What the workflow audit needs of the process that runs zizmor, and the one word they share.

The audit's rules are pure; running zizmor is :mod:`cicd_agent.local.zizmor`'s job, and the
callers (review, deploy-gate's security floor) hand it in as a :data:`WorkflowAuditor`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

TIMED_OUT = "zizmor did not finish"
"""How a time-out's message starts: the audit rates such a file higher than one zizmor refused
(a shape built to evade the audit)."""

ZizmorResults = tuple[list[dict[str, object]], dict[str, str]]
"""zizmor's JSON findings, and the files it did not audit (path -> why)."""


WorkflowAuditor = Callable[[Mapping[str, str]], ZizmorResults]
"""Audits workflow files (repository path -> text) and returns :data:`ZizmorResults`.

Never raises for a file it cannot audit: such a file is named in the second part, its
reason starting with :data:`TIMED_OUT` when the run ran out of time.
"""
