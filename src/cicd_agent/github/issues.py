"""A flaky test's issue, opened once and updated on every later run: found by our marker among
the flaky label's issues we wrote (a pasted marker is neither edited nor trusted), reopened if
closed, and closed with a comment once its test passed a set number of runs in a row."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from functools import partial
from typing import TYPE_CHECKING

from cicd_agent.actions.errors import GitHubError
from cicd_agent.actions.markdown import Neutral
from cicd_agent.analysis.codeowners import Owners
from cicd_agent.analysis.flaky_issue import Closing
from cicd_agent.github.comments import is_ours, marker, with_marker
from cicd_agent.github.models import WriteOutcome

if TYPE_CHECKING:
    from cicd_agent.github.transport import Transport

LABEL = "flaky-test"
"""The label every flaky test's issue carries (the list a re-run searches)."""
MAX_ASSIGNEES = 10
"""GitHub assigns at most ten people to an issue."""
MAX_TEAMS = 3
"""Teams of one file read for their members (a request each)."""
_SLUG = re.compile(r"[a-z0-9][a-z0-9_-]{0,99}")
"""A team's slug as GitHub makes it from the team's name: no ``.``, no ``/``."""
_LOGIN = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})")
MAX_LISTED = 500
"""Labelled issues read looking for ours (a repository with more flaky issues has bigger
problems; past it a second issue may be opened)."""


def upsert_flaky_issue(
    client: Transport, key: str, title: Neutral, body: Neutral, *, owners: Owners
) -> WriteOutcome:
    """Open or update the issue under ``key`` (its marker), labelled :data:`LABEL`; ``owners``
    (CODEOWNERS' logins: teams cannot be assigned) are assigned on opening, each asked
    first whether it can be (GitHub refuses the whole issue for one that cannot)."""
    mark, repo = marker(key), client.repo_path
    payload = {"title": str(title), "body": str(with_marker(body, key))}

    def find() -> int | None:
        issues = client.repository.get_issues(state="all", labels=[LABEL])
        for number, issue in enumerate(issues):
            if number >= MAX_LISTED:
                break
            if (issue.body or "").rstrip().endswith(mark) and is_ours(client, issue):
                return int(issue.number)
        return None

    existing = client.read(f"listing the issues labelled {LABEL}", find)
    if existing is not None:
        return client._send(
            f"updating issue #{existing}",
            "PATCH",
            f"{repo}/issues/{existing}",
            {**payload, "state": "open"},
            status="updated",
        )
    users, said = _people(client, owners)
    assignable = client.read(
        "checking who can be assigned",
        lambda: [user for user in users if client.repository.has_in_assignees(user)],
    )
    opened = client._send(
        "opening a flaky test's issue",
        "POST",
        f"{repo}/issues",
        {**payload, "labels": [LABEL], "assignees": assignable},
        status="created",
    )
    return replace(opened, reason="; ".join(filter(None, (opened.reason, said))))


def _people(client: Transport, owners: Owners) -> tuple[list[str], str]:
    """The logins to assign: CODEOWNERS' own, then its teams' members (GitHub assigns people), at
    most :data:`MAX_ASSIGNEES`. Only the repository's organisation's teams, by a slug GitHub
    could have made, so no CODEOWNERS name shapes another request. A team the token cannot read
    (the workflow's own token cannot) is named, not assigned."""
    people = list(owners.users)
    organisation = client.repo_path.split("/")[2].lower()
    read, unread = [], []
    for name in owners.teams[:MAX_TEAMS]:
        org, slug = name[1:].lower().split("/", 1)
        if org != organisation or not _SLUG.fullmatch(slug) or len(people) >= MAX_ASSIGNEES:
            continue
        try:
            people += client.read(
                f"reading the members of {name}", partial(_members, client, org, slug)
            )
            read.append(name)
        except GitHubError:
            unread.append(name)
    said = [
        f"assigned through {', '.join(read)}" if read else "",
        f"the members of {', '.join(unread)} could not be read (a token with the "
        "organisation's members: read permission can), so the team was not assigned"
        if unread
        else "",
    ]
    return list(dict.fromkeys(people))[:MAX_ASSIGNEES], "; ".join(filter(None, said))


def _members(client: Transport, org: str, slug: str) -> list[str]:
    """The logins of team ``slug``'s first members (one page of :data:`MAX_ASSIGNEES`)."""
    _, data = client.repository.requester.requestJsonAndCheck(
        "GET", f"/orgs/{org}/teams/{slug}/members", parameters={"per_page": MAX_ASSIGNEES}
    )
    members = data if isinstance(data, list) else []
    logins = [str(m.get("login", "")) for m in members[:MAX_ASSIGNEES] if isinstance(m, dict)]
    return [login for login in logins if _LOGIN.fullmatch(login)]


_KEY_AT_END = re.compile(r"<!-- cicd-agent:(flaky-test:[0-9a-f]{20}) -->\s*\Z")


def close_stable_issues(client: Transport, stable: Sequence[Closing]) -> list[WriteOutcome]:
    """Close each open issue of ours whose key is one of ``stable``'s (a test now stable),
    after that one's comment (the runs it passed); the rest are left as they are."""
    repo = client.repo_path
    closing = {close.key: close.comment for close in stable}

    def find() -> list[tuple[int, str]]:
        found = []
        issues = client.repository.get_issues(state="open", labels=[LABEL])
        for number, issue in enumerate(issues):
            if number >= MAX_LISTED:
                break
            key = _KEY_AT_END.search(issue.body or "")
            if key and key[1] in closing and is_ours(client, issue):
                found.append((int(issue.number), key[1]))
        return found

    outcomes = []
    for number, key in client.read(f"listing the open issues labelled {LABEL}", find):
        said = client._send(
            f"saying why issue #{number} is closed",
            "POST",
            f"{repo}/issues/{number}/comments",
            {"body": str(closing[key])},
            status="created",
        )
        if said.status not in ("created", "dry_run"):
            outcomes.append(said)
            continue
        outcomes.append(
            client._send(
                f"closing issue #{number}",
                "PATCH",
                f"{repo}/issues/{number}",
                {"state": "closed", "state_reason": "completed"},
                status="updated",
            )
        )
    return outcomes
