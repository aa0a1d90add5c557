"""Closing the review threads we started once a later push fixed what they pointed at (GraphQL alone
resolves a thread or hides a comment as outdated).

A thread is ours to close only when its first comment is ours
(:func:`~cicd_agent.github.comments.is_ours`) and nobody else replied: a person's reply keeps the
conversation open. A thread the token may not resolve is hidden where it may, else left with the
reason; one refusal never stops the run's other writes. Earlier review bodies of ours are hidden
the same way (:func:`hide_earlier_reviews`), so the conversation shows one current verdict."""

from __future__ import annotations

import re
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from cicd_agent.actions.errors import GitHubError
from cicd_agent.github.comments import is_ours
from cicd_agent.github.models import SentRequest, WriteOutcome

if TYPE_CHECKING:
    from cicd_agent.github.transport import Transport

REVIEW_HEADING = "**cicd-agent review**"
"""How every body of review's reviews begins (a later run hides the earlier ones by it)."""
PAGES = 10
"""Pages of 100 threads or reviews read at most (a pull request with more leaves the rest)."""

_PAGE = """
query($owner: String!, $name: String!, $number: Int!, $after: String) {
  repository(owner: $owner, name: $name) {
    pullRequest(number: $number) {
      CONNECTION(first: 100, after: $after) {
        pageInfo { hasNextPage endCursor }
        nodes { NODE }
      }
    }
  }
}"""
"""One page of a pull request's connection (``CONNECTION``, each node's fields ``NODE``)."""
_MINIMIZABLE = "id databaseId isMinimized viewerCanMinimize"
_THREADS = _PAGE.replace("CONNECTION", "reviewThreads").replace(
    "NODE", f"id isResolved viewerCanResolve comments(first: 1) {{ nodes {{ {_MINIMIZABLE} }} }}"
)
_REVIEWS = _PAGE.replace("CONNECTION", "reviews").replace("NODE", _MINIMIZABLE)
_RESOLVE = """
mutation($thread: ID!) {
  resolveReviewThread(input: {threadId: $thread}) { thread { isResolved } }
}"""
_HIDE = """
mutation($comment: ID!) {
  minimizeComment(input: {subjectId: $comment, classifier: OUTDATED}) {
    minimizedComment { isMinimized }
  }
}"""


@dataclass(frozen=True)
class OpenThread:
    """An open review thread we started and nobody else answered, as GitHub listed it."""

    key: str
    """Group 1 of the marker on its first comment (review: the finding's fingerprint)."""
    thread_id: str
    comment_id: str
    """The first comment's GraphQL id (what ``minimizeComment`` takes)."""
    can_resolve: bool
    can_hide: bool


def open_threads(
    client: Transport, number: int, marker: re.Pattern[str], keys: Collection[str]
) -> list[OpenThread]:
    """The open threads on ``number`` whose first comment is ours and carries ``marker`` with a
    key in ``keys``, and in which only we wrote."""
    wanted = set(keys)
    if not wanted:
        return []

    def ours() -> dict[int, str]:
        started: dict[int, str] = {}
        answered: set[int] = set()
        for comment in client.repository.get_pull(number).get_review_comments():
            body = comment.body or ""
            match = marker.search(body)
            mine = "<!-- cicd-agent" in body and is_ours(client, comment)
            if comment.in_reply_to_id is not None:
                if not mine:
                    answered.add(comment.in_reply_to_id)
            elif match is not None and match.group(1) in wanted and mine:
                started[comment.id] = match.group(1)
        return {cid: key for cid, key in started.items() if cid not in answered}

    started = client.read(f"listing the review comments of #{number}", ours)
    if not started:
        return []
    found: list[OpenThread] = []
    for node in _nodes(client, number, _THREADS, "reviewThreads"):
        first = (node["comments"]["nodes"] or [None])[0]
        if node["isResolved"] or not first or first["databaseId"] not in started:
            continue
        found.append(
            OpenThread(
                key=started[first["databaseId"]],
                thread_id=node["id"],
                comment_id=first["id"],
                can_resolve=bool(node["viewerCanResolve"]),
                can_hide=bool(first["viewerCanMinimize"]) and not first["isMinimized"],
            )
        )
    return found


def hide_earlier_reviews(client: Transport, number: int, latest: int) -> list[WriteOutcome]:
    """Hide as outdated the bodies of review's earlier reviews on ``number`` (they begin with
    :data:`REVIEW_HEADING`): only ours (a person may write the same words), only those posted
    before ``latest`` (a run on an older head finishing last must not hide the newer verdict),
    never one already hidden."""

    def ours() -> set[int]:
        reviews = client.repository.get_pull(number).get_reviews()
        return {
            r.id
            for r in reviews
            if r.id < latest and (r.body or "").startswith(REVIEW_HEADING) and is_ours(client, r)
        }

    earlier = client.read(f"listing the reviews of #{number}", ours)
    what = "hiding an earlier review"
    outcomes: list[WriteOutcome] = []
    for node in _nodes(client, number, _REVIEWS, "reviews") if earlier else ():
        if node["databaseId"] not in earlier or node["isMinimized"]:
            continue
        if not node["viewerCanMinimize"]:
            outcomes.append(WriteOutcome(what, "skipped", reason="the token may not hide it"))
            continue
        outcomes.append(_mutate(client, what, _HIDE, {"comment": node["id"]}))
    return outcomes


def _nodes(client: Transport, number: int, query: str, connection: str) -> Iterator[Any]:
    """The nodes of pull request ``number``'s ``connection`` that ``query`` reads, page by
    page (at most :data:`PAGES`); an answer without them is a :class:`GitHubError`, as a
    refusal is, so the caller's write is skipped and the run goes on."""
    owner, name = client.repo_path.split("/")[2:4]
    after: str | None = None
    for _ in range(PAGES):
        variables = {"owner": owner, "name": name, "number": number, "after": after}

        def page(variables: dict[str, Any] = variables) -> Any:
            return client._github.requester.graphql_query(query, variables)[1]

        action = f"listing the {connection} of #{number}"
        data = client.read(action, page)
        try:  # GitHub's answer, not the shape asked for: a null pull request or node
            listed = data["data"]["repository"]["pullRequest"][connection]
            nodes, more = listed["nodes"] or (), listed["pageInfo"]["hasNextPage"]
            after = listed["pageInfo"]["endCursor"]
        except (KeyError, TypeError) as exc:
            raise GitHubError(f"{action}: GitHub's answer had no {connection} ({exc})") from exc
        yield from (node for node in nodes if node is not None)
        if not more:
            return


def close_thread(client: Transport, thread: OpenThread) -> WriteOutcome:
    """Resolve ``thread``; hide its first comment as outdated where the token may not resolve
    it; else say, as the outcome's reason, that it may do neither."""
    if thread.can_resolve:
        return _mutate(client, "resolving a review thread", _RESOLVE, {"thread": thread.thread_id})
    if thread.can_hide:
        what = "hiding an outdated review comment"
        return _mutate(client, what, _HIDE, {"comment": thread.comment_id})
    return WriteOutcome(
        "resolving a review thread",
        "skipped",
        reason="the token may neither resolve the thread nor hide its comment",
    )


def _mutate(client: Transport, what: str, query: str, variables: dict[str, Any]) -> WriteOutcome:
    """One GraphQL mutation under the client's write policy. GitHub answers a refusal with 200
    and an ``errors`` list: that is this write skipped with GitHub's words, not a denial of
    every later write."""
    requester = client._github.requester
    request = SentRequest("POST", requester.graphql_url, {"query": query, "variables": variables})
    if client.dry_run:
        return WriteOutcome(what, "dry_run", (request,), reason="dry run: nothing was sent")
    answer = client._guarded(
        what, lambda: requester.requestJsonAndCheck("POST", request.path, input=request.body)
    )
    if answer is None:
        return WriteOutcome(what, "skipped", (request,), reason=client.capability.reason)
    errors = answer[1].get("errors") if isinstance(answer[1], dict) else None
    if errors:
        said = "; ".join(str(e.get("message", e)) for e in errors if isinstance(e, dict))
        return WriteOutcome(what, "skipped", (request,), reason=f"GitHub refused it ({said})")
    return WriteOutcome(what, "updated", (request,))
