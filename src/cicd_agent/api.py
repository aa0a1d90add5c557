"""The core's public API: everything a mode plugin may use, in one module.

A mode (``cicd_agent.modes.<name>`` here, or a package of another distribution) reaches the
core through this module and :mod:`cicd_agent.plugins` (its declaration and options, read by
``--help``) and through nothing else; ``tests/project/test_plugins.py`` fails on any other
import. When a mode needs something this module lacks, the API grows here (the part moves into
the core and is named below), never by a back door into a core module.

docs/plugins.md walks through a mode written on it. What it offers, by step of the flow every
mode shares (collect → analyse → ask → decide → publish):

- the run: :class:`RunContext` (options, environment, runner, checkout, event, notes, tools,
  progress, temporary files), :class:`Given` (the option values a mode's options are built
  from), :class:`Mode` (what the CLI runs), and the steps every mode
  calls in order: :func:`begin`, :func:`analysing`, :func:`ask_model`, :func:`finish`;
- the result: :class:`ModeResult` (outputs, summary, annotations and ``--json`` are renderings
  of it), :class:`ToolRun` (an external tool that ran or could not), :class:`Fixed`;
- errors and exit codes: :class:`ExitCode`, :class:`CicdError`, :class:`UsageError`,
  :class:`ExternalServiceError`;
- what the run reads: :class:`Event` and its views, :class:`GitCheckout` (hardened git on the
  checkout: no hook, filter or setting of the repository runs);
- what it posts: :class:`Annotation`, :func:`posted` (the only way a text reaches GitHub:
  neutralised, secrets redacted), :func:`prose`, :func:`code_span`, :func:`code_block`,
  :class:`Neutral`, :func:`upsert_issue_comment` (a sticky comment);
- a tool process on the host (a container builder, which isolates what it runs itself):
  :func:`stream` (its lines as they come, bounded in time), :func:`runs` (is it there);
- where untrusted code runs: :class:`Sandbox`, :class:`Workspace`, :class:`Limits`,
  :func:`scrub_environment`;
- severities: :class:`Severity`, :data:`SEVERITY_NAMES`, :func:`parse_severity`;
- outside JSON: :func:`load_json` (the one bounded reader) and its :class:`JsonRefused`.
"""

from __future__ import annotations

from cicd_agent.github.comments import upsert_issue_comment
from cicd_agent.job.context import RunContext
from cicd_agent.job.events import Event, PullRequest, Push, require
from cicd_agent.job.options import Given
from cicd_agent.job.pipeline import Mode, analysing, ask_model, begin, finish, validate_fail_on
from cicd_agent.job.result import Fixed, ModeResult, ToolRun
from cicd_agent.local.checkout import GitCheckout
from cicd_agent.local.processes import runs, stream
from cicd_agent.runner.bounded_json import JsonRefused
from cicd_agent.runner.bounded_json import load as load_json
from cicd_agent.runner.errors import CicdError, ExitCode, ExternalServiceError, UsageError
from cicd_agent.runner.markdown import Neutral, code_block, code_span, posted, prose
from cicd_agent.runner.progress import Progress
from cicd_agent.runner.runner_io import Annotation
from cicd_agent.sandbox import Limits, Sandbox, Workspace, scrub_environment
from cicd_agent.severity import SEVERITY_NAMES, Severity, parse_severity

__all__ = [
    "SEVERITY_NAMES",
    "Annotation",
    "CicdError",
    "Event",
    "ExitCode",
    "ExternalServiceError",
    "Fixed",
    "GitCheckout",
    "Given",
    "JsonRefused",
    "Limits",
    "Mode",
    "ModeResult",
    "Neutral",
    "Progress",
    "PullRequest",
    "Push",
    "RunContext",
    "Sandbox",
    "Severity",
    "ToolRun",
    "UsageError",
    "Workspace",
    "analysing",
    "ask_model",
    "begin",
    "code_block",
    "code_span",
    "finish",
    "load_json",
    "parse_severity",
    "posted",
    "prose",
    "require",
    "runs",
    "scrub_environment",
    "stream",
    "upsert_issue_comment",
    "validate_fail_on",
]
