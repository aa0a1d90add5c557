"""Which ``GITHUB_TOKEN`` permission each GitHub API call needs, and whether a job grants it.

A workflow's ``permissions:`` is the whole of what its token may do: a scope a job does not list is
``none`` (``metadata: read`` is always granted). The end-to-end tests record every request a
cicd-agent step made to the GitHub mock and check each against the permissions of the job it ran
in, so an example that lacks ``pull-requests: write`` for a review it posts fails a test instead
of a user's first run. Sources: GitHub's "Permissions required for GitHub Apps" tables for the
REST endpoints below; an endpoint missing here fails the check, so a new call must be added.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

Grant = tuple[str, str]
"""(scope, level), e.g. ("pull-requests", "write")."""

LEVELS = {"none": 0, "read": 1, "write": 2}

_REPO = r"/repos/[^/]+/[^/]+"
# (methods, path regex after /repos/{owner}/{repo}, grants that each suffice)
_TABLE: tuple[tuple[str, str, tuple[Grant, ...]], ...] = (
    ("GET", r"", (("metadata", "read"),)),
    # A commenter's permission (the command mode asks before it runs anything for them).
    ("GET", r"/collaborators/[^/]+/permission", (("metadata", "read"),)),
    ("GET", r"/pulls(/\d+(/(files|commits|reviews|comments))?)?", (("pull-requests", "read"),)),
    ("GET", r"/pulls/comments/\d+(/reactions)?", (("pull-requests", "read"),)),
    ("PATCH", r"/pulls/\d+", (("pull-requests", "write"),)),
    ("POST", r"/pulls/\d+/comments/\d+/replies|/pulls/comments/\d+/reactions",
     (("pull-requests", "write"),)),
    ("POST", r"/issues/comments/\d+/reactions", (("pull-requests", "write"), ("issues", "write"))),
    ("POST PUT PATCH", r"/pulls/\d+/(reviews|comments)(/\d+(/events|/dismissals)?)?",
     (("pull-requests", "write"),)),
    ("GET", r"/commits/[0-9a-f]+/pulls", (("pull-requests", "read"),)),
    # Comments on a pull request's conversation go through the issues API: either scope works.
    ("GET", r"/issues/\d+(/comments)?", (("pull-requests", "read"), ("issues", "read"))),
    ("POST PATCH", r"/issues/(\d+/comments|comments/\d+)",
     (("pull-requests", "write"), ("issues", "write"))),
    ("GET", r"/commits/[0-9a-f]+/comments", (("contents", "read"),)),
    ("POST", r"/commits/[0-9a-f]+/comments", (("contents", "write"),)),
    ("PATCH", r"/comments/\d+", (("contents", "write"),)),
    ("GET", r"/(contents/.*|compare/.*|commits(/[0-9a-f]+)?|git/.*)", (("contents", "read"),)),
    ("GET", r"/check-runs(/\d+)?|/commits/[0-9a-f]+/check-runs", (("checks", "read"),)),
    ("POST PATCH", r"/check-runs(/\d+)?", (("checks", "write"),)),
    ("GET", r"/actions/.*", (("actions", "read"),)),
    ("GET", r"/deployments(/\d+(/statuses)?)?", (("deployments", "read"),)),
)  # fmt: skip
_RULES = tuple(
    (frozenset(methods.split()), re.compile(f"{_REPO}(?:{path})"), grants)
    for methods, path, grants in _TABLE
)


# Log downloads redirect to a short-lived signed URL off the API (the test proxy serves it
# under /blobs/): fetching it needs no token at all.
_UNAUTHENTICATED = re.compile(r"/blobs/.+")
# Routes a workflow's GITHUB_TOKEN (an app installation token) is always refused, whatever the
# job's permissions; code that asks must cope with the 403 (e.g. "who am I" for comment ownership).
_NEVER_FOR_WORKFLOW_TOKEN = (("GET", "/user"),)
# GraphQL has one route for everything; the only operations cicd-agent sends there are review's
# on its own review threads (list, resolve, hide as outdated), which need pull-requests: write.
_GRAPHQL = re.compile(r"(?:/api)?/graphql")


def required(method: str, api_path: str) -> tuple[Grant, ...]:
    """The grants of which any one lets the token make this request; none for a signed URL and
    for the routes no workflow token may use (they are refused, see forbidden_routes)."""
    if method == "GET" and _UNAUTHENTICATED.fullmatch(api_path):
        return ()
    if (method, api_path) in _NEVER_FOR_WORKFLOW_TOKEN:
        return ()
    if method == "POST" and _GRAPHQL.fullmatch(api_path):
        return (("pull-requests", "write"),)
    for methods, pattern, grants in _RULES:
        if method in methods and pattern.fullmatch(api_path):
            return grants
    raise AssertionError(
        f"no permission known for {method} {api_path}: add the endpoint to token_permissions.py"
    )


def granted(permissions: Mapping[str, str] | str | None) -> dict[str, int]:
    """A job's ``permissions:`` as scope → level (0 none, 1 read, 2 write)."""
    if permissions in (None, "read-all", "write-all"):
        raise AssertionError(f"permissions must list scopes explicitly, got {permissions!r}")
    assert isinstance(permissions, Mapping)
    levels = {str(scope): LEVELS[str(level)] for scope, level in permissions.items()}
    levels["metadata"] = max(levels.get("metadata", 0), LEVELS["read"])
    return levels


@dataclass(frozen=True)
class Denied:
    """A request the job's token would have been refused, and what would have allowed it."""

    method: str
    path: str
    needs: tuple[Grant, ...]

    def __str__(self) -> str:
        options = " or ".join(f"{scope}: {level}" for scope, level in self.needs)
        return f"{self.method} {self.path} needs {options}"


def denied(permissions: Mapping[str, str], requests: Iterable[tuple[str, str]]) -> list[Denied]:
    """The requests (method, API path) that ``permissions`` would not allow."""
    levels = granted(permissions)
    refused = []
    for method, path in requests:
        needs = required(method, path)
        if needs and not any(levels.get(scope, 0) >= LEVELS[level] for scope, level in needs):
            refused.append(Denied(method, path, needs))
    return refused


def forbidden_routes(permissions: Mapping[str, str]) -> list[tuple[str, str]]:
    """(method, full API path regex) of every known route ``permissions`` do not allow.

    A scripting proxy answering these with 403 makes the mock's token as narrow as the job's
    ``GITHUB_TOKEN``, so a test sees what a user's run would do, not only what it asked for.
    """
    levels = granted(permissions)
    return [
        (method, pattern.pattern)
        for methods, pattern, grants in _RULES
        if not any(levels.get(scope, 0) >= LEVELS[level] for scope, level in grants)
        for method in sorted(methods)
    ] + [(method, re.escape(path)) for method, path in _NEVER_FOR_WORKFLOW_TOKEN]


# What each cicd-agent step needs to do everything it is configured to do (README, "Modes in
# detail"), and what the other actions the examples use need.
def step_needs(mode: str, inputs: Mapping[str, str]) -> dict[str, str]:
    """The permissions of a cicd-agent step in ``mode`` with these ``with:`` inputs."""
    flag = {k: str(v).strip().lower() in ("true", "yes", "1", "on") for k, v in inputs.items()}
    if mode == "review":
        if inputs.get("publish-from"):
            return {"pull-requests": "write", "checks": "write"}
        # Even a dry run asks GitHub whose pull request it is (trust is GitHub's answer).
        if flag.get("dry-run"):
            return {"pull-requests": "read"}
        return {"pull-requests": "write", "checks": "write"}
    if mode == "gen-tests":
        # Whose pull request it is decides whether its code may stand as proof.
        reads = {"pull-requests": "read"}
        return {**reads, "contents": "write"} if flag.get("push") else reads
    if mode == "analyse-failure":
        needs = {"actions": "read", "pull-requests": "write"}
        return {**needs, "contents": "write"} if inputs.get("fix") == "pr" else needs
    if mode == "deploy-gate":
        return (
            {} if inputs.get("phase") == "canary" else {"pull-requests": "read", "actions": "read"}
        )
    if mode == "command":
        return _command_needs(inputs)
    if mode == "test-step":  # whether a pull request's author can push
        return {"pull-requests": "read"}
    if mode in ("build", "eval"):  # the sticky comment with the report
        return {"pull-requests": "write"}
    raise AssertionError(f"unknown mode {mode!r}")


def _command_needs(inputs: Mapping[str, str]) -> dict[str, str]:
    """Every command reacts, reads the pull request and replies (``pull-requests: write``);
    review also publishes its check run, explain-failure reads the run's jobs and logs."""
    listed = {c.strip() for c in str(inputs.get("commands", "")).split(",") if c.strip()}
    chosen = listed or {"review", "describe", "ask", "gen-tests", "explain-failure"}
    needs: list[dict[str, str]] = [{"pull-requests": "write"}]
    if "review" in chosen:
        needs.append({"checks": "write"})
    if "explain-failure" in chosen:
        needs.append({"actions": "read"})
    if "gen-tests" in chosen and str(inputs.get("push", "")).lower() == "true":
        needs.append({"contents": "write"})
    return union(*needs)


ACTION_NEEDS: dict[str, dict[str, str]] = {
    "actions/checkout": {"contents": "read"},
    "actions/setup-python": {},
    "actions/setup-node": {},
    "actions/setup-go": {},  # it reads no token (go.mod names the version)
    "actions/upload-artifact": {},
    "docker/setup-buildx-action": {},
    "github/codeql-action/upload-sarif": {"security-events": "write"},
}


def action_needs(action: str, inputs: Mapping[str, str]) -> dict[str, str]:
    """What another action's step needs; download-artifact reads another run's artifacts."""
    if action == "actions/download-artifact":
        return {"actions": "read"} if inputs.get("run-id") else {}
    if action not in ACTION_NEEDS:
        raise AssertionError(f"no permissions known for {action}: add it to ACTION_NEEDS")
    return ACTION_NEEDS[action]


def union(*needs: Mapping[str, str]) -> dict[str, str]:
    """The least permissions that cover every one of ``needs``."""
    merged: dict[str, str] = {}
    for need in needs:
        for scope, level in need.items():
            if LEVELS[level] > LEVELS[merged.get(scope, "none")]:
                merged[scope] = level
    return merged
