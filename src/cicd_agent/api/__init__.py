"""What cicd-agent promises a mode of another distribution (CONTRIBUTING's "A mode of your
own"): these names, with the signatures mypy reads and what their docstrings say, change only as
docs/versioning.md allows. docs/plugins.md says each in a line.

This project's own modes import each name from the module that defines it, as a reader's
go-to-definition does; this module is for code that wants one door that holds still.
"""

from __future__ import annotations

from cicd_agent.actions.errors import (
    CicdError,
    ExitCode,
    ExternalServiceError,
    ModelError,
    UsageError,
)
from cicd_agent.actions.markdown import Neutral, code_block, code_span, posted, prose
from cicd_agent.actions.runner_io import Annotation
from cicd_agent.analysis.finding import Finding
from cicd_agent.analysis.scale import RiskLevel
from cicd_agent.analysis.severity import Severity
from cicd_agent.job.context import RunContext
from cicd_agent.job.events import PULL_REQUEST_EVENTS, Event
from cicd_agent.job.options import Given
from cicd_agent.job.pipeline import (
    Finished,
    Mode,
    PlainResult,
    announce_analyse,
    ask_model,
    begin,
    finish,
)
from cicd_agent.job.pull_comment import comment_on_pull
from cicd_agent.local.checkout import GitCheckout
from cicd_agent.local.checkout_files import (
    CheckoutFileError,
    is_file,
    read_bytes,
    read_text,
    walk_files,
)
from cicd_agent.model.prompts import UNTRUSTED_RULES, fence
from cicd_agent.sandbox import Sandbox

__all__ = [
    "PULL_REQUEST_EVENTS",
    "UNTRUSTED_RULES",
    "Annotation",
    "CheckoutFileError",
    "CicdError",
    "Event",
    "ExitCode",
    "ExternalServiceError",
    "Finding",
    "Finished",
    "GitCheckout",
    "Given",
    "Mode",
    "ModelError",
    "Neutral",
    "PlainResult",
    "RiskLevel",
    "RunContext",
    "Sandbox",
    "Severity",
    "UsageError",
    "announce_analyse",
    "ask_model",
    "begin",
    "code_block",
    "code_span",
    "comment_on_pull",
    "fence",
    "finish",
    "is_file",
    "posted",
    "prose",
    "read_bytes",
    "read_text",
    "walk_files",
]
