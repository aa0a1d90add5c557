"""A flaky test's issue ("Owned") against GitHub's description served by Prism:
opened once with its label and the assignable owners, found again by its marker and updated
(a closed one reopened), never a second copy; a marker pasted into someone else's issue is
neither edited nor trusted; once the test has passed the set number of runs in a row, its
open issue is closed with a comment naming those runs."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from cicd_agent.analysis.codeowners import owners_of
from cicd_agent.analysis.flaky_issue import FlakyEvidence, issue_body, issue_key, issue_title
from cicd_agent.analysis.flaky_stats import FlakyStat, StoredRun, stats
from cicd_agent.github.client import connect
from cicd_agent.github.comments import marker
from cicd_agent.github.issues import LABEL, upsert_flaky_issue
from cicd_agent.modes.test_step.flaky_issues import own

ISSUES = r"/repos/octocat/Hello-World/issues"
ONE = r"/repos/octocat/Hello-World/issues/\d+"
ASSIGNEE = r"/repos/octocat/Hello-World/assignees/[^/]+"
TEST = "tests/test_net.py::test_fetch_retries"
CODEOWNERS = "* @octo-org/core\ntests/ @octocat @octo-org/qa\n"
STAT = FlakyStat(
    TEST,
    runs=40,
    failures=6,
    flips=9,
    lost_seconds=1830.0,
    last_failed="https://github.com/octocat/Hello-World/actions/runs/30433642",
)


def _post(github_api: Any) -> dict[str, Any]:
    client = connect(github_api.settings())
    owners = owners_of(CODEOWNERS, "tests/test_net.py")
    evidence = FlakyEvidence(STAT, "E   AssertionError: timed out", "python -m pytest " + TEST)
    body = issue_body(evidence, owners, date(2026, 11, 26))
    outcome = upsert_flaky_issue(client, issue_key(TEST), issue_title(TEST), body, owners=owners)
    return {"outcome": outcome, "owners": owners}


def _listed(key: str, number: int, login: str = "octocat", state: str = "closed"):
    """Prism's example issue list edited to hold issue ``number`` ending in ``key``'s marker,
    written by ``login``, closed by default (its test was stable for a while)."""

    def edit(issues: list[dict[str, Any]]) -> list[dict[str, Any]]:
        user = {**issues[0]["user"], "login": login, "type": "User"}
        ours = {**issues[0], "number": number, "state": state, "user": user,
                "body": f"old evidence\n\n{marker(key)}"}  # fmt: skip
        return [{**issues[0], "number": number + 1, "body": "a human's issue"}, ours]

    return edit


def test_a_flaky_test_gets_one_issue_with_its_owners_and_evidence(github_api) -> None:
    posted = _post(github_api)
    assert posted["outcome"].status == "created"
    (request,) = github_api.proxy.calls("POST", ISSUES + "$")
    sent = request.json()
    assert sent["labels"] == [LABEL] and sent["assignees"] == ["octocat"]  # a team is not assigned
    assert posted["owners"].names == ("@octocat", "@octo-org/qa")  # the last matching line
    assert "`tests/test_net.py::test_fetch_retries`" in sent["title"]
    body = sent["body"]
    assert "flip rate **23%**" in body and "1,830 s" in body and "6 failing run(s)" in body
    assert "python -m pytest tests/test_net.py::test_fetch_retries" in body  # the replay
    assert 'owner: "@octocat"' in body and "expires: 2026-12-26" in body  # the quarantine entry
    assert body.rstrip().endswith(marker(issue_key(TEST)))
    # asked whether each login can be assigned (one that cannot would refuse the whole issue)
    assert [c.api_path for c in github_api.proxy.calls("GET", ASSIGNEE)] == [
        "/repos/octocat/Hello-World/assignees/octocat"
    ]


def test_a_rerun_updates_and_reopens_the_issue_never_a_second(github_api) -> None:
    github_api.proxy.script("GET", ISSUES + "$", edit=_listed(issue_key(TEST), 4321))
    for _ in range(2):
        assert _post(github_api)["outcome"].status == "updated"
    assert github_api.proxy.calls("POST", ISSUES + "$") == []
    patches = github_api.proxy.calls("PATCH", ONE)
    assert [p.api_path for p in patches] == ["/repos/octocat/Hello-World/issues/4321"] * 2
    assert patches[0].json()["state"] == "open" and "labels" not in patches[0].json()
    (listing,) = {
        c.query.get("labels", [""])[0] for c in github_api.proxy.calls("GET", ISSUES + "$")
    }
    assert listing == LABEL


def test_attack_a_marker_pasted_into_someone_elses_issue_is_not_ours(github_api) -> None:
    github_api.proxy.script("GET", ISSUES + "$", edit=_listed(issue_key(TEST), 99, "mallory"))
    assert _post(github_api)["outcome"].status == "created"
    assert github_api.proxy.calls("PATCH", ONE) == []


def test_a_test_stable_for_the_set_runs_gets_its_issue_closed_naming_them(
    github_api: Any, tmp_path: Path
) -> None:
    """It flipped four times, then passed its last 12 runs: with ``stable_after=10`` its open
    issue is not updated (which would reopen it) but closed, after a comment naming the last
    10 runs; a copy of our marker in mallory's open issue is left alone. Not yet stable for 13:
    the issue is updated, as before."""
    test = "tests.test_net.test_fetch_retries"
    outcomes = [True, False, True, False, True, *[True] * 11]
    runs = [StoredRun("octocat/Hello-World", "tests", 100 + n, 1, "", f"2026-11-01T00:{n:02}",
                      {test: passed}, job_seconds=60.0,
                      url=f"https://github.com/octocat/Hello-World/actions/runs/{100 + n}")
            for n, passed in enumerate(outcomes)]  # fmt: skip
    found = stats(runs)
    assert [stat.test for stat in found] == [test]  # still flaky over the window
    mine = _listed(issue_key(test), 4321, state="open")
    both = lambda issues: [*mine(issues), *_listed(issue_key(test), 99, "mallory", "open")(issues)]  # noqa: E731
    github_api.proxy.script("GET", ISSUES + "$", edit=both)

    def step(stable_after: int) -> list[str]:
        return own(found, runs, github_api.env(), tmp_path, commit=None, command=["pytest"],
                   today=date(2026, 11, 26), stable_after=stable_after,
                   file_of=lambda test: "")  # fmt: skip

    said = step(10)
    assert github_api.proxy.calls("POST", ISSUES + "$") == []  # nothing opened
    (comment,) = github_api.proxy.calls("POST", ONE + "/comments$")
    assert comment.api_path == "/repos/octocat/Hello-World/issues/4321/comments"
    text = comment.json()["body"]
    assert f"`{test}` passed in each of its last 10 runs on the default branch" in text
    assert "actions/runs/106`" in text and "actions/runs/115`" in text
    assert "actions/runs/105`" not in text  # the runs before the ten are not its evidence
    (closed,) = github_api.proxy.calls("PATCH", ONE)
    assert closed.api_path.endswith("/issues/4321")
    assert closed.json() == {"state": "closed", "state_reason": "completed"}
    listing = github_api.proxy.calls("GET", ISSUES + "$")
    assert listing[-1].query.get("state") == ["open"]
    assert any("closing issue #4321: updated" in line for line in said)
    step(13)  # not stable for 13 runs: updated (and reopened), nothing closed
    patches = github_api.proxy.calls("PATCH", ONE)
    assert len(patches) == 2 and patches[1].json()["state"] == "open"
    assert len(github_api.proxy.calls("POST", ONE + "/comments$")) == 1


MEMBERS = r"/orgs/[^/]+/teams/[^/]+/members"


def _opened(github_api: Any, codeowners: str) -> tuple[Any, dict[str, Any]]:
    client = connect(github_api.settings())
    owners = owners_of(codeowners, "tests/test_net.py")
    body = issue_body(FlakyEvidence(STAT), owners, date(2026, 11, 26))
    outcome = upsert_flaky_issue(client, issue_key(TEST), issue_title(TEST), body, owners=owners)
    (request,) = github_api.proxy.calls("POST", ISSUES + "$")
    return outcome, request.json()


def test_a_team_owning_the_file_is_assigned_through_its_members(github_api) -> None:
    """GitHub assigns people, not teams: a team of the repository's organisation that owns the
    test's file is read for its members, each asked whether it can be assigned."""
    outcome, sent = _opened(github_api, "tests/ @octocat/QA\n")
    (listed,) = github_api.proxy.calls("GET", MEMBERS)
    assert listed.api_path == "/orgs/octocat/teams/qa/members"
    assert sent["assignees"] == ["octocat"]  # GitHub's example member, assignable
    assert outcome.status == "created" and "@octocat/QA" in outcome.reason
    assert "`@octocat/QA`" in sent["body"]  # named in the body, never a mention


def test_a_team_whose_members_cannot_be_read_is_named_and_the_issue_still_opened(
    github_api,
) -> None:
    """The workflow's own token cannot read an organisation's teams (GitHub answers 404):
    the issue is opened all the same, the team is named, and the summary says what would
    assign it."""
    github_api.proxy.fail("GET", MEMBERS, 404, "Not Found")
    outcome, sent = _opened(github_api, "tests/ @octocat/qa\n")
    assert sent["assignees"] == [] and outcome.status == "created"
    assert "@octocat/qa" in outcome.reason and "members" in outcome.reason


def test_attack_a_team_name_cannot_walk_the_api_path_or_reach_another_organisation(
    github_api,
) -> None:
    """A team slug is GitHub's (letters, digits, ``-``, ``_``): ``..`` would have read
    ``/orgs/octocat/members`` (every member of the organisation, each then assigned); another
    organisation's team owns nothing in this repository and is not read."""
    _opened(github_api, "tests/ @octocat/.. @octocat/.x @other-org/qa @octocat/a.b\n")
    assert github_api.proxy.calls("GET", MEMBERS) == []
    assert github_api.proxy.calls("GET", r"/orgs/octocat/members") == []
    assert [c.api_path for c in github_api.proxy.calls("GET", r"/orgs/")] == []
