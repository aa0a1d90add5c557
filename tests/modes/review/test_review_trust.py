"""Trust comes from GitHub's answer, one value: whether a pull request is a fork, who
opened it and whether they can push are read from the API, never from the event a run was
handed. "May publish" is another question (the token's), and answering it must not make a
fork's code trusted.

Through the CLI, real git, real zizmor, and PyGithub against the OpenAPI-validating mock.
"""

from __future__ import annotations

import ast
import dataclasses
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from cicd_agent.github.trust import Trust, code_trust
from cicd_agent.job.context import RunContext
from cicd_agent.job.payloads import PullRequest
from cicd_agent.modes.command.dispatch import mode_context
from cicd_agent.modes.review.collect import _dismissed, _summary_comment, ignore_scope
from cicd_agent.modes.review.describe import _cannot_edit
from cicd_agent.modes.review.ledger import Ledger
from tests.git_builder import GitRepoBuilder
from tests.harness import payloads
from tests.harness.payloads import REPO_ROOT
from tests.helpers.commands import command_context, pull_request_comment, run_command, serve_pull
from tests.helpers.handoff import ForkProject, publishing_context, review_into_file
from tests.helpers.review import pull_request_event, review_context

REPO = "/repos/octocat/Hello-World"
SRC = REPO_ROOT / "src" / "cicd_agent"
WORKFLOW = ".github/workflows/triage.yml"
DANGEROUS = """\
name: label
on:
  pull_request_target:  # zizmor: ignore[dangerous-triggers]
permissions: {}
jobs:
  label:
    runs-on: ubuntu-latest
    steps:
      - run: echo label
"""


def fork_adds_its_own_exemption(tmp_path: Path) -> tuple[GitRepoBuilder, str, str]:
    """A fork's pull request that adds a ``pull_request_target`` workflow and exempts it."""
    repo = GitRepoBuilder(tmp_path / "repo")
    base = repo.commit("start", {"README.md": "# app\n"})
    head = repo.commit("Add a labeller", {WORKFLOW: DANGEROUS})
    return repo, base, head


def writer_may(github_api: Any, login: str, permission: str) -> None:
    """The permission API's answer for ``login``."""
    github_api.proxy.script(
        "GET",
        rf"{REPO}/collaborators/{login}/permission",
        edit=lambda answer: {**answer, "permission": permission},
    )


def test_a_writers_review_command_does_not_honour_a_forks_own_ignore_comment(
    tmp_path: Path, github_api: Any
) -> None:
    """ATTACK: the command's review may publish on a fork's pull request (the comment's
    workflow holds the base's token); that once made the fork's code look like the
    repository's own, and its new ``# zizmor: ignore`` hid the high finding."""
    repo, base, head = fork_adds_its_own_exemption(tmp_path)
    serve_pull(github_api, base, head, fork=True)
    event = pull_request_comment(tmp_path, "/cicd-agent review")
    writer_may(github_api, json.loads(event.read_text())["comment"]["user"]["login"], "write")

    done = run_command(tmp_path, github_api, event, repo.path)

    assert done.code == 0, done.summary
    assert done.outputs["command_status"] == "ran", done.summary
    assert done.outputs["high_count"] == "1", done.summary
    assert "Ignore comments honoured" not in done.summary


def _summary_read(ctx: RunContext[Any], pull: PullRequest, github_api: Any) -> bool:
    _summary_comment(ctx, pull)
    return bool(github_api.proxy.calls("GET", rf"{REPO}/issues/2/comments"))


def _dismissals_read(ctx: RunContext[Any], pull: PullRequest, github_api: Any) -> bool:
    _dismissed(ctx, pull, Ledger(heads=("0" * 40,)))  # after an earlier run
    return bool(github_api.proxy.calls("GET", rf"{REPO}/pulls/2/comments"))


READERS: dict[str, Callable[[RunContext[Any], PullRequest, Any], bool]] = {
    "ignore comments": lambda ctx, pull, _: ignore_scope(ctx, pull).scope == "all",
    "earlier summaries": _summary_read,
    "dismissals": _dismissals_read,
    "describe": lambda ctx, pull, _: _cannot_edit(ctx, ctx.github) == "",
}
"""Every reader of trust on review's paths, and whether it trusted the pull request's code.
The deploy identity reads it too (``test_the_deploy_identity_is_the_trusts_author``)."""


def _as_event(number: int = 2) -> PullRequest:
    """The pull request as a ``pull_request`` event carries it: from the repository itself."""
    payload = payloads.example("pull_request", "opened")["pull_request"]
    return PullRequest.model_validate({**payload, "number": number})


def _run_on(
    path: str, tmp_path: Path, github_api: Any, *, fork: bool
) -> tuple[RunContext[Any], PullRequest]:
    """Review's run context on ``path``, and the pull request its readers are handed; GitHub
    answers that the pull request comes from a fork (``fork``) or not."""
    repo, base, head = fork_adds_its_own_exemption(tmp_path)
    serve_pull(github_api, base, head, fork=fork)
    if path == "pull_request":  # GitHub's own event says: from the repository itself
        event = pull_request_event(tmp_path, base, head)
        ctx = review_context(tmp_path, github_api, repo, event)
        assert ctx.event.pull_request is not None
        return ctx, ctx.event.pull_request
    if path == "command":  # the nested run a writer's `/cicd-agent review` starts
        command = command_context(tmp_path, github_api, repo.path, "/cicd-agent review")
        assert command.github is not None
        _, run = mode_context(command, "review", command.github.get_pull_request(2))
        assert run.event.pull_request is not None
        return run, run.event.pull_request
    # the hand-off: step 2 runs on workflow_run, whatever the pull request it publishes for
    project = ForkProject(tmp_path / "handoff")
    result = review_into_file(tmp_path / "step1", project)
    return publishing_context(tmp_path, github_api, project, result), _as_event()


@pytest.mark.parametrize("path", ["pull_request", "command", "hand-off"])
@pytest.mark.parametrize("answer", ["fork", "writer's branch"])
def test_every_reader_of_trust_reads_githubs_answer_on_every_path(
    tmp_path: Path, github_api: Any, path: str, answer: str
) -> None:
    """The event of each path says the pull request comes from the repository itself; GitHub
    answers either that it comes from a fork, or from a branch whose author can push. Each
    reader trusts the code only on GitHub's word, and never in the hand-off, whose
    ``workflow_run`` carries no pull request to ask about."""
    fork = answer == "fork"
    ctx, pull = _run_on(path, tmp_path, github_api, fork=fork)
    writer_may(github_api, "[^/]+", "write")

    trusted = {name: read(ctx, pull, github_api) for name, read in READERS.items()}

    expected = not fork and path != "hand-off"
    assert trusted == dict.fromkeys(READERS, expected), (path, answer, ctx.notes)
    assert ctx.trust.code_is_proof is expected
    # The run's one answer to "is the code under judgement proof", read by review's suggestion
    # check and gen-tests: GitHub's word on a pull request; on a run about no pull request
    # GitHub's word on the commit checked out, and the hand-off's publishing step has none.
    assert ctx.code_is_proof is expected


def test_trust_is_made_only_by_its_module() -> None:
    """Nothing outside ``cicd_agent.github.trust`` builds a Trust, and a copy cannot be
    changed into a trusted one: the constructor asks for an object only that module holds."""
    calls = [
        f"{path.relative_to(SRC)}:{node.lineno}"
        for path in sorted(SRC.rglob("*.py"))
        if path != SRC / "github" / "trust.py"
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Call)
        and (
            (isinstance(node.func, ast.Name) and node.func.id == "Trust")
            or (isinstance(node.func, ast.Attribute) and node.func.attr == "_ISSUER")
        )
    ]
    assert calls == []
    with pytest.raises(TypeError):
        Trust(is_fork=False, author="someone", author_can_push=True)
    with pytest.raises(TypeError):
        dataclasses.replace(Trust.unknown(), is_fork=False, author_can_push=True)


NO_PULL_REQUEST_EVENTS = (
    "push", "workflow_dispatch", "workflow_run", "issue_comment", "merge_group", "schedule",
)  # fmt: skip


@pytest.mark.parametrize("event_name", NO_PULL_REQUEST_EVENTS)
def test_attack_no_event_makes_the_checked_out_commit_trusted_by_its_name(
    tmp_path: Path, github_api: Any, event_name: str
) -> None:
    """ATTACK: a run about no pull request judged its code "already pushed",
    whatever checked it out: a dispatch's, a comment's or a ``workflow_run``'s workflow can
    check out a fork's head (``/ok-to-test``), and a suggestion checked there read as proof.
    GitHub is asked about the commit the checkout holds: in no open pull request and on no
    branch of the repository, it is no proof; on the branch, it is."""
    repo = GitRepoBuilder(tmp_path / "repo")
    head = repo.commit("start", {"app.py": "x = 1\n"})
    payload = payloads.example("push") if event_name == "schedule" else payloads.example(event_name)
    if event_name == "push":  # the checkout holds the pushed commit (else: trusted with nothing)
        payload = {**payload, "after": head}
    event = payloads.write_event(tmp_path, payload)
    proofs = []
    for held in (False, True):
        github_api.proxy.script(
            "GET", rf"{REPO}/compare/.*",
            edit=lambda answer, held=held: {**answer, "status": "behind" if held else "ahead"},
        )  # fmt: skip
        github_api.proxy.script("GET", rf"{REPO}/commits/{head}/pulls", body=[])
        ctx = review_context(tmp_path, github_api, repo, event, event_name=event_name)
        proofs.append(ctx.code_is_proof)
        asked = [r.api_path for r in github_api.proxy.calls("GET", rf"{REPO}/compare/.*")]
        assert asked and all(path.endswith(f"...{head}") for path in asked), asked
    assert proofs == [False, True]


def test_the_commit_checked_out_is_read_once_a_run(
    tmp_path: Path, github_api: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every trust question of a run without a pull request is about the commit the checkout
    holds; it is read from git once a run, however many questions are asked (review's
    suggestion check, gen-tests, the test step each ask). Before: one ``rev-parse`` per
    question once a deepened clone forgot what it had resolved."""
    from cicd_agent.local import processes

    repo = GitRepoBuilder(tmp_path / "repo")
    head = repo.commit("start", {"app.py": "x = 1\n"})
    event = payloads.write_event(tmp_path, {**payloads.example("push"), "after": head})
    github_api.proxy.script("GET", rf"{REPO}/commits/{head}/pulls", body=[])
    ctx = review_context(tmp_path, github_api, repo, event, event_name="push")
    started: list[list[str]] = []
    real_run = processes.run

    def counted(argv: Any, **options: Any) -> Any:
        started.append(list(argv))
        return real_run(argv, **options)

    monkeypatch.setattr(processes, "run", counted)
    first = (ctx.push_trust(), ctx.code_is_proof)
    ctx.checkout.git._commits.clear()  # as deepening a shallow clone does (risk's history)
    again = (ctx.push_trust(), ctx.code_is_proof, code_trust(ctx.checkout_code(), ctx))

    assert first[0].code_is_proof and again[0].code_is_proof  # the pushed commit, on its word
    assert first[1] == again[1] == again[2].code_is_proof
    resolved = [argv for argv in started if "HEAD^{commit}" in argv]
    assert len(resolved) == 1, len(resolved)
