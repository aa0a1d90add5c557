"""``# zizmor: ignore[...]`` comments: who may exempt a workflow finding.

A team adopting the examples reviews them at ``fail-on: high``; their ignore comments are
honoured on a pull request from the repository itself and on a local run, and each is listed
in the summary. A fork cannot exempt its own change: its new comments are not honoured, only
comments already in the base version, and those only on the lines the finding marks. Text in a
``run:`` block or a quoted string is not a comment. Real git, real zizmor, the review CLI.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from cicd_agent.analysis.workflows.ignores import ignore_comments
from tests.git_builder import GitRepoBuilder
from tests.harness.payloads import REPO_ROOT
from tests.helpers.cli import CliRun, run_cli
from tests.helpers.commands import serve_pull
from tests.helpers.review import pull_request_event

EXAMPLES = REPO_ROOT / "examples" / "workflows"
WORKFLOW = ".github/workflows/triage.yml"

RUN_ON_WORKFLOW_RUN = """\
name: triage
on:
  workflow_run: # zizmor: ignore[dangerous-triggers] reads the run's logs as data only
    workflows: [CI]
    types: [completed]
permissions: {}
jobs:
  triage:
    runs-on: ubuntu-latest
    steps:
      - run: echo triage
"""


def _review(
    tmp_path: Path,
    repo: GitRepoBuilder,
    base: str,
    head: str,
    *,
    event: str,
    github_api: Any = None,
    permission: str = "write",
) -> CliRun:
    """review --fail-on high, with no model: on a pull request from the repository (``same``:
    GitHub, the mock, answers that it is and that its author has ``permission``), from a fork
    (``fork``, offline), or a local run with no event (``none``)."""
    argv = ["review", "--provider", "none", "--fail-on", "high", "--report-on", "medium"]
    environ = {"GITHUB_WORKSPACE": str(repo.path)}
    if event == "none":
        argv += ["--repo", str(repo.path), "--base", base, "--head", head]
    else:
        path = pull_request_event(tmp_path, base, head, fork=event == "fork")
        environ |= {"GITHUB_EVENT_PATH": str(path), "GITHUB_EVENT_NAME": "pull_request"}
    if github_api is not None:
        serve_pull(github_api, base, head, fork=event == "fork")
        github_api.proxy.script(
            "GET",
            r"/repos/octocat/Hello-World/collaborators/[^/]+/permission",
            edit=lambda answer: {**answer, "permission": permission},
        )
        environ |= github_api.env()
    return run_cli(argv, tmp_path, environ)


def _adopted(tmp_path: Path) -> tuple[GitRepoBuilder, str, str]:
    repo = GitRepoBuilder(tmp_path / "repo")
    base = repo.commit("start", {"README.md": "# app\n"})
    for example in sorted(EXAMPLES.glob("*.yml")):
        target = repo.path / ".github" / "workflows" / example.name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(example, target)
    return repo, base, repo.commit("Adopt cicd-agent")


@pytest.mark.parametrize("event", ["same", "none"])
def test_the_examples_pass_their_own_review_at_fail_on_high(
    tmp_path: Path, github_api: Any, event: str
) -> None:
    repo, base, head = _adopted(tmp_path)

    given = github_api if event == "same" else None  # a local run asks GitHub nothing
    done = _review(tmp_path, repo, base, head, event=event, github_api=given)

    assert done.code == 0, done.summary
    assert done.outputs["high_count"] == "0", done.summary
    listed = done.summary.split("**Ignore comments honoured** (3)", 1)[1]
    for name, line in (("ci-failure", 14), ("fork-safe-publish", 14), ("pr-commands", 19)):
        assert f"`.github/workflows/{name}.yml:{line}`: high Workflow: use of " in listed
    assert listed.count("left out by `# zizmor: ignore[dangerous-triggers]`") == 3


def test_without_githubs_answer_a_pull_requests_own_comments_are_not_honoured(
    tmp_path: Path,
) -> None:
    """Offline, nothing says the author can push: the event's word is not trust."""
    repo, base, head = _adopted(tmp_path)

    done = _review(tmp_path, repo, base, head, event="same")

    assert done.code == 1, done.summary
    assert done.outputs["high_count"] == "3", done.summary


def test_an_author_who_cannot_push_does_not_exempt_a_same_repository_change(
    tmp_path: Path, github_api: Any
) -> None:
    """A branch of the repository itself, opened by someone GitHub says may only read (a
    branch pushed by a bot or an app, a collaborator whose access was lowered since)."""
    repo, base, head = _adopted(tmp_path)

    done = _review(
        tmp_path, repo, base, head, event="same", github_api=github_api, permission="read"
    )

    assert done.code == 1, done.summary
    assert done.outputs["high_count"] == "3", done.summary
    assert "Ignore comments honoured" not in done.summary


def test_a_fork_adopting_the_examples_is_still_blocked(tmp_path: Path) -> None:
    repo, base, head = _adopted(tmp_path)

    done = _review(tmp_path, repo, base, head, event="fork")

    assert done.code == 1, done.summary
    assert done.outputs["high_count"] == "3", done.summary
    assert "Ignore comments honoured" not in done.summary


def test_a_fork_cannot_exempt_its_own_new_pull_request_target_workflow(tmp_path: Path) -> None:
    repo = GitRepoBuilder(tmp_path / "repo")
    base = repo.commit("start", {"README.md": "# app\n"})
    head = repo.commit(
        "Add a labeller",
        {
            WORKFLOW: RUN_ON_WORKFLOW_RUN.replace(
                "  workflow_run: # zizmor: ignore[dangerous-triggers] reads the run's logs as "
                "data only\n    workflows: [CI]\n    types: [completed]\n",
                "  pull_request_target: # zizmor: ignore[dangerous-triggers] labels only\n",
            )
        },
    )

    done = _review(tmp_path, repo, base, head, event="fork")

    assert done.code == 1, done.summary
    assert done.outputs["high_count"] == "1", done.summary
    assert "pull_request_target is almost always used insecurely" in done.stdout
    assert "Ignore comments honoured" not in done.summary


@pytest.mark.parametrize(
    ("name", "old", "new", "high"),
    [
        (
            "a trigger added beside an exempted one",
            "    types: [completed]\n",
            "    types: [completed]\n  pull_request_target:\n",
            1,
        ),
        (
            "the comment moved to a new trigger's line",
            "  workflow_run: # zizmor: ignore[dangerous-triggers] reads the run's logs as data "
            "only\n    workflows: [CI]\n    types: [completed]\n",
            "  workflow_run:\n    workflows: [CI]\n    types: [completed]\n"
            "  issue_comment: # zizmor: ignore[dangerous-triggers] reads the run's logs as data "
            "only\n",
            2,  # the workflow_run line changed too, and lost its comment
        ),
    ],
)
def test_a_base_comment_does_not_cover_a_forks_new_trigger(
    tmp_path: Path, name: str, old: str, new: str, high: int
) -> None:
    repo = GitRepoBuilder(tmp_path / "repo")
    base = repo.commit("start", {WORKFLOW: RUN_ON_WORKFLOW_RUN})
    assert old in RUN_ON_WORKFLOW_RUN, name
    head = repo.commit("Change triggers", {WORKFLOW: RUN_ON_WORKFLOW_RUN.replace(old, new)})

    done = _review(tmp_path, repo, base, head, event="fork")

    assert done.code == 1, (name, done.summary)
    assert done.outputs["high_count"] == str(high), (name, done.summary)
    assert "Ignore comments honoured" not in done.summary, name


INJECTION_STEP = """\
name: greet
on: issues
permissions: {}
jobs:
  greet:
    runs-on: ubuntu-latest
    steps:
      - name: greet
        run: | # zizmor: ignore[template-injection] the title is only echoed in a log
          echo "thanks"
"""


def test_a_comment_already_in_the_base_version_holds_for_a_fork(tmp_path: Path) -> None:
    """The maintainers' comment on the ``run:`` line (the finding's related location) was there
    before the fork's change: it is honoured, and the summary says why."""
    repo = GitRepoBuilder(tmp_path / "repo")
    base = repo.commit("start", {WORKFLOW: INJECTION_STEP})
    changed = INJECTION_STEP + '          echo "${{ github.event.issue.title }}"\n'
    head = repo.commit("Echo the title", {WORKFLOW: changed})

    done = _review(tmp_path, repo, base, head, event="fork")

    assert done.code == 0, done.summary
    assert "**Ignore comments honoured** (1)" in done.summary
    assert "on line 9: honoured because the comment is in the base version" in done.summary


@pytest.mark.parametrize(
    "step",
    [
        # inside a run: block, the "comment" is the script's text
        '        run: |\n          echo "${{ github.event.issue.title }}" '
        "# zizmor: ignore[template-injection]\n",
        # a quoted string holds it
        '        run: "echo ${{ github.event.issue.title }} # zizmor: ignore[template-injection]"\n',
    ],
)
def test_an_ignore_inside_a_string_or_run_block_is_not_a_comment(tmp_path: Path, step: str) -> None:
    """Even where every comment counts (a local run), text that only looks like a comment
    exempts nothing."""
    repo = GitRepoBuilder(tmp_path / "repo")
    base = repo.commit("start", {"README.md": "# app\n"})
    text = INJECTION_STEP.split("      - name: greet\n")[0] + "      - name: greet\n" + step
    head = repo.commit("Greet", {WORKFLOW: text})

    done = _review(tmp_path, repo, base, head, event="none")

    assert done.code == 1, done.summary
    assert done.outputs["high_count"] == "1", done.summary
    assert "Ignore comments honoured" not in done.summary


def test_comments_are_told_from_text_by_the_parsed_yaml() -> None:
    text = (
        "on: # zizmor: ignore[a]\n"
        "  push:\n"
        "jobs:\n"
        "  j:\n"
        "    steps:\n"
        "      - run: | # zizmor: ignore[b, c] why\n"
        "          echo x # zizmor: ignore[d]\n"
        '      - run: "x # zizmor: ignore[e]"\n'
        "      - run: x # zizmor: ignore[f]\n"
        "      - run: x # zizmor: ignore[]\n"
        "      # zizmor: ignore[h]\n"
    )
    found = ignore_comments(text, yaml.compose(text))
    assert found == {
        1: frozenset({"a"}),
        6: frozenset({"b", "c"}),
        9: frozenset({"f"}),
        11: frozenset({"h"}),
    }


def test_a_comment_the_maintainers_removed_does_not_hold_for_a_fork_branched_before(
    tmp_path: Path,
) -> None:
    """The maintainers revoke an exemption on the base branch; a fork that branched before the
    revocation still carries the old comment on a line it did not touch (git's three-dot diff
    measures from the merge base). "In the base version" means the base the pull request
    targets, not the commit the fork started from."""
    repo = GitRepoBuilder(tmp_path / "repo")
    exempted = repo.commit("start", {WORKFLOW: INJECTION_STEP})
    revoked = INJECTION_STEP.replace(
        " # zizmor: ignore[template-injection] the title is only echoed in a log", ""
    )
    base = repo.commit("Revoke the exemption", {WORKFLOW: revoked})
    repo.git("checkout", "-q", "-b", "fork", exempted)
    changed = INJECTION_STEP + '          echo "${{ github.event.issue.title }}"\n'
    head = repo.commit("Echo the title", {WORKFLOW: changed})

    done = _review(tmp_path, repo, base, head, event="fork")

    assert done.code == 1, done.summary
    assert "Ignore comments honoured" not in done.summary


def test_a_renamed_file_does_not_carry_its_old_paths_comments_to_a_fork(tmp_path: Path) -> None:
    """A fork moves a file the base holds elsewhere (an example, a fixture) into
    .github/workflows and adds to it: the base's comment was never about a workflow at this
    path, so it exempts nothing here."""
    repo = GitRepoBuilder(tmp_path / "repo")
    base = repo.commit("start", {"docs/examples/greet.yml": INJECTION_STEP})
    changed = INJECTION_STEP + '          echo "${{ github.event.issue.title }}"\n'
    head = repo.commit("Use the example", {WORKFLOW: changed}, remove=("docs/examples/greet.yml",))
    assert "R" in repo.git("diff", "--name-status", "-M", base, head)  # git sees a rename

    done = _review(tmp_path, repo, base, head, event="fork")

    assert done.code == 1, done.summary
    assert "Ignore comments honoured" not in done.summary


def test_zizmor_runs_in_the_checkers_and_analyse_only_reads_what_it_found(
    tmp_path: Path, github_api: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The audit's process belongs to the checkers: once they return, analyse finds zizmor's
    finding and its run with every process refused. (That analyse takes nothing but what the
    checkers return is mypy's to check: ``tests/project/test_mode_typing.py``.)"""
    from cicd_agent.job.context import ToolRun
    from cicd_agent.local import processes
    from cicd_agent.modes.review.checkers import lint
    from cicd_agent.modes.review.collect import collect
    from cicd_agent.modes.review.decide import analyse
    from tests.helpers.review import review_context

    repo = GitRepoBuilder(tmp_path / "repo")
    base = repo.commit("start", {"README.md": "# app\n"})
    unexempted = RUN_ON_WORKFLOW_RUN.replace(" # zizmor: ignore[dangerous-triggers]", " #")
    head = repo.commit("Triage", {WORKFLOW: unexempted})
    event = pull_request_event(tmp_path, base, head)
    ctx = review_context(tmp_path, github_api, repo, event, "--provider", "none")
    linted = lint(ctx, collect(ctx))

    def refused(*argv: object, **options: object) -> None:
        raise AssertionError(f"analyse started a process: {argv}")

    monkeypatch.setattr(processes, "run", refused)
    verdict = analyse(linted, describe=False)

    assert ("workflow-dangerous-triggers", WORKFLOW) in {(f.rule, f.path) for f in verdict.findings}
    assert verdict.tools == (ToolRun(tool="zizmor"),)


def test_a_review_audits_its_workflow_files_once(
    tmp_path: Path, github_api: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The risk's security floor and the findings read the same audit: a second zizmor run on
    the same files costs seconds and could disagree with the first. A whole review, so the
    wiring, where lint reads the auditor collect keeps on the facts, is what is tested."""
    from cicd_agent.local import zizmor
    from tests.helpers.review import run_review

    repo = GitRepoBuilder(tmp_path / "repo")
    base = repo.commit("start", {"README.md": "# app\n"})
    unexempted = RUN_ON_WORKFLOW_RUN.replace(" # zizmor: ignore[dangerous-triggers]", " #")
    head = repo.commit("Triage", {WORKFLOW: unexempted})
    event = pull_request_event(tmp_path, base, head)
    runs: list[object] = []
    run_zizmor = zizmor.run_zizmor

    def counted(*args: Any, **options: Any) -> Any:
        runs.append(args[0])
        return run_zizmor(*args, **options)

    monkeypatch.setattr(zizmor, "run_zizmor", counted)
    _, outputs, summary, _ = run_review(tmp_path, github_api, None, repo, event, provider="none")

    assert runs == [{WORKFLOW: unexempted}]
    assert outputs["high_count"] == "1", outputs  # zizmor's finding, read from that one run
    assert f"`{WORKFLOW}:3` | Workflow: use of fundamentally insecure" in summary


def test_an_honoured_ignore_comment_quiets_the_finding_never_the_risk(tmp_path: Path) -> None:
    """A comment the run honours leaves the finding out of the counts, but the risk's security
    floor reads zizmor's run with no comment honoured: a change cannot lower its own risk by
    writing one. The risk step runs after the checkers, on their run, so this is its guard."""
    plain = RUN_ON_WORKFLOW_RUN.replace(" # zizmor: ignore[dangerous-triggers]", " #")
    runs: dict[str, CliRun] = {}
    for name, text in (("exempted", RUN_ON_WORKFLOW_RUN), ("plain", plain)):
        repo = GitRepoBuilder(tmp_path / name)
        base = repo.commit("start", {"README.md": "# app\n"})
        runs[name] = _review(tmp_path, repo, base, repo.commit("Triage", {WORKFLOW: text}),
                             event="none")  # fmt: skip

    assert runs["exempted"].outputs["high_count"] == "0", runs["exempted"].summary
    assert runs["plain"].outputs["high_count"] == "1", runs["plain"].summary
    assert runs["exempted"].outputs["risk_level"] == runs["plain"].outputs["risk_level"]
    assert runs["exempted"].outputs["risk_level"] in ("high", "critical")
