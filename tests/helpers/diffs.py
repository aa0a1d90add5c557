"""Diff text for tests, and the findings the product reads from a diff."""

from __future__ import annotations

from collections.abc import Mapping

from cicd_agent.analysis.diff import Diff
from cicd_agent.analysis.finding import Finding
from cicd_agent.analysis.findings import deterministic_audit
from cicd_agent.analysis.workflows import NO_EXEMPTIONS, WorkflowAuditor


def added_file(path: str, text: str) -> str:
    """A git diff that adds ``path`` with ``text``."""
    lines = text.splitlines()
    body = "".join(f"+{line}\n" for line in lines)
    return (
        f"diff --git a/{path} b/{path}\nnew file mode 100644\nindex 0000000..1111111\n"
        f"--- /dev/null\n+++ b/{path}\n@@ -0,0 +1,{len(lines)} @@\n{body}"
    )


def all_findings(
    diff: Diff, workflow_texts: Mapping[str, str], audit: WorkflowAuditor | None = None
) -> list[Finding]:
    """Every deterministic finding of ``diff``, as the product reaches them
    (:func:`~cicd_agent.analysis.findings.deterministic_audit`), honouring no ignore comment."""
    return deterministic_audit(diff, workflow_texts, audit, NO_EXEMPTIONS)[0]
