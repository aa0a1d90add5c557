"""The core's public API: everything a mode plugin may use, here and in the facets beside
this module (``risk``, ``findings``, ``runners``, ``contracts``, ``tests``, ``github``,
``model``, ``notify``, ``audit``, ``bounded_yaml``, ``logs``, ``git``, ``checkout_files``,
``verifier``, ``command_line``), each loaded only by a mode that imports it. Each name listed
in an ``__all__`` here is one a mode imports (``tests/project/test_api_used.py``).

A mode (``cicd_agent.modes.<name>`` here, or a package of another distribution) reaches the
core through this package and :mod:`cicd_agent.plugins` (its declaration and options, read by
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
- what the run reads: :class:`Event` and its views (:class:`Invoker`: who started the mode),
  :class:`GitCheckout` (hardened git on the checkout: no hook, filter or setting of the
  repository runs);
- what it posts: :class:`Annotation`, :func:`posted` (the only way a text reaches GitHub:
  neutralised, secrets redacted), :func:`prose`, :func:`code_span`, :func:`code_block`,
  :class:`Neutral`, :func:`marker` and :class:`Found` (a sticky comment found again);
- a tool process on the host (a container builder, which isolates what it runs itself):
  :func:`stream` (its lines as they come, bounded in time), :func:`runs` (is it there);
- where untrusted code runs: :class:`Sandbox`, :class:`Workspace`,
  :func:`installed_folders` (the job's own installs a copy links), and :func:`walk` (a folder
  tree a pull request shaped, walked by descriptors: :class:`Visitor`, :data:`FOLDER_FLAGS`);
- severities: :class:`Severity`, :func:`parse_severity`;
- outside JSON: :func:`load_json` (the one bounded reader) and its :class:`JsonRefused`;
- the shared facts a mode reads: the diff (:class:`Diff`, :class:`FileDiff`, :class:`Hunk`,
  :func:`parse_diff`), change types (:class:`ChangeType`, :func:`classify_path`), the
  repository's settings (:class:`RepoConfig`) and the quarantined tests at a commit
  (:func:`quarantine_at`, :class:`QuarantineEntry`), GitHub's answers as
  values (:class:`PullRequestInfo`, :class:`WorkflowRunInfo`, :class:`JobInfo`,
  :class:`WriteOutcome`, …), the repository between commits (:class:`GitRepo`), token
  counts (:class:`TokenCounter`) and Python modules by name (:func:`module_name`,
  :func:`imported_modules`, :func:`imports_module`);
- another mode's report: the build mode's (:func:`read_build_report`, :class:`BuildEvidence`);
- the run's own redaction (:class:`Redactor`) and deadline (:func:`run_deadline`);
- another mode's run, for a mode that runs one (the command mode): the repository's settings
  at a commit (:func:`load_repo_config`, :func:`trusted_commit`), a run resolved from flags,
  inputs and settings (:func:`resolve_run`), and a mode's reading of a change offered to
  others (:class:`ReadsChanges`, :class:`ChangeReading`, :class:`DescribeOutcome`);
- whether a text reads as one of our findings (:func:`reads_as_finding`), a link to what GitHub answered
  (:func:`linked`);
- what is shown to a model: :data:`UNTRUSTED_RULES`, :func:`fence` (untrusted text as fenced
  data), :func:`template`, :class:`Truncate`, a diff packed into a budget (:func:`pack`,
  :class:`Packing`); file names made safe to show
  (:func:`escaped`, :func:`name_span`, :func:`has_control_characters`, :func:`folded`);
- findings and risk: :class:`Finding`, :class:`RiskLevel`, :func:`higher`, the change read
  from git (:func:`read_change_set`) and one file's diff (:func:`file_diff`, :func:`git_lines`).

Each name is imported from its module on a mode's first use of it (:func:`__getattr__`), so a
mode loads the modules of the names it imports and no other; a piece that brings a large
library or a large part of the core (the model client, the GitHub client, the verifier, the
risk model, the test runners) is named in one of the facets instead.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cicd_agent import __version__ as VERSION
    from cicd_agent.actions.bounded_json import JsonRefused
    from cicd_agent.actions.bounded_json import load as load_json
    from cicd_agent.actions.deadline import run_deadline
    from cicd_agent.actions.errors import (
        CicdError,
        ExitCode,
        ExternalServiceError,
        GitHubError,
        GitHubWriteDenied,
        ModelError,
        UsageError,
        first_problem,
    )
    from cicd_agent.actions.markdown import (
        NEUTRALISE_LIMIT,
        ZWSP,
        Neutral,
        Reference,
        code_block,
        code_fence,
        code_span,
        linked,
        neutralise,
        posted,
        prose,
        unreferenced,
        with_hidden,
    )
    from cicd_agent.actions.masking import is_secret_name
    from cicd_agent.actions.rendered import code_texts
    from cicd_agent.actions.runner_io import Annotation, AnnotationLevel, RunnerIO
    from cicd_agent.analysis.change_types import RUNTIME_TYPES, ChangeType, classify_path
    from cicd_agent.analysis.changes import ChangedFile, ChangeSet, only
    from cicd_agent.analysis.definitions import definition_name
    from cicd_agent.analysis.diff import Diff, FileDiff, Hunk, parse_diff
    from cicd_agent.analysis.file_names import escaped, folded, has_control_characters, name_span
    from cicd_agent.analysis.finding import Finding
    from cicd_agent.analysis.finding_text import reads_as_finding
    from cicd_agent.analysis.governing import CONFIG_PATH
    from cicd_agent.analysis.packing import Packing, pack
    from cicd_agent.analysis.python_imports import imported_modules, imports_module, module_name
    from cicd_agent.analysis.redact import Redactor
    from cicd_agent.analysis.scale import OrderedStrEnum, RiskLevel, higher
    from cicd_agent.analysis.severity import Severity, parse_severity
    from cicd_agent.analysis.unified_diff import file_diff, git_lines
    from cicd_agent.github.comments import Found, marker
    from cicd_agent.github.limits import COMMENT_BODY_MAX, PULL_BODY_MAX, fit
    from cicd_agent.github.models import (
        DEPLOYMENTS_READ,
        DeploymentInfo,
        DeploymentListing,
        FileChange,
        JobInfo,
        PullRequestInfo,
        ReviewComment,
        ReviewEvent,
        WorkflowRunInfo,
        WriteOutcome,
    )
    from cicd_agent.github.models import Annotation as CheckAnnotation
    from cicd_agent.github.review_threads import REVIEW_HEADING
    from cicd_agent.github.trust import Trust
    from cicd_agent.job.change_reader import ChangeReading, DescribeOutcome, ReadsChanges
    from cicd_agent.job.context import RunContext, ToolRun
    from cicd_agent.job.decisions import record_decision
    from cicd_agent.job.events import (
        PULL_REQUEST_EVENTS,
        Branch,
        Comment,
        Event,
        Invoker,
        PullRequest,
        Repository,
        Sha,
        User,
        WorkflowRun,
        described,
        from_other_repository,
        require,
        require_workflow_run,
    )
    from cicd_agent.job.options import CommonOptions, Given
    from cicd_agent.job.pipeline import (
        Finished,
        Fixed,
        Mode,
        ModeResult,
        analysing,
        ask_model,
        begin,
        finish,
        model_failure_note,
    )
    from cicd_agent.job.repo_config import (
        QuarantineEntry,
        RepoConfig,
        quarantine_at,
        trusted_commit,
        valid_test_id,
    )
    from cicd_agent.job.repo_config import load as load_repo_config
    from cicd_agent.job.resolve import resolve_run
    from cicd_agent.local.build_report import BuildEvidence, read_build_report
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
    from cicd_agent.local.processes import host_tool, runs, stream
    from cicd_agent.model.prompts import UNTRUSTED_RULES, Count, Truncate, fence, template
    from cicd_agent.model.tokens import TokenCounter
    from cicd_agent.sandbox import (
        SKIPPED_NAMES,
        TOOL_CACHES,
        Isolation,
        RunResult,
        Sandbox,
        Workspace,
        find_bwrap,
        ignored_untracked,
        installed_folders,
        probe_isolation,
        remove_tree,
    )
    from cicd_agent.sandbox.walk import FOLDER_FLAGS, Visitor, walk

NAMES_BY_MODULE: Mapping[str, str] = {
    "cicd_agent": "VERSION=__version__",
    "cicd_agent.actions.bounded_json": "JsonRefused load_json=load",
    "cicd_agent.actions.deadline": "run_deadline",
    "cicd_agent.actions.errors": (
        "CicdError ExitCode ExternalServiceError GitHubError GitHubWriteDenied ModelError "
        "UsageError first_problem"
    ),
    "cicd_agent.actions.markdown": (
        "NEUTRALISE_LIMIT Neutral Reference ZWSP code_block code_fence code_span linked "
        "neutralise posted prose unreferenced with_hidden"
    ),
    "cicd_agent.actions.masking": "is_secret_name",
    "cicd_agent.actions.rendered": "code_texts",
    "cicd_agent.actions.runner_io": "Annotation AnnotationLevel RunnerIO",
    "cicd_agent.analysis.change_types": "ChangeType RUNTIME_TYPES classify_path",
    "cicd_agent.analysis.changes": "ChangeSet ChangedFile only",
    "cicd_agent.analysis.definitions": "definition_name",
    "cicd_agent.analysis.diff": "Diff FileDiff Hunk parse_diff",
    "cicd_agent.analysis.file_names": "escaped folded has_control_characters name_span",
    "cicd_agent.analysis.finding": "Finding",
    "cicd_agent.analysis.finding_text": "reads_as_finding",
    "cicd_agent.analysis.governing": "CONFIG_PATH",
    "cicd_agent.analysis.packing": "Packing pack",
    "cicd_agent.analysis.python_imports": "imported_modules imports_module module_name",
    "cicd_agent.analysis.redact": "Redactor",
    "cicd_agent.analysis.scale": "OrderedStrEnum RiskLevel higher",
    "cicd_agent.analysis.severity": "Severity parse_severity",
    "cicd_agent.analysis.unified_diff": "file_diff git_lines",
    "cicd_agent.github.comments": "Found marker",
    "cicd_agent.github.limits": "COMMENT_BODY_MAX PULL_BODY_MAX fit",
    "cicd_agent.github.models": (
        "CheckAnnotation=Annotation DEPLOYMENTS_READ DeploymentInfo DeploymentListing FileChange "
        "JobInfo PullRequestInfo ReviewComment ReviewEvent WorkflowRunInfo WriteOutcome"
    ),
    "cicd_agent.github.review_threads": "REVIEW_HEADING",
    "cicd_agent.github.trust": "Trust",
    "cicd_agent.job.change_reader": "ChangeReading DescribeOutcome ReadsChanges",
    "cicd_agent.job.context": "RunContext ToolRun",
    "cicd_agent.job.decisions": "record_decision",
    "cicd_agent.job.events": (
        "Branch Comment Event Invoker PULL_REQUEST_EVENTS PullRequest Repository Sha User "
        "WorkflowRun described from_other_repository require require_workflow_run"
    ),
    "cicd_agent.job.options": "CommonOptions Given",
    "cicd_agent.job.pipeline": "Finished Fixed Mode ModeResult analysing ask_model begin finish "
    "model_failure_note",
    "cicd_agent.job.repo_config": (
        "QuarantineEntry RepoConfig load_repo_config=load quarantine_at trusted_commit "
        "valid_test_id"
    ),
    "cicd_agent.job.resolve": "resolve_run",
    "cicd_agent.local.build_report": "BuildEvidence read_build_report",
    "cicd_agent.local.change_set": "read_change_set",
    "cicd_agent.local.checkout": "GitCheckout",
    "cicd_agent.local.checkout_files": (
        "CheckoutFileError is_file read_bytes read_text unlinked walk_files write_output"
    ),
    "cicd_agent.local.gitrepo": "GitRepo is_null_sha",
    "cicd_agent.local.processes": "host_tool runs stream",
    "cicd_agent.model.prompts": "Count Truncate UNTRUSTED_RULES fence template",
    "cicd_agent.model.tokens": "TokenCounter",
    "cicd_agent.sandbox": (
        "Isolation RunResult SKIPPED_NAMES Sandbox TOOL_CACHES Workspace find_bwrap "
        "ignored_untracked installed_folders probe_isolation remove_tree"
    ),
    "cicd_agent.sandbox.walk": "FOLDER_FLAGS Visitor walk",
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
    "CONFIG_PATH",
    "DEPLOYMENTS_READ",
    "FOLDER_FLAGS",
    "NEUTRALISE_LIMIT",
    "PULL_BODY_MAX",
    "PULL_REQUEST_EVENTS",
    "REVIEW_HEADING",
    "RUNTIME_TYPES",
    "SKIPPED_NAMES",
    "TOOL_CACHES",
    "UNTRUSTED_RULES",
    "VERSION",
    "ZWSP",
    "Annotation",
    "AnnotationLevel",
    "Branch",
    "BuildEvidence",
    "ChangeReading",
    "ChangeSet",
    "ChangeType",
    "ChangedFile",
    "CheckAnnotation",
    "CheckoutFileError",
    "CicdError",
    "Comment",
    "CommonOptions",
    "Count",
    "DeploymentInfo",
    "DeploymentListing",
    "DescribeOutcome",
    "Diff",
    "Event",
    "ExitCode",
    "ExternalServiceError",
    "FileChange",
    "FileDiff",
    "Finding",
    "Finished",
    "Fixed",
    "Found",
    "GitCheckout",
    "GitHubError",
    "GitHubWriteDenied",
    "GitRepo",
    "Given",
    "Hunk",
    "Invoker",
    "Isolation",
    "JobInfo",
    "JsonRefused",
    "Mode",
    "ModeResult",
    "ModelError",
    "Neutral",
    "OrderedStrEnum",
    "Packing",
    "PullRequest",
    "PullRequestInfo",
    "QuarantineEntry",
    "ReadsChanges",
    "Redactor",
    "Reference",
    "RepoConfig",
    "Repository",
    "ReviewComment",
    "ReviewEvent",
    "RiskLevel",
    "RunContext",
    "RunResult",
    "RunnerIO",
    "Sandbox",
    "Severity",
    "Sha",
    "TokenCounter",
    "ToolRun",
    "Truncate",
    "Trust",
    "UsageError",
    "User",
    "Visitor",
    "WorkflowRun",
    "WorkflowRunInfo",
    "Workspace",
    "WriteOutcome",
    "analysing",
    "ask_model",
    "begin",
    "classify_path",
    "code_block",
    "code_fence",
    "code_span",
    "code_texts",
    "definition_name",
    "described",
    "escaped",
    "fence",
    "file_diff",
    "find_bwrap",
    "finish",
    "first_problem",
    "fit",
    "folded",
    "from_other_repository",
    "git_lines",
    "has_control_characters",
    "higher",
    "host_tool",
    "ignored_untracked",
    "imported_modules",
    "imports_module",
    "installed_folders",
    "is_file",
    "is_null_sha",
    "is_secret_name",
    "linked",
    "load_json",
    "load_repo_config",
    "marker",
    "model_failure_note",
    "module_name",
    "name_span",
    "neutralise",
    "only",
    "pack",
    "parse_diff",
    "parse_severity",
    "posted",
    "probe_isolation",
    "prose",
    "quarantine_at",
    "read_build_report",
    "read_bytes",
    "read_change_set",
    "read_text",
    "reads_as_finding",
    "record_decision",
    "remove_tree",
    "require",
    "require_workflow_run",
    "resolve_run",
    "run_deadline",
    "runs",
    "stream",
    "template",
    "trusted_commit",
    "unlinked",
    "unreferenced",
    "valid_test_id",
    "walk",
    "walk_files",
    "with_hidden",
    "write_output",
]
