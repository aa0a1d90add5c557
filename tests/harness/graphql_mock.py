"""GitHub's GraphQL endpoint for the scripting proxy: validating, with review threads as state.

Prism serves only the REST description, so ``POST /graphql`` (``/api/graphql`` on GitHub
Enterprise Server) is answered here. Every request is parsed and validated by graphql-core
against GitHub's public schema (the subset in ``github-graphql.graphql``, see
``graphql_subset.py``): a query GitHub would refuse is recorded as a rejection, which fails the
test as Prism's do. Valid queries run against the review threads and reviews a test put in
``threads`` and ``reviews``; the mutations change them as GitHub would, refusing
(``FORBIDDEN``, HTTP 200, GitHub's shape) what their ``viewer_can_*`` does not allow.
"""

from __future__ import annotations

import functools
import json
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from graphql import GraphQLError, GraphQLSchema, build_schema, graphql_sync

SCHEMA = Path(__file__).with_name("github-graphql.graphql")
PATHS = frozenset({"/graphql", "/api/graphql"})
PAGE_MAX = 100


@functools.cache
def schema() -> GraphQLSchema:
    return build_schema(SCHEMA.read_text(encoding="utf-8"))


class _Forbidden(GraphQLError):
    def __init__(self, message: str) -> None:
        super().__init__(message, extensions={"type": "FORBIDDEN"})


@dataclass
class Thread:
    """A review thread of pull request ``number``: its first comment is REST comment ``root``."""

    number: int
    root: int
    resolved: bool = False
    viewer_can_resolve: bool = True
    minimized: bool = False
    viewer_can_minimize: bool = True
    refuse: bool = False
    """GitHub lists what the token may do but refuses the mutation anyway, as it can for an
    integration's token ("Resource not accessible by integration")."""

    @property
    def id(self) -> str:
        return f"PRRT_{self.root}"

    @property
    def comment_id(self) -> str:
        return f"PRRC_{self.root}"


@dataclass
class Review:
    """A review of pull request ``number`` whose REST id is ``database_id``."""

    number: int
    database_id: int
    minimized: bool = False
    viewer_can_minimize: bool = True

    @property
    def id(self) -> str:
        return f"PRR_{self.database_id}"

    def node(self) -> dict[str, Any]:
        return {
            "__typename": "PullRequestReview",
            "id": self.id,
            "databaseId": self.database_id,
            "isMinimized": self.minimized,
            "viewerCanMinimize": self.viewer_can_minimize,
        }


@dataclass
class GraphQLMock:
    threads: list[Thread] = field(default_factory=list)
    reviews: list[Review] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def reset(self) -> None:
        with self._lock:
            self.threads.clear()
            self.reviews.clear()
            self.rejected.clear()

    def answer(self, body: bytes) -> tuple[int, bytes]:
        """GitHub's answer to one request: 200 with ``data`` and/or ``errors``."""
        try:
            request = json.loads(body)
            query, variables = request["query"], request.get("variables") or {}
        except (ValueError, KeyError, TypeError) as exc:
            self.rejected.append(f"POST /graphql: not a GraphQL request ({exc!r})")
            return 400, json.dumps({"message": "Problems parsing JSON"}).encode()
        with self._lock:
            result = graphql_sync(
                schema(), query, root_value=self._root(), variable_values=variables
            )
        errors = [
            {"message": e.message, "path": e.path, **(e.extensions or {})}
            for e in result.errors or ()
        ]
        if result.data is None and errors:  # unparsable, invalid or wrongly typed variables
            self.rejected.append(f"POST /graphql: {' | '.join(e['message'] for e in errors)}")
        reply: dict[str, Any] = {"data": result.data}
        if errors:
            reply["errors"] = errors
        return 200, json.dumps(reply).encode()

    def _thread(self, node_id: str, attribute: str) -> Thread:
        for thread in self.threads:
            if getattr(thread, attribute) == node_id:
                return thread
        raise GraphQLError(f"Could not resolve to a node with the global id of '{node_id}'")

    def _root(self) -> dict[str, Any]:
        return {
            "repository": lambda _info, owner, name, **_: {
                "pullRequest": lambda _info, number: {
                    "reviewThreads": lambda _info, **page: self._page(number, **page),
                    "reviews": lambda _info, **page: self._page(number, reviews=True, **page),
                }
            },
            "resolveReviewThread": lambda _info, input: {"thread": self._resolve(input)},
            "minimizeComment": lambda _info, input: {"minimizedComment": self._minimize(input)},
        }

    def _page(
        self,
        number: int,
        first: int | None = None,
        after: str | None = None,
        reviews: bool = False,
        **_: Any,
    ) -> Any:
        connection = "reviews" if reviews else "reviewThreads"
        if first is None or not 1 <= first <= PAGE_MAX:
            raise GraphQLError(
                "You must provide a `first` or `last` value to properly paginate the "
                f"`{connection}` connection (at most 100)."
            )
        listed: list[Any] = [i for i in (self.reviews if reviews else self.threads)
                             if i.number == number]  # fmt: skip
        start = int(after) if after else 0
        page = listed[start : start + first]
        return {
            "nodes": [i.node() if reviews else self._node(i) for i in page],
            "pageInfo": {
                "hasNextPage": start + first < len(listed),
                "endCursor": str(start + len(page)) if page else None,
            },
        }

    @staticmethod
    def _node(thread: Thread) -> dict[str, Any]:
        comment = {
            "id": thread.comment_id,
            "databaseId": thread.root,
            "isMinimized": thread.minimized,
            "viewerCanMinimize": thread.viewer_can_minimize,
        }
        return {
            "id": thread.id,
            "isResolved": thread.resolved,
            "viewerCanResolve": thread.viewer_can_resolve,
            "comments": lambda _info, **_: {"nodes": [comment]},
        }

    def _resolve(self, given: dict[str, Any]) -> dict[str, Any]:
        thread = self._thread(given["threadId"], "id")
        if thread.refuse or not thread.viewer_can_resolve:
            raise _Forbidden("Resource not accessible by integration")
        thread.resolved = True
        return self._node(thread)

    def _minimize(self, given: dict[str, Any]) -> dict[str, Any]:
        review = next((r for r in self.reviews if r.id == given["subjectId"]), None)
        if review is not None:
            if not review.viewer_can_minimize:
                raise _Forbidden("Resource not accessible by integration")
            review.minimized = True
            return review.node()
        thread = self._thread(given["subjectId"], "comment_id")
        if thread.refuse or not thread.viewer_can_minimize:
            raise _Forbidden("Resource not accessible by integration")
        thread.minimized = True
        comment = self._node(thread)["comments"](None)["nodes"][0]
        return {"__typename": "PullRequestReviewComment", **comment}
