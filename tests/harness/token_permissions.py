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
    ("GET", r"/pulls(/\d+(/(files|commits|reviews|comments))?)?", (("pull-requests", "read"),)),
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


def required(method: str, api_path: str) -> tuple[Grant, ...]:
    """The grants of which any one lets the token make this request (none for a signed URL)."""
    if method == "GET" and _UNAUTHENTICATED.fullmatch(api_path):
        return ()
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


def denied(
    permissions: Mapping[str, str], requests: Iterable[tuple[str, str]]
) -> list[Denied]:
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
    ]
