"""The transport beneath every GitHub call: one error and write policy. Reads raise
``GitHubError``; writes never raise for lack of permission, they return a ``WriteOutcome`` the
mode reports. The call modules are functions of a :class:`Transport`, bound by
:class:`~cicd_agent.github.client.GitHubClient`, so they never stand on the client that gathers
them."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Literal, TypeVar

import requests
from github import Github, GithubException
from github.Repository import Repository

from cicd_agent.actions.errors import GitHubWriteDenied
from cicd_agent.github.failures import translate, unreachable
from cicd_agent.github.models import SentRequest, WriteOutcome
from cicd_agent.github.settings import GitHubSettings, check_api_url

T = TypeVar("T")


@dataclass
class WriteCapability:
    """Whether writes are still worth trying, and every write skipped so far with its reason."""

    can_write: bool = True
    reason: str = ""
    denial: GitHubWriteDenied | None = None
    skipped: list[str] = field(default_factory=list)

    def deny(self, reason: str, denial: GitHubWriteDenied | None = None) -> None:
        self.can_write = False
        self.reason = reason
        self.denial = denial


class Transport:
    """The repository a mode works on, and the read/write policy every call goes through: what
    each call module of this package (pulls, runs, comments, …) is handed and calls back."""

    def __init__(self, github: Github, settings: GitHubSettings) -> None:
        """``github`` must be lazy (``connect`` makes it so): no request until a call needs one."""
        self._github = github
        self.api_url = check_api_url(settings.api_url)
        self.dry_run = settings.dry_run
        self.retry = settings.retry
        self.timeout_seconds = settings.timeout_seconds
        self.bot_login = settings.bot_login
        self.capability = WriteCapability()
        self.repository: Repository = github.get_repo(settings.repo)
        self.repo_path = f"/repos/{settings.repo}"

    @cached_property
    def own_login(self) -> str | None:
        """The login of the token's user, or None for tokens that cannot ask (the workflow's
        GITHUB_TOKEN and app tokens answer 403 to ``GET /user``): comments are then ours when a
        bot wrote them."""
        try:
            return str(self._github.get_user().login)
        except GithubException:
            return None
        except requests.RequestException as exc:
            raise unreachable(
                exc, action="identifying the token's user", api_url=self.api_url
            ) from exc

    def read(self, action: str, call: Callable[[], T]) -> T:
        """Run ``call`` (which may page through lists) and translate whatever GitHub answers."""
        try:
            return call()
        except GithubException as exc:
            raise translate(exc, action=action, write=False) from exc
        except requests.RequestException as exc:
            raise unreachable(exc, action=action, api_url=self.api_url) from exc

    def _guarded(self, what: str, call: Callable[[], T]) -> T | None:
        """One write made through PyGithub's own objects (the Git Data API, a pull request),
        under the policy of :meth:`_send`: None, and ``what`` listed as skipped, when the
        token may not write or GitHub refuses it; other failures translated."""
        if not self.capability.can_write:
            self.capability.skipped.append(what)
            return None
        try:
            return call()
        except GithubException as exc:
            error = translate(exc, action=what, write=True)
            if not isinstance(error, GitHubWriteDenied):
                raise error from exc
            self.capability.deny(str(error), error)
            self.capability.skipped.append(what)
            return None
        except requests.RequestException as exc:
            raise unreachable(exc, action=what, api_url=self.api_url) from exc

    def _send(
        self,
        what: str,
        method: Literal["POST", "PATCH", "PUT", "DELETE"],
        path: str,
        body: Mapping[str, Any],
        *,
        status: Literal["created", "updated"],
    ) -> WriteOutcome:
        """Send one write, or say why it was not sent; ``path`` is relative to the API root.
        Private: ``body`` is any mapping, so only this package's call modules send, each
        building it from neutral text; the public writers below take only typed values."""
        request = SentRequest(method, path, body)
        if self.dry_run:
            return WriteOutcome(what, "dry_run", (request,), reason="dry run: nothing was sent")
        # An empty body is sent as none: DELETE endpoints take no content at all.
        payload = dict(body) or None
        answer = self._guarded(
            what, lambda: self._github.requester.requestJsonAndCheck(method, path, input=payload)
        )
        if answer is None:
            return WriteOutcome(what, "skipped", (request,), reason=self.capability.reason)
        _, data = answer
        return WriteOutcome(
            what,
            status,
            (request,),
            id=data.get("id") if isinstance(data, dict) else None,
            url=str(data.get("html_url") or "") if isinstance(data, dict) else "",
        )

    def redirect_location(self, action: str, path: str) -> str:
        """Where GitHub redirects a download (logs are served from short-lived blob URLs)."""
        headers, _ = self.read(
            action, lambda: self._github.requester.requestBlobAndCheck("GET", path)
        )
        location = {k.lower(): v for k, v in headers.items()}.get("location", "")
        if not location:
            raise translate(
                GithubException(502, {"message": "no Location header in the redirect"}, headers),
                action=action,
                write=False,
            )
        return str(location)

    def default_branch(self) -> str:
        return self.read("reading the repository", lambda: self.repository.default_branch)

    def close(self) -> None:
        self._github.close()
