"""The GitHub mock itself: it must catch requests the description rejects, or it proves nothing."""

from __future__ import annotations

from pathlib import Path

import requests

from tests.harness.github_mock import PREPARED_SPEC, judge
from tests.harness.github_proxy import ScriptingProxy
from tests.harness.prepare_spec import BASE_URL_PLACEHOLDER

REVIEWS = "/repos/octocat/Hello-World/pulls/1/reviews"


def test_an_invalid_body_is_rejected_and_reported(github_api) -> None:
    github_api.expect_rejections("request.body.event")
    answer = requests.post(f"{github_api.base_url}{REVIEWS}", json={"event": "BOGUS"}, timeout=30)
    assert answer.status_code == 422
    assert any("request.body.event" in line for line in github_api.rejections())


def test_a_route_the_description_lacks_is_rejected(github_api) -> None:
    github_api.expect_rejections("NO_PATH_MATCHED_ERROR")
    answer = requests.get(f"{github_api.base_url}/repos/o/r/no-such-thing", timeout=30)
    assert answer.status_code == 404


def test_valid_requests_leave_no_rejection(github_api) -> None:
    answer = requests.post(
        f"{github_api.base_url}{REVIEWS}",
        json={"body": "ok", "event": "COMMENT"},
        headers={"Accept": "application/vnd.github.v3+json"},
        timeout=30,
    )
    assert answer.status_code == 200
    assert github_api.rejections() == []
    (recorded,) = github_api.proxy.requests
    assert recorded.json() == {"body": "ok", "event": "COMMENT"}


def test_a_scripted_answer_still_goes_through_validation(github_api) -> None:
    github_api.expect_rejections("request.body.event")
    github_api.proxy.fail("POST", REVIEWS, 500, "boom")
    answer = requests.post(f"{github_api.base_url}{REVIEWS}", json={"event": "NOPE"}, timeout=30)
    assert answer.status_code == 500
    (recorded,) = github_api.proxy.requests
    assert recorded.upstream_status == 422


def test_scripts_expire_after_their_uses(github_api) -> None:
    github_api.proxy.fail("GET", "/repos/octocat/Hello-World/pulls/1", 502, "bad gateway", times=1)
    url = f"{github_api.base_url}/api/v3/repos/octocat/Hello-World/pulls/1"
    statuses = [requests.get(url, timeout=30).status_code for _ in range(2)]
    assert statuses == [502, 200]


def test_judge_flags_unexpected_and_missing_rejections() -> None:
    lines = ["Violation: request.body.event must be one of", "Violation: request.body.x"]
    assert judge(lines[:1], ["request.body.event"]) == []
    assert judge(lines, ["request.body.event"]) == [
        "rejected by the GitHub description: Violation: request.body.x"
    ]
    assert judge([], ["request.body.event"]) == [
        "expected a rejection matching 'request.body.event', Prism logged none"
    ]


def test_a_worker_sees_only_its_own_requests_and_rejections_on_the_shared_prism(
    github_api,
) -> None:
    """One Prism serves every worker of a run: another worker's proxy on the same Prism sends
    a request the description rejects, and an answer naming URLs; neither its record nor its
    rejection reaches this test, and each proxy's answers name its own URL."""
    other = ScriptingProxy(github_api.proxy.upstream, BASE_URL_PLACEHOLDER)
    other.start()
    try:
        bad = requests.post(f"{other.base_url}{REVIEWS}", json={"event": "BOGUS"}, timeout=30)
        assert bad.status_code == 422
        urls = [
            requests.get(f"{proxy.base_url}/repos/octocat/Hello-World", timeout=30).json()["url"]
            for proxy in (github_api.proxy, other)
        ]
    finally:
        other.close()
    assert [r.method for r in other.requests] == ["POST", "GET"]
    assert any("request.body.event" in line for line in other.rejected)
    assert [r.method for r in github_api.proxy.requests] == ["GET"]
    assert github_api.rejections() == []
    assert urls == [f"{p.base_url}/repos/octocat/Hello-World" for p in (github_api.proxy, other)]


def test_the_runs_prism_serves_a_copy_no_other_run_rewrites(github_api) -> None:
    """Prism reloads the document it serves whenever that file changes, closing its port for
    the seconds the reload takes: a second run (another worktree, a newer prepare_spec.py)
    rewriting the shared prepared spec refused every request of this run meanwhile. So the
    run's Prism serves a copy in the run's own folder."""
    mock = github_api.mock
    served = Path(Path(f"/proc/{mock.pid}/cmdline").read_bytes().split(b"\0")[-2].decode())
    assert served.parent == mock.log_path.parent
    assert served.read_bytes() == PREPARED_SPEC.read_bytes()
