"""Construct the GitHub client and run every call through one error and write policy.

Everything the client needs is passed in (:class:`~cicd_agent.github.settings.GitHubSettings`),
so tests and GitHub Enterprise Server (``https://HOST/api/v3``) are just other base URLs. Reads
raise ``GitHubError``; writes never raise for lack of permission: they return a
``WriteOutcome`` saying they were skipped, and the mode reports it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Literal, TypeVar

import requests
from github import Auth, Github, GithubException
from github.Repository import Repository

from cicd_agent.github import (
    checks,
    comments,
    issues,
    permissions,
    pulls,
    reactions,
    review_threads,
    runs,
    threads,
)
from cicd_agent.github.failures import translate, unreachable
from cicd_agent.github.models import SentRequest, WriteOutcome
from cicd_agent.github.retry import build_retry
from cicd_agent.github.run_history import HistoryReader, Readers
from cicd_agent.github.settings import GitHubSettings, check_api_url
from cicd_agent.github.trust import read_commit_trust, read_trust
from cicd_agent.runner.errors import GitHubWriteDenied

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


class GitHubClient:
    """The repository a mode works on, plus the read/write policy every facade call goes through."""

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

    # The calls of deploy-gate and command, each written in its module (pulls, runs, threads,
    # comments, reactions, permissions) as a function of the client: a read is bound here as a
    # method, so a mode holding the client imports none of those modules itself. A writer is
    # bound the same way: the inspection of every writer's parameters follows the binding to
    # its module (tests/project/test_posting_typing.py).
    review_decisions = pulls.review_decisions

    def author_of_change(self, sha: str, base: str) -> tuple[str, tuple[str, ...]] | None:
        """Who GitHub says opened the pull request that landed ``sha``, with the addresses
        that author's commits landed on ``base`` use; None without one. Only the author:
        whether they may push is trust's question (read once a run), not risk's."""
        number = pulls.pull_holding(self, sha)
        author = pulls.get_pull_request(self, number).author if number is not None else ""
        return (author, pulls.landed_emails(self, author, base)) if author else None

    get_pull_request = pulls.get_pull_request
    workflow_runs = runs.list_workflow_runs
    previous_deployment_sha = runs.previous_deployment_sha
    can_write = permissions.can_write
    trust = read_trust
    commit_trust = read_commit_trust

    react = reactions.react
    thread_start = threads.thread_start
    latest_failed_run = threads.latest_failed_run
    upsert_issue_comment = comments.upsert_issue_comment
    upsert_commit_comment = comments.upsert_commit_comment
    upsert_thread_reply = comments.upsert_thread_reply
    upsert_flaky_issue = issues.upsert_flaky_issue
    close_stable_issues = issues.close_stable_issues

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

    # The calls of analyse-failure: runs, their jobs and logs, pull requests, comments, and the
    # fix's branch, bound from the module that holds each call (as above).
    workflow_run = runs.get_workflow_run
    rerun_failed_jobs = runs.rerun_failed_jobs
    run_jobs = runs.list_jobs
    download_job_log = runs.download_job_log
    download_run_logs = runs.download_run_logs

    def run_history(
        self,
        junit_zip: Callable[[bytes], dict[str, bool]],
        log: Callable[[Path, str], tuple[tuple[str, ...], str]],
        dest: Path,
    ) -> HistoryReader:
        """A reader of a run's test history, turning reports and logs into outcomes the
        mode's way (:class:`~cicd_agent.github.run_history.Readers`)."""
        return HistoryReader(self, Readers(junit_zip, log), dest)

    def default_branch(self) -> str:
        return self.read("reading the repository", lambda: self.repository.default_branch)

    changed_files = pulls.list_changed_files
    pulls_for_commit = pulls.pulls_for_commit
    our_marked_comments = comments.our_marked_comments
    branch_exists = pulls.branch_exists

    # create_review under another name: outside this package a call named like PyGithub's
    # own posters is taken for one (tests/project/test_posting_typing.py).
    post_review = pulls.create_review
    commit_files = pulls.commit_files
    create_branch = pulls.create_branch
    create_draft_pull = pulls.create_draft_pull

    # The pull request's body as GitHub answers now, with a section to place in it: the only
    # value edit_pull_body writes.
    pull_body = pulls.read_body
    edit_pull_body = pulls.edit_body

    # The calls of review (and its fork hand-off) not listed above.
    find_issue_comment = comments.find_issue_comment
    open_pulls_from = pulls.open_pulls_from
    dismissed = reactions.dismissed
    open_review_threads = review_threads.open_threads
    close_review_thread = review_threads.close_thread
    hide_earlier_reviews = review_threads.hide_earlier_reviews

    probe_review_comment = pulls.probe_review_comment
    publish_check_run = checks.publish_check_run

    def close(self) -> None:
        self._github.close()


def connect(settings: GitHubSettings) -> GitHubClient:
    """A client for ``settings.repo``; makes no request until the first call."""
    github = Github(
        base_url=check_api_url(settings.api_url),
        auth=Auth.Token(settings.token),
        retry=build_retry(settings.retry),
        timeout=settings.timeout_seconds,
        per_page=100,
        seconds_between_requests=settings.seconds_between_requests,
        seconds_between_writes=settings.seconds_between_writes,
        lazy=True,
    )
    return GitHubClient(github, settings)
