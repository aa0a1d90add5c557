"""A flaky test's issue, opened once and updated on every later run.

The issue is found by our hidden marker (:func:`~cicd_agent.github.comments.marker`) at the
end of its body, among the issues with the flaky label, written by us (a marker pasted into
someone else's issue is neither edited nor trusted). Found: its title and body are updated and
a closed one is reopened (the test flaked again). Not found: it is opened with the label and
the owners who can be assigned. Once its test has passed a set number of runs in a row, the
open issue is closed with a comment naming those runs.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from cicd_agent.analysis.codeowners import Owners
from cicd_agent.analysis.flaky_issue import Closing
from cicd_agent.github.comments import is_ours, marker, with_marker
from cicd_agent.github.models import WriteOutcome
from cicd_agent.runner.markdown import Neutral

if TYPE_CHECKING:
    from cicd_agent.github.transport import Transport

LABEL = "flaky-test"
"""The label every flaky test's issue carries (the list a re-run searches)."""
MAX_ASSIGNEES = 10
"""GitHub assigns at most ten people to an issue."""
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
        return client._send(f"updating issue #{existing}", "PATCH",
                            f"{repo}/issues/{existing}", {**payload, "state": "open"},
                            status="updated")  # fmt: skip
    users = owners.users[:MAX_ASSIGNEES]
    assignable = client.read(
        "checking who can be assigned",
        lambda: [user for user in users if client.repository.has_in_assignees(user)],
    )
    return client._send("opening a flaky test's issue", "POST", f"{repo}/issues",
                        {**payload, "labels": [LABEL], "assignees": assignable},
                        status="created")  # fmt: skip


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
        said = client._send(f"saying why issue #{number} is closed", "POST",
                            f"{repo}/issues/{number}/comments", {"body": str(closing[key])},
                            status="created")  # fmt: skip
        if said.status not in ("created", "dry_run"):
            outcomes.append(said)
            continue
        outcomes.append(client._send(f"closing issue #{number}", "PATCH", f"{repo}/issues/{number}",
                                     {"state": "closed", "state_reason": "completed"},
                                     status="updated"))  # fmt: skip
    return outcomes
