"""The event layer against GitHub's own recorded payloads, and against files that are broken."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from cicd_agent.actions.errors import ExitCode, UsageError
from cicd_agent.job.events import (
    PULL_REQUEST_EVENTS,
    Event,
    infer_event_name,
    require,
    require_workflow_run,
)
from cicd_agent.job.payloads import Comment
from cicd_agent.job.resolve import load_event
from tests.harness.payloads import (
    event_names,
    example,
    examples,
    failed_workflow_run,
    write_event,
)

OUR_EVENTS = (
    "pull_request",
    "push",
    "workflow_run",
    "deployment",
    "workflow_dispatch",
    "issue_comment",
    "pull_request_review_comment",
)


def _cases() -> list[Any]:
    """Every example of every event we read, with pull_request ones also as pull_request_target."""
    cases = []
    for name in OUR_EVENTS:
        for i, payload in enumerate(examples(name)):
            label = f"{name}-{i}-{payload.get('action', '')}"
            cases.append(pytest.param(name, payload, id=label))
            if name == "pull_request":
                target = f"pull_request_target-{i}-{payload['action']}"
                cases.append(pytest.param("pull_request_target", payload, id=target))
    return cases


def _assert_key_fields(event: Event, raw: dict[str, Any]) -> None:
    """The fields modes read come through with the payload's values."""
    assert event.raw == raw
    assert event.repository is not None
    assert event.repository.full_name == raw["repository"]["full_name"]
    assert event.repository.owner.login == raw["repository"]["owner"]["login"]
    if event.comment is not None:
        comment, raw_comment = event.comment, raw["comment"]
        assert (comment.id, comment.body, comment.author_association) == (
            raw_comment["id"],
            raw_comment["body"],
            raw_comment["author_association"],
        )
        assert comment.user is not None and comment.user.type == raw_comment["user"]["type"]
        assert comment.in_reply_to_id == raw_comment.get("in_reply_to_id")
        if event.issue is not None:  # issue_comment: the pull request is read from the API
            assert event.issue.number == raw["issue"]["number"] and event.pull_request is None
            return
        assert event.pull_request is not None
        assert event.pull_request.head.sha == raw["pull_request"]["head"]["sha"]
        return
    if event.pull_request is not None:
        pr, raw_pr = event.pull_request, raw["pull_request"]
        assert pr.number == raw.get("number", raw_pr["number"]) == raw_pr["number"]
        assert (pr.head.sha, pr.head.ref) == (raw_pr["head"]["sha"], raw_pr["head"]["ref"])
        assert (pr.base.sha, pr.base.ref) == (raw_pr["base"]["sha"], raw_pr["base"]["ref"])
        assert pr.title == raw_pr["title"]
        assert pr.body == raw_pr["body"]
        assert pr.is_fork is False  # every recorded example is a same-repository PR
    elif event.push is not None:
        push = event.push
        assert (push.ref, push.before, push.after) == (raw["ref"], raw["before"], raw["after"])
    elif event.workflow_run is not None:
        run, raw_run = event.workflow_run, raw["workflow_run"]
        assert (run.id, run.head_sha, run.conclusion) == (
            raw_run["id"],
            raw_run["head_sha"],
            raw_run["conclusion"],
        )
        assert [p.number for p in run.pull_requests] == [
            p["number"] for p in raw_run["pull_requests"]
        ]
    elif event.deployment is not None:
        dep, raw_dep = event.deployment, raw["deployment"]
        assert (dep.id, dep.sha, dep.ref, dep.environment) == (
            raw_dep["id"],
            raw_dep["sha"],
            raw_dep["ref"],
            raw_dep["environment"],
        )
    else:
        assert event.dispatch is not None
        assert (event.dispatch.ref, event.dispatch.inputs) == (raw["ref"], raw["inputs"])


@pytest.mark.parametrize(("name", "payload"), _cases())
def test_every_recorded_example_loads_with_its_key_fields(
    tmp_path: Path, name: str, payload: dict[str, Any]
) -> None:
    event = load_event(write_event(tmp_path, payload), name)

    assert event.name == name
    views = [event.pull_request, event.push, event.workflow_run, event.deployment, event.dispatch]
    views += [event.issue]
    assert sum(view is not None for view in views) == 1
    assert (event.comment is not None) == (name in ("issue_comment", "pull_request_review_comment"))
    _assert_key_fields(event, payload)


@pytest.mark.parametrize("name", event_names())
def test_the_event_name_is_inferred_from_the_payload_outside_a_runner(name: str) -> None:
    """Our events are recognised by shape; none of the 50-odd other events is mistaken for one."""
    expected = name if name in (*OUR_EVENTS, "merge_group") else None  # a queue's commits
    assert {infer_event_name(payload) for payload in examples(name)} == {expected}


def test_an_inferred_event_loads_its_typed_view(tmp_path: Path) -> None:
    event = load_event(write_event(tmp_path, example("push")), None)

    assert event.name == "push"
    assert event.push is not None


def test_an_event_we_do_not_read_loads_without_views(tmp_path: Path) -> None:
    event = load_event(write_event(tmp_path, example("release", "published")), "release")

    assert (event.name, event.action) == ("release", "published")
    assert event.pull_request is None and event.push is None and event.repository is None


def test_a_failed_workflow_run_is_made_from_a_recorded_one_and_loads(tmp_path: Path) -> None:
    recorded = {p["workflow_run"]["conclusion"] for p in examples("workflow_run", "completed")}
    assert "failure" not in recorded, "the package now has one: use it instead"

    event = load_event(write_event(tmp_path, failed_workflow_run()), None)
    run = require_workflow_run(event, "analyse-failure")

    assert run.conclusion == "failure"


def test_a_pr_from_another_repository_is_a_fork(tmp_path: Path) -> None:
    payload = example("pull_request", "opened")
    payload["pull_request"]["head"]["repo"]["full_name"] = "someone/fork-of-hello-world"

    pr = load_event(write_event(tmp_path, payload), "pull_request").pull_request

    assert pr is not None and pr.is_fork


def test_a_pr_whose_fork_was_deleted_loads_and_counts_as_a_fork(tmp_path: Path) -> None:
    payload = example("pull_request", "opened")
    payload["pull_request"]["head"]["repo"] = None

    pr = load_event(write_event(tmp_path, payload), "pull_request").pull_request

    assert pr is not None and pr.head.repo is None
    assert pr.is_fork


def test_optional_fields_missing_from_older_payloads_default(tmp_path: Path) -> None:
    payload = example("pull_request", "opened")
    for key in ("draft", "labels", "body", "user"):
        del payload["pull_request"][key]
    del payload["sender"]

    event = load_event(write_event(tmp_path, payload), "pull_request")

    assert event.pull_request is not None
    assert event.pull_request.draft is False
    assert event.pull_request.body is None
    assert event.sender is None


def _problem(tmp_path: Path, content: bytes | None, name: str | None = "pull_request") -> str:
    """Load a file with ``content`` (None: no file) and return the usage error's message."""
    path = tmp_path / "broken-event.json"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(UsageError) as caught:
        load_event(path, name)
    assert caught.value.exit_code == ExitCode.USAGE
    assert caught.value.hint, "every event error says how to fix it"
    assert str(path) in caught.value.message
    assert "\n" not in caught.value.message, "one line: a payload must not add log lines"
    return caught.value.message


def _pr_with(**changes: Any) -> bytes:
    payload = example("pull_request", "opened")
    payload["pull_request"].update(changes)
    return json.dumps(payload).encode()


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        pytest.param(None, "does not exist", id="missing"),
        pytest.param(b'{"action": "opened",', "is not valid JSON: Expecting", id="truncated"),
        pytest.param(b"", "is not valid JSON", id="empty"),
        pytest.param(b"\xff\xfe{\x00\x80", "not UTF-8", id="not-utf8"),
        pytest.param(b"[1, 2]", "holds a JSON array, not an object", id="array"),
        pytest.param(b"null", "holds a JSON null, not an object", id="null"),
        pytest.param(_pr_with(number="seven"), "pull_request.number: Input should be", id="type"),
        pytest.param(
            _pr_with(head={"sha": "; rm -rf /", "ref": "x"}),
            "pull_request.head.sha: '; rm -rf /' is not a full commit SHA",
            id="sha",
        ),
        pytest.param(
            _pr_with(head={"sha": "0" * 8 + "\n::error::forged", "ref": "x"}),
            "'" + "0" * 8 + "\\n::error::forged' is not a full commit SHA",
            id="sha-with-workflow-command",
        ),
        pytest.param(b'{"repository": {}}', "is not a valid pull_request payload", id="empty-pr"),
    ],
)
def test_a_malformed_event_file_is_a_usage_error_naming_the_file(
    tmp_path: Path, content: bytes | None, expected: str
) -> None:
    assert expected in _problem(tmp_path, content)


def test_an_unreadable_event_file_is_a_usage_error(tmp_path: Path) -> None:
    path = tmp_path / "event.json"
    path.mkdir()

    with pytest.raises(UsageError) as caught:
        load_event(path, "push")
    assert caught.value.message == f"Event file {path} cannot be read: Is a directory."


def test_a_payload_that_does_not_match_the_named_event_is_a_usage_error(tmp_path: Path) -> None:
    message = _problem(tmp_path, json.dumps(example("push")).encode(), name="pull_request")

    assert "is not a valid pull_request payload: pull_request: Field required" in message


def test_several_problems_are_counted_in_one_sentence(tmp_path: Path) -> None:
    """The next problems are named by where they are: a payload missing ``repository.name``
    and ``repository.owner`` said "(and 1 more problem)", and the second fix took a second run."""
    message = _problem(tmp_path, _pr_with(number="x", title=3))

    assert message.endswith("(and 1 more problem: pull_request.title).")


def test_a_mode_given_the_wrong_event_says_which_it_needs_and_got(tmp_path: Path) -> None:
    event = load_event(write_event(tmp_path, example("push")), "push")

    with pytest.raises(UsageError) as caught:
        require(event, PULL_REQUEST_EVENTS, "review")

    assert caught.value.exit_code == ExitCode.USAGE
    assert caught.value.message == (
        "Mode review needs a pull_request or pull_request_target event, got a push event."
    )
    assert "--event" in caught.value.hint


def test_without_an_event_file_a_mode_that_needs_one_says_so() -> None:
    event = load_event(None, None)

    assert event.raw == {}
    with pytest.raises(UsageError, match="needs a workflow_run event, got no event file"):
        require_workflow_run(event, "analyse-failure")


def test_require_accepts_the_right_event_and_keeps_a_custom_hint(tmp_path: Path) -> None:
    event = load_event(write_event(tmp_path, example("deployment")), "deployment")
    require(event, ("push", "deployment"), "deploy-gate")

    with pytest.raises(UsageError) as caught:
        require(event, ("push",), "deploy-gate", hint="Or pass --base and --head.")
    assert caught.value.hint == "Or pass --base and --head."


def test_an_unrecognised_payload_is_named_as_such(tmp_path: Path) -> None:
    event = load_event(write_event(tmp_path, {"zen": "Keep it logically awesome."}), None)

    with pytest.raises(UsageError) as caught:
        require(event, ("push",), "deploy-gate")
    assert "an event file of unknown kind; pass --event-name" in str(caught.value)
    assert "None" not in str(caught.value)


def test_attack_a_line_comment_moved_by_a_later_push_was_written_on_its_original_commit() -> None:
    """ATTACK (gen-tests on a fork): GitHub moves a line comment's ``commit_id`` to a
    later head when a push leaves its line alone; a reply in that thread carries the moved
    commit. A fork's author pushes B, a writer replies ``/cicd-agent gen-tests`` from the
    conversation (having read A): the moved ``commit_id`` is B, a head the writer never saw.
    The commit the comment was written on is ``original_commit_id``."""
    moved = Comment.model_validate({"id": 1, "commit_id": "b" * 40, "original_commit_id": "a" * 40})
    assert moved.written_on == "a" * 40
    assert Comment.model_validate({"id": 2, "commit_id": "b" * 40}).written_on == "b" * 40
    assert Comment.model_validate({"id": 3}).written_on is None  # a conversation comment


def test_attack_a_replayed_merge_group_with_refs_missing_or_odd_is_one_line_or_no_branch(
    tmp_path: Path,
) -> None:
    """A replayed ``--event`` is the operator's file, and the queue's branch in it is asked
    about by name: a group missing its refs, or giving a number, is one line naming the fix
    (exit 2); a ref holding a newline, a workflow command or a fork's ``owner:`` is read, but
    names no branch GitHub is asked about."""
    from cicd_agent.github.trust import branch_name

    group = dict(example("merge_group"))
    for broken in ({"head_ref": None}, {"head_ref": 5}, {"base_ref": None}):
        path = tmp_path / "broken.json"
        path.write_text(json.dumps({**group, "merge_group": {**group["merge_group"], **broken}}))
        with pytest.raises(UsageError) as raised:
            load_event(path, "merge_group")
        assert raised.value.exit_code == ExitCode.USAGE and "--event" in str(raised.value)
    odd = "refs/heads/main\n::stop-commands::x"
    path = tmp_path / "odd.json"
    path.write_text(json.dumps({**group, "merge_group": {**group["merge_group"], "head_ref": odd}}))
    assert load_event(path, "merge_group").merge_group.head_ref == odd  # type: ignore[union-attr]
    assert not branch_name(odd.removeprefix("refs/heads/"))
    assert not branch_name("mallory:main") and not branch_name("x" * 256)
