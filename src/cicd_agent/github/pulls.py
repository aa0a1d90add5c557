"""Pull requests: read one and its files, post a review, see where reviews stand, and open one
from a new branch made through the Git Data API."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import InitVar, dataclass
from itertools import islice
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from github import GithubException, InputGitTreeElement
from github.PullRequest import PullRequest
from github.PullRequestReview import PullRequestReview

from cicd_agent.actions.errors import GitHubError
from cicd_agent.actions.markdown import Neutral
from cicd_agent.analysis.pr_body import Placed, place
from cicd_agent.github.limits import COMMENT_BODY_MAX, PULL_BODY_MAX, fit
from cicd_agent.github.models import (
    ChangedFile,
    FileChange,
    PullRequestInfo,
    ReviewComment,
    ReviewDecision,
    ReviewEvent,
    ReviewVerdict,
    WriteOutcome,
)

if TYPE_CHECKING:
    from cicd_agent.github.transport import Transport


def _info(pull: PullRequest) -> PullRequestInfo:
    """Only fields that list responses carry too, so listing never fetches each pull again."""
    head_repo = pull.head.repo.full_name if pull.head.repo is not None else ""
    return PullRequestInfo(
        number=pull.number,
        title=pull.title or "",
        body=pull.body or "",
        state=pull.state,
        draft=bool(pull.draft),
        merged=pull.merged_at is not None,
        author=pull.user.login if pull.user is not None else "",
        html_url=pull.html_url,
        head_sha=pull.head.sha,
        head_ref=pull.head.ref,
        head_repo=head_repo,
        base_sha=pull.base.sha,
        base_ref=pull.base.ref,
        base_repo=pull.base.repo.full_name,
    )


_ANSWERED = object()
"""Only :func:`read_body` makes a :class:`PullBody`: its constructor asks for this object."""


@dataclass(frozen=True)
class PullBody:
    """Pull request ``number``'s description as we write it back: the body GitHub answered right
    before the edit, with our ``section`` placed in it
    (:func:`cicd_agent.analysis.pr_body.place`). Only :func:`read_body` builds one, so the text
    around our section is GitHub's answer, never a caller's string (a model's words would be
    posted raw)."""

    number: int
    answered: str
    section: Neutral
    placed: Collection[str] = ()
    issuer: InitVar[object] = None

    def __post_init__(self, issuer: object) -> None:
        if issuer is not _ANSWERED:
            raise TypeError("a PullBody is read from GitHub by cicd_agent.github.pulls.read_body")

    @property
    def placing(self) -> Placed:
        return place(self.answered, self.number, self.section, self.placed)


def read_body(
    client: Transport, number: int, section: Neutral, placed: Collection[str]
) -> PullBody:
    """Pull request ``number``'s body as GitHub answers now, with ``section`` to place in it."""
    answered = get_pull_request(client, number).body
    return PullBody(number, answered, section, tuple(placed), issuer=_ANSWERED)


def get_pull_request(client: Transport, number: int) -> PullRequestInfo:
    return client.read(
        f"reading pull request #{number}", lambda: _info(client.repository.get_pull(number))
    )


def list_changed_files(client: Transport, number: int) -> list[ChangedFile]:
    """Every file of the pull request, all pages (GitHub stops at 3,000 files)."""

    def collect() -> list[ChangedFile]:
        return [
            ChangedFile(
                filename=f.filename,
                status=f.status,
                additions=f.additions,
                deletions=f.deletions,
                patch=f.patch or "",
                previous_filename=f.previous_filename or "",
            )
            for f in client.repository.get_pull(number).get_files()
        ]

    return client.read(f"listing the files of pull request #{number}", collect)


def create_review(
    client: Transport,
    number: int,
    *,
    body: Neutral,
    event: ReviewEvent = "COMMENT",
    comments: Sequence[ReviewComment] = (),
    commit_sha: str = "",
) -> WriteOutcome:
    """Post one review; ``commit_sha`` pins inline comments to the commit that was reviewed.
    ``body`` and each comment's are neutral text: nothing a pull request wrote is live."""
    payload: dict[str, Any] = {
        "body": fit(body, COMMENT_BODY_MAX),
        "event": event,
        "comments": [c.payload() for c in comments],
    }
    if commit_sha:
        payload["commit_id"] = commit_sha
    return client._send(
        f"posting the review on pull request #{number}",
        "POST",
        f"{client.repo_path}/pulls/{number}/reviews",
        payload,
        status="created",
    )


def edit_body(client: Transport, body: PullBody) -> WriteOutcome:
    number = body.number
    return client._send(
        f"updating the description of pull request #{number}",
        "PATCH",
        f"{client.repo_path}/pulls/{number}",
        {"body": body.placing.body},
        status="updated",
    )


def create_draft_pull(
    client: Transport, *, base: str, head: str, title: Neutral, body: Neutral
) -> str | None:
    """Open a draft pull request from ``head`` into ``base``: its address, None when the write
    was not made (``client.capability`` says why). Title and body are neutral text, as for
    every poster: the body carries the model's words and the patch."""
    made = client._guarded(
        f"opening the draft pull request from {head}",
        lambda: client.repository.create_pull(
            base=base, head=head, title=title, body=fit(body, PULL_BODY_MAX), draft=True
        ),
    )
    return None if made is None else str(made.html_url)


def probe_review_comment(
    client: Transport, number: int, comment: ReviewComment, commit_sha: str
) -> bool:
    """Whether GitHub accepts ``comment``, asked in a pending review (visible only to its author)
    deleted at once: a 422 means it refuses the line. Used after a whole review was refused, to
    find the comments at fault."""
    path = f"{client.repo_path}/pulls/{number}/reviews"
    body = {"commit_id": commit_sha, "body": "", "comments": [comment.payload()]}
    try:
        pending = client._send(
            f"checking a review comment on #{number}", "POST", path, body, status="created"
        )
    except GitHubError as exc:
        if exc.status == 422:
            return False
        raise
    if pending.id is not None:
        client._send(
            f"deleting the pending review on #{number}",
            "DELETE",
            f"{path}/{pending.id}",
            {},
            status="updated",
        )
    return True


def pulls_for_commit(client: Transport, sha: str) -> list[PullRequestInfo]:
    """Pull requests that contain commit ``sha`` (merged ones included)."""
    return client.read(
        f"listing the pull requests of commit {sha[:12]}",
        lambda: [_info(p) for p in client.repository.get_commit(sha).get_pulls()],
    )


def open_pulls_from(client: Transport, owner: str, branch: str) -> list[PullRequestInfo]:
    """Open pull requests whose head is ``owner:branch``: the one listing that finds a fork's
    pull request (GitHub lists none for a commit only in a fork, and
    ``workflow_run.pull_requests`` is empty for forks)."""
    return client.read(
        f"listing the open pull requests from {owner}:{branch}",
        lambda: [
            _info(p) for p in client.repository.get_pulls(state="open", head=f"{owner}:{branch}")
        ],
    )


def decide(number: int, merged: bool, reviews: Iterable[PullRequestReview]) -> ReviewDecision:
    """Each reviewer's latest approving, blocking or dismissed review counts; comments do not."""
    latest: dict[str, str] = {}
    for review in reviews:
        if review.state in ("APPROVED", "CHANGES_REQUESTED", "DISMISSED") and review.user:
            latest[review.user.login] = review.state
    verdict: ReviewVerdict = "review_required"
    if "CHANGES_REQUESTED" in latest.values():
        verdict = "changes_requested"
    elif "APPROVED" in latest.values():
        verdict = "approved"
    return ReviewDecision(number, merged, verdict)


def review_decisions(client: Transport, sha: str) -> list[ReviewDecision]:

    def collect() -> list[ReviewDecision]:
        pulls = client.repository.get_commit(sha).get_pulls()
        return [decide(p.number, p.merged_at is not None, p.get_reviews()) for p in pulls]

    return client.read(f"reading the reviews of the pull requests of {sha[:12]}", collect)


MAX_AUTHOR_COMMITS = 100
"""Past commits of a pull request's author read for the addresses GitHub links to them."""


def pull_holding(client: Transport, sha: str) -> int | None:
    """The pull request that brought ``sha`` here, or None: one merged into this repository
    first, then one from it, then the first listed with an author. Anyone can open a pull request
    whose head is an already merged commit, and GitHub may list it first: its author is not the
    one whose change this is."""

    def find() -> int | None:
        listed = [p for p in islice(client.repository.get_commit(sha).get_pulls(), 100) if p.user]
        if not listed:
            return None
        here = client.repository.full_name

        def rank(pull: PullRequest) -> tuple[bool, bool]:
            own = pull.head.repo is not None and pull.head.repo.full_name == here
            return pull.merged_at is None, not own

        return min(listed, key=rank).number

    return client.read(f"finding the pull request of {sha[:12]}", find)


def landed_emails(client: Transport, login: str, base: str) -> tuple[str, ...]:
    """The e-mail addresses of ``login``'s commits in ``base``'s history (GitHub links a commit
    to an account only by an address the account verified, and these commits already landed)."""

    def collect() -> tuple[str, ...]:
        commits = client.repository.get_commits(sha=base, author=login)
        emails = {
            commit.commit.author.email.lower()
            for commit in islice(commits, MAX_AUTHOR_COMMITS)
            if commit.commit.author is not None and commit.commit.author.email
        }
        return tuple(sorted(emails))

    return client.read(f"reading the commits of {login}", collect)


def branch_exists(client: Transport, branch: str) -> bool:
    """Whether ``refs/heads/<branch>`` exists (matching refs share a prefix: compare whole)."""
    wanted = f"refs/heads/{branch}"
    return client.read(
        f"looking for the branch {branch}",
        lambda: any(
            ref.ref == wanted for ref in client.repository.get_git_matching_refs(f"heads/{branch}")
        ),
    )


def branch_holds(client: Transport, branch: str, sha: str) -> bool:
    """Whether the repository's ``branch`` holds commit ``sha`` (compare ``branch...sha`` is
    ``identical`` or ``behind``); a branch or commit GitHub does not know (404) holds nothing.
    Compare reaches commits of the whole fork network: a fork's commit is ``ahead`` or
    ``diverged``, never held."""

    # Sent as GitHub's own clients send it: the branch one path segment, its "/" as %2F
    # (PyGithub's compare quotes its arguments again, and a queue's branch has slashes).
    path = f"{client.repository.url}/compare/{quote(branch, safe='')}...{quote(sha, safe='')}"

    def read() -> bool:
        try:
            _, data = client.repository.requester.requestJsonAndCheck("GET", path)
        except GithubException as exc:
            if exc.status == 404:
                return False
            raise
        return isinstance(data, dict) and data.get("status") in ("identical", "behind")

    return client.read(f"asking whether {branch} holds {sha[:12]}", read)


def commit_files(
    client: Transport, base_sha: str, files: Sequence[FileChange], message: Neutral
) -> str | None:
    """A commit on ``base_sha`` whose tree changes ``files`` (text None: deleted): its SHA, None
    when the write was not made (``client.capability`` says why). The message is neutral text:
    GitHub links the mentions and references in it."""

    def commit() -> str:
        repo = client.repository
        base = repo.get_git_commit(base_sha)
        elements = []
        for path, text, mode in files:  # a FileChange unpacks as (path, text, mode)
            if text is None:
                elements.append(InputGitTreeElement(path, "100644", "blob", sha=None))
                continue
            blob = repo.create_git_blob(text, "utf-8")
            elements.append(InputGitTreeElement(path, mode, "blob", sha=blob.sha))
        tree = repo.create_git_tree(elements, base.tree)
        return str(repo.create_git_commit(message, tree, [base]).sha)

    return client._guarded(f"committing to {base_sha[:12]}", commit)


def create_branch(client: Transport, branch: str, sha: str) -> bool | None:
    """A new ``branch`` at ``sha``; False when it exists already (made meanwhile: never moved,
    never overwritten), None when the write was not made."""

    def create() -> bool:
        try:
            client.repository.create_git_ref(f"refs/heads/{branch}", sha)
        except GithubException as exc:
            if exc.status == 422:
                return False
            raise
        return True

    return client._guarded(f"creating the branch {branch}", create)
