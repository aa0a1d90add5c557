"""A flaky test's issue (issue 66, "Owned") against GitHub's description served by Prism:
opened once with its label and the assignable owners, found again by its marker and updated
(a closed one reopened), never a second copy; a marker pasted into someone else's issue is
neither edited nor trusted."""

from __future__ import annotations

from datetime import date
from typing import Any

from cicd_agent.analysis.codeowners import owners_of
from cicd_agent.analysis.flaky_issue import FlakyEvidence, issue_body, issue_key, issue_title
from cicd_agent.analysis.flaky_stats import FlakyStat
from cicd_agent.github.client import connect
from cicd_agent.github.comments import marker
from cicd_agent.github.issues import LABEL, upsert_flaky_issue

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


def _listed(key: str, number: int, login: str = "octocat"):
    """Prism's example issue list edited to hold issue ``number`` ending in ``key``'s marker,
    written by ``login``, closed (its test was stable for a while)."""

    def edit(issues: list[dict[str, Any]]) -> list[dict[str, Any]]:
        user = {**issues[0]["user"], "login": login, "type": "User"}
        ours = {**issues[0], "number": number, "state": "closed", "user": user,
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
