"""Who writes what a template expands: where our severity parts from zizmor's.

zizmor calls an expansion of ``inputs.*``, a login, any github property or a whole object
attacker-controllable. A pull request is blocked only for text an outside contributor can
write; expansions nobody outside can fill, and values that expand to a fixed word, stay visible
findings, at medium (:func:`writers_only` says why, and so does
the finding's text). Measured on the three auditors' fixtures (``research/decisions_heldout.md``).
"""

from __future__ import annotations

import re

from cicd_agent.analysis.finding import Finding
from cicd_agent.analysis.workflows.paths import WORKFLOW
from cicd_agent.severity import Severity

_DISPATCH_INPUT = re.compile(r"\bgithub\.event\.inputs\.[\w-]+")
_INPUT = re.compile(r"(?<![\w.])inputs\.[\w-]+")
_PICKED_BY_INPUT = re.compile(r"^[\s\[\]()'\"]*(?:github(?:\.event(?:\.\*)?)?)?[\s\[\]()'\"]*$")
"""What may stay of an expression once its inputs are taken out: nothing, or ``github`` /
``github.event`` indexed by them (``github[inputs.key]``: a field the dispatcher picks)."""
_LOGIN = re.compile(
    r"^\s*(?:github\.(?:actor|triggering_actor)|github\.event\.(?:sender|pull_request\.user"
    r"|issue\.user|comment\.user|review\.user|review_comment\.user|discussion\.user"
    r"|pull_request\.head\.user|pull_request\.head\.repo\.owner|repository\.owner)\.login)\s*$"
)


_GITHUB_PROPERTIES = frozenset({
    "action", "action_path", "action_ref", "action_repository", "action_status", "actor",
    "actor_id", "api_url", "base_ref", "env", "event", "event_name", "event_path",
    "graphql_url", "head_ref", "job", "job_workflow_sha", "path", "ref", "ref_name",
    "ref_protected", "ref_type", "repository", "repository_id", "repository_owner",
    "repository_owner_id", "repositoryurl", "retention_days", "run_id", "run_number",
    "run_attempt", "secret_source", "server_url", "sha", "token", "triggering_actor",
    "workflow", "workflow_ref", "workflow_sha", "workspace",
})  # fmt: skip
"""The github context's properties (GitHub's contexts reference); any other is null."""
_GITHUB_PROPERTY = re.compile(r"^\s*github\.([\w-]+)\s*$")
_WHOLE_OBJECT = re.compile(
    r"^\s*(?:github(?:\.event)?|[A-Za-z_][\w-]*(?:\.[\w-]+)*\.\*(?:\.(?:[\w-]+|\*))*)\s*$"
)
"""A bare path to an object (``github``, ``github.event``) or through a filter (``.*``, which
always yields an array): GitHub expands such a value to the word ``Object`` or ``Array``, not
its contents (actionlint's docs, "Type checks": ``echo '${{ env }}'`` becomes ``echo 'Object'``;
it reports these as type errors, not injections). ``toJSON(...)`` or ``join(...)`` of the same
is text, and keeps zizmor's severity."""


def _no_such_property(expression: str) -> str | None:
    """``events`` for ``github.events``: a property the github context does not have."""
    match = _GITHUB_PROPERTY.match(expression)
    if match is None or match.group(1).lower() in _GITHUB_PROPERTIES:
        return None
    return match.group(1)


def _writers_input(expression: str, *, workflow: bool) -> bool:
    """The expression reads only workflow inputs (``inputs.*`` counts in a workflow only)."""
    rest, dispatched = _DISPATCH_INPUT.subn("", expression)
    rest, called = _INPUT.subn("", rest) if workflow else (rest, 0)
    return bool(dispatched + called) and bool(_PICKED_BY_INPUT.match(rest))


def writers_only(finding: Finding, expression: str, template: str) -> Finding:
    """A template injection whose expression no stranger's pull request can fill: medium.

    ``expression`` is what zizmor marks, ``template`` the whole ``${{ }}`` around it.
    zizmor calls every ``inputs.*`` attacker-controllable; in a workflow they are not, in the
    sense that blocks a pull request. A ``workflow_dispatch`` input (also read as
    ``github.event.inputs.*``) is typed by someone with write access who starts the run; a
    ``workflow_call`` input is passed by a workflow that calls this one (zizmor rates it high,
    actionlint not at all; we keep medium, as for dispatch). A GitHub login is letters, digits
    and hyphens (``[bot]`` for apps), so it cannot carry shell syntax. A bare object or array
    expands to the word ``Object`` or ``Array``. Each stays a visible finding (the habit is still
    unsafe and a refactor can route text there) but does not block. A composite action's
    ``inputs`` keep zizmor's severity: the workflow using the action may pass it an issue title.
    """
    if _writers_input(expression, workflow=bool(WORKFLOW.match(finding.path))):
        why = (
            f"`{expression.strip()}` is a workflow input: a `workflow_dispatch` input is typed "
            "by someone with write access who starts the run, and a `workflow_call` input is "
            "passed by a workflow that calls this one. No outside contributor sets it directly, "
            "so this is medium, not blocking; still, pass it through `env:` rather than "
            "expanding it into the script."
        )
    elif _WHOLE_OBJECT.match(template):
        why = (
            f"`{template.strip()}` is an object or an array: GitHub expands it to the word "
            "`Object` or `Array`, not its contents, so no text reaches the script (probably a "
            "mistake: `toJSON()` or `join()` would expand the text, and be an injection). "
            "Medium, not blocking."
        )
    elif (missing := _no_such_property(expression)) is not None:
        why = (
            f"`github.{missing}` is not a property of the github context, so it expands to an "
            "empty string (a typo?). Medium, not blocking."
        )
    elif _LOGIN.match(expression):
        why = (
            f"`{expression.strip()}` is a GitHub login: letters, digits and hyphens only, so it "
            "cannot carry shell syntax. Medium, not blocking; pass it through `env:` anyway."
        )
    else:
        return finding
    return finding.model_copy(
        update={"severity": min(finding.severity, Severity.MEDIUM), "body": f"{finding.body} {why}"}
    )
