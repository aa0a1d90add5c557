"""The core's promised API: the names every mode may rely on, here and in the promised facets
beside this module (``risk``, ``runners``, ``contracts``, ``tests``, ``checkout_files``,
``github``, ``model``, ``notify``, ``audit``), each facet loaded only by a mode that imports it.
A name is promised when two or more modes of this project import it, or CONTRIBUTING's mode of
one's own does (``tests/project/test_api_used.py`` counts them), or when a promised function's
parameters or return name it (the promise is closed: a caller never gets back a type it does not
cover); docs/plugins.md gives each name's meaning and docs/versioning.md what a release may
change.

A part of the core that one first-party mode alone borrows is lent, not promised: it is named
in :mod:`cicd_agent.api.lent` (a facet per subject, each saying which mode it is lent to) and
may change with that mode.

A mode (``cicd_agent.modes.<name>`` here, or a package of another distribution) reaches the
core through this package and :mod:`cicd_agent.plugins` (its declaration and options, read by
``--help``) and through nothing else; ``tests/project/test_plugins.py`` fails on any other
import. When a mode needs something the API lacks, the API grows here (the part moves into the
core and is named below), never by a back door into a core module.

What it offers, by step of the flow every mode shares (collect → analyse → ask → decide →
publish):

- the run: :class:`RunContext`, :class:`Given` (the option values a mode's options are built
  from), :class:`Mode` (what the CLI runs), and the steps every mode calls in order:
  :func:`begin`, :func:`analysing`, :func:`ask_model`, :func:`finish`;
- the result: :class:`PlainResult`, :data:`NOT_SHOWN`, :class:`Fixed`, :class:`Finished`;
- errors and exit codes: :class:`ExitCode`, :class:`CicdError`, :class:`UsageError`, ...;
- what the run reads: :class:`Event` and its views, :class:`GitCheckout` (hardened git on the
  checkout), the diff (:class:`Diff`, :class:`FileDiff`, :func:`parse_diff`), the checkout's
  files read without following a link out of it (:func:`read_text`, :func:`walk_files`);
- what it posts: :class:`Annotation`, :func:`posted` (the only way a text reaches GitHub:
  neutralised, secrets redacted), :func:`prose`, :func:`code_span`, :func:`code_block`;
- what a model is shown: :data:`UNTRUSTED_RULES`, :func:`fence`, :func:`template`;
- where untrusted code runs: :class:`Sandbox`;
- findings and risk: :class:`Finding`, :class:`RiskLevel`, :class:`Severity`;
- a mode's reading of a change offered to others: :class:`ReadsChanges`.

Each name is imported from its module on a mode's first use of it (:func:`__getattr__`), so a
mode loads the modules of the names it imports and no other; a piece that brings a large
library or a large part of the core (the model client, the GitHub client, the risk model, the
test runners) is named in one of the facets instead.

Where the parser comes from: ``cicd_agent.plugins`` is the registry of installed modes (the
``cicd_agent.modes`` entry point) and builds the command line's parser from it (``build_parser``:
every mode's summary, the chosen mode's options).
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cicd_agent.actions.bounded_json import JsonRefused
    from cicd_agent.actions.bounded_json import load as load_json
    from cicd_agent.actions.errors import (
        CicdError,
        ExitCode,
        ExternalServiceError,
        GitHubError,
        ModelError,
        UsageError,
        first_problem,
    )
    from cicd_agent.actions.markdown import (
        Neutral,
        Reference,
        code_block,
        code_fence,
        code_span,
        neutralise,
        posted,
        prose,
        with_hidden,
    )
    from cicd_agent.actions.progress import Progress
    from cicd_agent.actions.runner_io import Annotation
    from cicd_agent.analysis.bounded_yaml import YamlLimitError
    from cicd_agent.analysis.bounded_yaml import load_text as load_yaml
    from cicd_agent.analysis.bounded_yaml import one_line as yaml_problem
    from cicd_agent.analysis.change_types import ChangeType, classify_path
    from cicd_agent.analysis.changes import ChangedFile, ChangeSet
    from cicd_agent.analysis.diff import Diff, FileDiff, parse_diff
    from cicd_agent.analysis.file_names import escaped, name_span
    from cicd_agent.analysis.finding import Finding
    from cicd_agent.analysis.packing import Packing, pack
    from cicd_agent.analysis.python_imports import module_name
    from cicd_agent.analysis.redact import Redactor
    from cicd_agent.analysis.scale import RiskLevel
    from cicd_agent.analysis.severity import Severity
    from cicd_agent.analysis.unified_diff import file_diff
    from cicd_agent.github.comments import Found
    from cicd_agent.github.limits import COMMENT_BODY_MAX
    from cicd_agent.github.models import PullRequestInfo, ReviewComment
    from cicd_agent.github.trust import Trust
    from cicd_agent.job.change_reader import ChangeReading, DescribeOutcome, ReadsChanges
    from cicd_agent.job.context import RunContext
    from cicd_agent.job.decisions import DecisionRun, record_decision
    from cicd_agent.job.events import PULL_REQUEST_EVENTS, Event, Invoker
    from cicd_agent.job.options import Given
    from cicd_agent.job.payloads import PullRequest
    from cicd_agent.job.pipeline import (
        NOT_SHOWN,
        Finished,
        Fixed,
        Mode,
        PlainResult,
        analysing,
        ask_model,
        begin,
        finish,
        model_failure_note,
    )
    from cicd_agent.job.pull_comment import comment_on_pull
    from cicd_agent.job.repo_config import QuarantineEntry, trusted_commit
    from cicd_agent.local.change_set import read_change_set
    from cicd_agent.local.checkout import GitCheckout
    from cicd_agent.local.checkout_files import (
        CheckoutFileError,
        is_file,
        read_bytes,
        read_text,
        unlinked,
        walk_files,
        write_output,
    )
    from cicd_agent.local.gitrepo import GitRepo, is_null_sha
    from cicd_agent.model.prompts import UNTRUSTED_RULES, Truncate, fence, template
    from cicd_agent.model.tokens import TokenCounter
    from cicd_agent.sandbox import Isolation, Sandbox, find_bwrap, probe_isolation, remove_tree

NAMES_BY_MODULE: Mapping[str, str] = {
    "cicd_agent.actions.bounded_json": "JsonRefused load_json=load",
    "cicd_agent.actions.errors": (
        "CicdError ExitCode ExternalServiceError GitHubError ModelError UsageError "
        "first_problem"
    ),
    "cicd_agent.actions.markdown": (
        "Neutral Reference code_block code_fence code_span neutralise posted prose "
        "with_hidden"
    ),
    "cicd_agent.actions.progress": "Progress",
    "cicd_agent.actions.runner_io": "Annotation",
    "cicd_agent.analysis.bounded_yaml": "YamlLimitError load_yaml=load_text yaml_problem=one_line",
    "cicd_agent.analysis.change_types": "ChangeType classify_path",
    "cicd_agent.analysis.changes": "ChangeSet ChangedFile",
    "cicd_agent.analysis.diff": "Diff FileDiff parse_diff",
    "cicd_agent.analysis.file_names": "escaped name_span",
    "cicd_agent.analysis.finding": "Finding",
    "cicd_agent.analysis.packing": "Packing pack",
    "cicd_agent.analysis.python_imports": "module_name",
    "cicd_agent.analysis.redact": "Redactor",
    "cicd_agent.analysis.scale": "RiskLevel",
    "cicd_agent.analysis.severity": "Severity",
    "cicd_agent.analysis.unified_diff": "file_diff",
    "cicd_agent.github.comments": "Found",
    "cicd_agent.github.limits": "COMMENT_BODY_MAX",
    "cicd_agent.github.models": "PullRequestInfo ReviewComment",
    "cicd_agent.github.trust": "Trust",
    "cicd_agent.job.change_reader": "ChangeReading DescribeOutcome ReadsChanges",
    "cicd_agent.job.context": "RunContext",
    "cicd_agent.job.decisions": "DecisionRun record_decision",
    "cicd_agent.job.events": "Event Invoker PULL_REQUEST_EVENTS",
    "cicd_agent.job.options": "Given",
    "cicd_agent.job.payloads": "PullRequest",
    "cicd_agent.job.pull_comment": "comment_on_pull",
    "cicd_agent.job.pipeline": (
        "Finished Fixed Mode NOT_SHOWN PlainResult analysing ask_model begin finish "
        "model_failure_note"
    ),
    "cicd_agent.job.repo_config": "QuarantineEntry trusted_commit",
    "cicd_agent.local.change_set": "read_change_set",
    "cicd_agent.local.checkout": "GitCheckout",
    "cicd_agent.local.checkout_files": (
        "CheckoutFileError is_file read_bytes read_text unlinked walk_files write_output"
    ),
    "cicd_agent.local.gitrepo": "GitRepo is_null_sha",
    "cicd_agent.model.prompts": "Truncate UNTRUSTED_RULES fence template",
    "cicd_agent.model.tokens": "TokenCounter",
    "cicd_agent.sandbox": "Isolation Sandbox find_bwrap probe_isolation remove_tree",
}
"""The names of the API by the module each is imported from (``name=attribute`` where the API
renames it): what the imports above say, held to them by ``tests/project/test_api_lazy.py``."""
HOMES: Mapping[str, tuple[str, str]] = {
    name: (module, attribute or name)
    for module, names in NAMES_BY_MODULE.items()
    for name, _, attribute in (word.partition("=") for word in names.split())
}


def __getattr__(name: str) -> object:
    """A name of the API, imported from its module on a mode's first use of it: a mode loads
    the modules of the names it imports and no other (a run that starts no sandbox never loads
    the sandbox, a review never loads the build report's reader)."""
    if name not in HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    module, attribute = HOMES[name]
    value = getattr(importlib.import_module(module), attribute)
    globals()[name] = value
    return value


__all__ = [
    "COMMENT_BODY_MAX",
    "NOT_SHOWN",
    "PULL_REQUEST_EVENTS",
    "UNTRUSTED_RULES",
    "Annotation",
    "ChangeReading",
    "ChangeSet",
    "ChangeType",
    "ChangedFile",
    "CheckoutFileError",
    "CicdError",
    "DecisionRun",
    "DescribeOutcome",
    "Diff",
    "Event",
    "ExitCode",
    "ExternalServiceError",
    "FileDiff",
    "Finding",
    "Finished",
    "Fixed",
    "Found",
    "GitCheckout",
    "GitHubError",
    "GitRepo",
    "Given",
    "Invoker",
    "Isolation",
    "JsonRefused",
    "Mode",
    "ModelError",
    "Neutral",
    "Packing",
    "PlainResult",
    "Progress",
    "PullRequest",
    "PullRequestInfo",
    "QuarantineEntry",
    "ReadsChanges",
    "Redactor",
    "Reference",
    "ReviewComment",
    "RiskLevel",
    "RunContext",
    "Sandbox",
    "Severity",
    "TokenCounter",
    "Truncate",
    "Trust",
    "UsageError",
    "YamlLimitError",
    "analysing",
    "ask_model",
    "begin",
    "classify_path",
    "code_block",
    "code_fence",
    "code_span",
    "comment_on_pull",
    "escaped",
    "fence",
    "file_diff",
    "find_bwrap",
    "finish",
    "first_problem",
    "is_file",
    "is_null_sha",
    "load_json",
    "load_yaml",
    "model_failure_note",
    "module_name",
    "name_span",
    "neutralise",
    "pack",
    "parse_diff",
    "posted",
    "probe_isolation",
    "prose",
    "read_bytes",
    "read_change_set",
    "read_text",
    "record_decision",
    "remove_tree",
    "template",
    "trusted_commit",
    "unlinked",
    "walk_files",
    "with_hidden",
    "write_output",
    "yaml_problem",
]
