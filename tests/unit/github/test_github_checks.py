"""Check runs: created once per name and commit, annotations sent 50 per request until all are
sent, the last request completing the run; all through PyGithub → proxy → Prism."""

from __future__ import annotations

from typing import Any

import pytest

from cicd_agent.actions.errors import GitHubError
from cicd_agent.github.checks import publish_check_run
from cicd_agent.github.client import connect
from cicd_agent.github.models import Annotation

SHA = "6dcb09b5b57875f334f61aebed695e2e4193db5e"
CREATE = r"/repos/octocat/Hello-World/check-runs"
UPDATE = r"/repos/octocat/Hello-World/check-runs/\d+"
LOOKUP = rf"/repos/octocat/Hello-World/commits/{SHA}/check-runs"


def _annotations(count: int) -> list[Annotation]:
    return [
        Annotation(f"src/m{i}.py", i + 1, i + 1, "warning", f"finding {i}", title="cicd-agent")
        for i in range(count)
    ]


def _publish(client, annotations: list[Annotation]):
    return publish_check_run(
        client,
        name="cicd-agent review",
        head_sha=SHA,
        title="3 findings",
        summary="Review finished.",
        conclusion="neutral",
        annotations=annotations,
    )


def test_120_annotations_go_in_batches_of_50_50_20(github_api) -> None:
    outcome = _publish(connect(github_api.settings()), _annotations(120))

    creates = github_api.proxy.calls("POST", CREATE)
    updates = github_api.proxy.calls("PATCH", UPDATE)
    assert len(creates) == 1
    assert creates[0].json()["status"] == "in_progress"
    sizes = [len(u.json()["output"]["annotations"]) for u in updates]
    assert sizes == [50, 50, 20]
    sent = [a["message"] for u in updates for a in u.json()["output"]["annotations"]]
    assert sent == [f"finding {i}" for i in range(120)]
    assert [u.json().get("conclusion") for u in updates] == [None, None, "neutral"]
    assert updates[-1].json()["status"] == "completed"
    assert outcome.status == "created" and outcome.url
    assert len(outcome.requests) == 4


def test_no_annotations_still_completes_the_run_in_one_update(github_api) -> None:
    _publish(connect(github_api.settings()), [])
    updates = github_api.proxy.calls("PATCH", UPDATE)
    assert len(updates) == 1
    assert "annotations" not in updates[0].json()["output"]
    assert updates[0].json()["conclusion"] == "neutral"


def test_an_existing_run_of_the_same_name_is_updated_not_duplicated(github_api) -> None:
    def ours(listing: dict[str, Any]) -> dict[str, Any]:
        run = {**listing["check_runs"][0], "id": 777, "name": "cicd-agent review"}
        return {"total_count": 1, "check_runs": [run]}

    github_api.proxy.script("GET", LOOKUP, edit=ours)
    outcome = _publish(connect(github_api.settings()), _annotations(3))
    assert github_api.proxy.calls("POST", CREATE) == []
    assert [u.api_path for u in github_api.proxy.calls("PATCH", UPDATE)] == [
        "/repos/octocat/Hello-World/check-runs/777"
    ]
    assert outcome.status == "updated"
    lookup = github_api.proxy.calls("GET", LOOKUP)[0]
    assert lookup.query["check_name"] == ["cicd-agent review"]


def test_a_token_without_checks_write_skips_the_whole_run(github_api) -> None:
    github_api.proxy.fail("POST", CREATE, 403, "Resource not accessible by integration")
    client = connect(github_api.settings())
    outcome = _publish(client, _annotations(60))
    assert outcome.status == "skipped" and "403" in outcome.reason
    assert github_api.proxy.calls("PATCH", UPDATE) == []
    assert not client.capability.can_write


def test_an_invalid_annotation_level_is_rejected_by_the_description(github_api) -> None:
    bogus = Annotation("a.py", 1, 1, "fatal", "no such level")  # type: ignore[arg-type]
    github_api.expect_rejections("annotation_level")
    with pytest.raises(GitHubError) as caught:
        _publish(connect(github_api.settings()), [bogus])
    assert caught.value.status == 422
