"""deploy-gate's GitHub signals through PyGithub and the validating Prism mock: review
decisions, the workflow's failure rate, the previous deployment, and GitHub failing."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.git_builder import GitRepoBuilder
from tests.harness.payloads import example, write_event
from tests.helpers.cli import run_cli

REVIEWS = r"/repos/octocat/Hello-World/pulls/\d+/reviews"
RUNS = r"/repos/octocat/Hello-World/actions/workflows/deploy\.yml/runs"
DEPLOYMENTS = r"/repos/octocat/Hello-World/deployments"
SOURCE = "".join(f"def f{i}(x):\n    return x * {i}\n\n" for i in range(20))


@pytest.fixture
def project(tmp_path: Path) -> GitRepoBuilder:
    repo = GitRepoBuilder(tmp_path / "project")
    repo.commit(
        "Initial",
        {"src/shop/orders.py": SOURCE, "tests/test_orders.py": "def test_x():\n    pass\n"},
    )
    return repo


def reviews(*states: tuple[str, str]) -> Any:
    def edit(listing: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [
            {**listing[0], "id": n, "state": state, "user": {**listing[0]["user"], "login": who}}
            for n, (who, state) in enumerate(states, start=1)
        ]

    return edit


def runs(*conclusions: str) -> Any:
    def edit(listing: dict[str, Any]) -> dict[str, Any]:
        template = listing["workflow_runs"][0]
        ours = template["repository"]  # the run's own repository
        made = [
            {**template, "id": 500 + n, "conclusion": c, "status": "completed",
             "created_at": f"2026-11-{17 - n:02d}T08:00:00Z", "head_repository": ours}
            for n, c in enumerate(conclusions)
        ]  # fmt: skip
        return {"total_count": len(made), "workflow_runs": made}

    return edit


def run(
    tmp_path: Path, github_api: Any, repo: GitRepoBuilder, *args: str
) -> tuple[int, dict[str, str], str]:
    environ = {
        **github_api.env(),
        "RUNNER_TEMP": "",  # off a runner: the audit file goes under .git
        "GITHUB_WORKFLOW_REF": "octocat/Hello-World/.github/workflows/deploy.yml@refs/heads/main",
        "GITHUB_REF_NAME": "main",
    }
    argv = [
        "deploy-gate", "--provider", "none", "--repo", str(repo.path),
        "--deploy-time", "2026-11-18T12:00:00+00:00", *args,
    ]  # fmt: skip
    done = run_cli(argv, tmp_path, environ)
    return done.code, done.outputs, done.summary


def change(repo: GitRepoBuilder) -> tuple[str, str]:
    base = repo.head()
    return base, repo.commit("Speed up orders", {"src/shop/orders.py": SOURCE + "CACHE = {}\n"})


def test_approved_review_and_recent_runs_make_the_safety_score(
    tmp_path: Path, github_api: Any, project: GitRepoBuilder
) -> None:
    base, head = change(project)
    github_api.proxy.script("GET", REVIEWS, edit=reviews(("ann", "APPROVED")))
    github_api.proxy.script(
        "GET", RUNS, edit=runs("success", "failure", "success", "cancelled", "success")
    )
    code, outputs, summary = run(tmp_path, github_api, project, "--base", base, "--head", head)
    assert code == 0
    # review 25 x 100, failure rate 10 x 75 (cancelled runs are not counted) over 35.
    assert float(outputs["safety_score"]) == pytest.approx((2500 + 750) / 35, abs=0.01)
    assert json.loads(outputs["missing_signals"]) == ["tests", "coverage", "model"]
    assert "#1347 approved" in summary
    assert "1/4 runs failed in the last 14 day(s)" in summary
    (call,) = github_api.proxy.calls("GET", RUNS)
    assert call.query["branch"] == ["main"] and call.query["status"] == ["completed"]
    assert github_api.proxy.calls("GET", rf"/repos/octocat/Hello-World/commits/{head}/pulls")


def test_requested_changes_hold_the_deploy(
    tmp_path: Path, github_api: Any, project: GitRepoBuilder
) -> None:
    base, head = change(project)
    github_api.proxy.script("GET", REVIEWS, edit=reviews(("bob", "CHANGES_REQUESTED")))
    github_api.proxy.script("GET", RUNS, edit=runs("success"))
    code, outputs, summary = run(
        tmp_path, github_api, project, "--base", base, "--head", head, "--fail-on", "hold"
    )
    assert code == 1
    assert outputs["recommendation"] == "hold"
    assert "a reviewer requested changes" in summary


def test_github_failing_leaves_the_signal_missing_not_green(
    tmp_path: Path, github_api: Any, project: GitRepoBuilder
) -> None:
    base, head = change(project)
    github_api.proxy.fail(
        "GET", r"/repos/octocat/Hello-World/commits/\w+/pulls", 500, "boom", times=None
    )
    github_api.proxy.fail("GET", RUNS, 403, "Resource not accessible by integration", times=None)
    code, outputs, summary = run(tmp_path, github_api, project, "--base", base, "--head", head)
    assert code == 0
    assert json.loads(outputs["missing_signals"]) == [
        "tests",
        "coverage",
        "review",
        "failure_rate",
        "model",
    ]
    assert outputs["safety_score"] == ""
    assert "Review decisions unavailable" in summary


def test_deployment_event_compares_with_the_previous_deployment(
    tmp_path: Path, github_api: Any, project: GitRepoBuilder
) -> None:
    first = project.head()
    project.commit("Docs", {"docs/a.md": "a\n"})
    head = project.commit("Speed up orders", {"src/shop/orders.py": SOURCE + "CACHE = {}\n"})
    payload = json.loads(json.dumps(example("deployment")))
    payload["deployment"].update(id=9000, sha=head, environment="production")
    event = write_event(tmp_path, payload)

    def earlier(listing: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [{**listing[0], "id": 8000, "sha": first, "environment": "production"}]

    github_api.proxy.script("GET", DEPLOYMENTS, edit=earlier)
    code, outputs, summary = run(
        tmp_path,
        github_api,
        project,
        "--event",
        str(event),
        "--event-name",
        "deployment",
        "--environment",
        "production",
    )
    assert code == 0
    assert set(json.loads(outputs["change_types"])) == {"docs", "source"}
    (call,) = github_api.proxy.calls("GET", DEPLOYMENTS)
    assert call.query["environment"] == ["production"]
    assert f"`{first[:12]}..{head[:12]}`" in summary


COMMITS = r"/repos/octocat/Hello-World/commits"


def landed(*emails: str) -> Any:
    """The commits listing GitHub gives for ``author=<login>``: one per address."""

    def edit(listing: list[dict[str, Any]]) -> list[dict[str, Any]]:
        template = listing[0]
        return [
            {**template, "sha": f"{n:040x}",
             "commit": {**template["commit"], "author": {**template["commit"]["author"],
                                                         "email": email}}}
            for n, email in enumerate(emails, start=1)
        ]  # fmt: skip

    return edit


def test_the_pull_request_author_github_names_is_the_identity_not_the_git_author(
    tmp_path: Path, github_api: Any, project: GitRepoBuilder
) -> None:
    """The git author claims the project's only author; GitHub says the pull request was
    opened by an account with no landed commit here: the summary names GitHub's identity and
    calls it a first change."""
    base, head = change(project)
    github_api.proxy.script("GET", COMMITS, edit=landed())
    code, _, summary = run(tmp_path, github_api, project, "--base", base, "--head", head)
    assert code == 0
    assert "| author identity | pull request author octocat (GitHub) |" in summary
    assert "First change by this author (pull request author octocat (GitHub))." in summary
    (call,) = github_api.proxy.calls("GET", COMMITS)
    assert call.query["author"] == ["octocat"] and call.query["sha"] == [base]
    # Whom to score is the author alone: whether they may push is trust's question, not risk's.
    assert not github_api.proxy.calls("GET", r"/repos/octocat/Hello-World/collaborators/.+")


def test_a_pull_request_author_with_landed_commits_is_no_newcomer(
    tmp_path: Path, github_api: Any, project: GitRepoBuilder
) -> None:
    base, head = change(project)
    github_api.proxy.script("GET", COMMITS, edit=landed("author@example.com"))
    code, _, summary = run(tmp_path, github_api, project, "--base", base, "--head", head)
    assert code == 0
    assert "| author identity | pull request author octocat (GitHub) |" in summary
    assert "First change by this author" not in summary


def test_without_github_the_git_author_text_is_named_unverified(
    tmp_path: Path, project: GitRepoBuilder
) -> None:
    base, head = change(project)
    done = run_cli(
        ["deploy-gate", "--provider", "none", "--repo", str(project.path), "--base", base,
         "--head", head, "--deploy-time", "2026-11-18T12:00:00+00:00"],
        tmp_path, {"RUNNER_TEMP": ""},
    )  # fmt: skip
    assert done.code == 0
    assert "| author identity | git's author text, not verified |" in done.summary


def _pull(number: int, login: str, head_repo: str, merged: bool) -> Any:
    def edit(pull: Any) -> Any:
        listed = pull if isinstance(pull, dict) else pull[0]
        head = {**listed["head"], "repo": {**listed["head"]["repo"], "full_name": head_repo}}
        return {
            **listed, "number": number, "user": {**listed["user"], "login": login},
            "head": head, "merged_at": "2026-11-17T08:00:00Z" if merged else None,
            "state": "closed" if merged else "open",
        }  # fmt: skip

    return edit


def test_a_fork_pull_request_holding_the_merged_commit_is_not_the_identity(
    tmp_path: Path, github_api: Any, project: GitRepoBuilder
) -> None:
    """ATTACK: a newcomer's change was merged (pull request #2). Anyone, a contributor with
    landed commits included, can open a fork pull request (#1) whose head is that very commit
    (against another branch); GitHub lists it for the commit too, and first. The identity is
    the author of the pull request that was merged here, so the newcomer floor stands."""
    base, head = change(project)
    fork = _pull(1, "mallory", "mallory/Hello-World", merged=False)
    merged = _pull(2, "newcomer", "octocat/Hello-World", merged=True)
    github_api.proxy.script(
        "GET", rf"/repos/octocat/Hello-World/commits/{head}/pulls",
        edit=lambda listing: [fork(listing), merged(listing)],
    )  # fmt: skip
    github_api.proxy.script("GET", r"/repos/octocat/Hello-World/pulls/1$", edit=fork)
    github_api.proxy.script("GET", r"/repos/octocat/Hello-World/pulls/2$", edit=merged)
    github_api.proxy.script("GET", COMMITS, edit=landed())
    code, _, summary = run(tmp_path, github_api, project, "--base", base, "--head", head)
    assert code == 0
    assert "| author identity | pull request author newcomer (GitHub) |" in summary


def test_dora_keys_come_from_the_environments_deployments_and_say_their_evidence(
    tmp_path: Path, github_api: Any, project: GitRepoBuilder
) -> None:
    """Four deployments to production, one a rollback (an older commit deployed again two
    hours after the one it replaced): each key's value, and each says it rests on few."""
    first = project.head()
    second = project.commit("Docs", {"docs/a.md": "a\n"})
    third = project.commit("Speed up orders", {"src/shop/orders.py": SOURCE + "CACHE = {}\n"})
    start = int(project.git("log", "-1", "--format=%ct", first))

    def at(hours: int) -> str:
        return datetime.fromtimestamp(start + hours * 3600, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

    listed = [(9000, third, 50), (8002, first, 28), (8001, second, 26), (8000, first, 2)]

    def deployments(listing: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [
            {**listing[0], "id": n, "sha": sha, "environment": "production", "created_at": at(h)}
            for n, sha, h in listed
        ]

    github_api.proxy.script("GET", DEPLOYMENTS, edit=deployments)
    payload = json.loads(json.dumps(example("deployment")))
    payload["deployment"].update(id=9000, sha=third, environment="production")
    code, outputs, summary = run(
        tmp_path, github_api, project, "--event", str(write_event(tmp_path, payload)),
        "--event-name", "deployment", "--environment", "production",
    )  # fmt: skip
    assert code == 0
    keys = json.loads(outputs["dora"])
    assert keys["deployment_frequency"]["value"] == pytest.approx(1.5)  # 3 in 2 days
    assert keys["change_failure_rate"]["value"] == pytest.approx(1 / 3)
    assert keys["time_to_restore"]["value"] == pytest.approx(2.0)
    # second shipped 25 h after it was made; second and third again (first..third) at 50 h.
    assert keys["lead_time_for_changes"]["value"] == pytest.approx(48.0)
    assert all("thin: fewer than 5 deployments" in key["evidence"] for key in keys.values())
    assert "| change failure rate | 0.333 of deployments |" in summary
    assert f"`{first[:12]}..{third[:12]}`" in summary  # the predecessor from the same listing
    assert len(github_api.proxy.calls("GET", DEPLOYMENTS)) == 1


@pytest.mark.xfail(
    strict=True,
    reason="github/runs.py recent_deployments keeps GitHub's created_at unchecked (null, naive, "
    "unparsable): dora.four_keys sorts and subtracts them, an internal error (exit 3)",
)
@pytest.mark.parametrize(
    "when",
    [
        pytest.param("2026-11-10T08:00:00", id="naive-date-among-aware"),
        pytest.param(None, id="null-date"),
        pytest.param("not a date", id="garbage-date"),
    ],
)
def test_a_hostile_deployments_listing_leaves_the_dora_keys_unmeasured_not_the_gate_crashed(
    tmp_path: Path, github_api: Any, project: GitRepoBuilder, when: str | None
) -> None:
    """GitHub's deployments listing is an answer, not a promise: one deployment whose date is
    naive, null or no date at all must not crash the gate (the keys say what they lack)."""
    first = project.head()
    second = project.commit("Docs", {"docs/a.md": "a\n"})
    listed = [(9001, second, "2026-11-17T08:00:00Z"), (9000, first, when)]

    def deployments(listing: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [
            {**listing[0], "id": n, "sha": sha, "environment": "production", "created_at": at}
            for n, sha, at in listed
        ]

    github_api.proxy.script("GET", DEPLOYMENTS, edit=deployments)
    code, outputs, summary = run(
        tmp_path, github_api, project, "--base", first, "--head", second,
        "--environment", "production",
    )  # fmt: skip
    assert code == 0, summary
    assert "dora" in outputs


@pytest.mark.xfail(
    strict=True,
    reason="deploy_gate/collect.py _previous_deployment takes the listing's sha unchecked as the "
    "base: HEAD or a branch name resolves, and the deployment is compared with itself",
)
@pytest.mark.parametrize("listed_sha", ["HEAD", "main"])
def test_a_deployments_listing_naming_no_commit_id_does_not_choose_the_base(
    tmp_path: Path, github_api: Any, project: GitRepoBuilder, listed_sha: str
) -> None:
    """The predecessor's commit comes from GitHub's answer: a name git resolves (``HEAD``, a
    branch) instead of a 40-digit id would let the answer pick what the deployment is
    compared with (itself: an empty change, the lowest risk). It must be refused like the
    DORA keys refuse it, and the deployment compared with its first parent."""
    project.commit("Docs", {"docs/a.md": "a\n"})
    third = project.commit("Speed up orders", {"src/shop/orders.py": SOURCE + "CACHE = {}\n"})
    listed = [(9000, third), (8999, listed_sha)]

    def deployments(listing: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [
            {**listing[0], "id": n, "sha": sha, "environment": "production"} for n, sha in listed
        ]

    github_api.proxy.script("GET", DEPLOYMENTS, edit=deployments)
    payload = json.loads(json.dumps(example("deployment")))
    payload["deployment"].update(id=9000, sha=third, environment="production")
    code, _, summary = run(
        tmp_path, github_api, project, "--event", str(write_event(tmp_path, payload)),
        "--event-name", "deployment", "--environment", "production",
    )  # fmt: skip
    assert code == 0, summary
    assert f"`{third[:12]}..{third[:12]}`" not in summary
