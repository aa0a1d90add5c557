"""The event payload (``GITHUB_EVENT_PATH``, ``--event``) under any file: the loader gives an
event or a usage error, and a mode run with it ends in one of its documented exit codes with
its outputs written, never exit 3 (an internal error) or a traceback.

The hostile files are arbitrary bytes and JSON, and the real webhook examples of the events
the modes read with one to three parts replaced by hostile values (so the file still passes the
first checks and the hostile part reaches what reads it)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from cicd_agent.actions.errors import UsageError
from cicd_agent.job.resolve import load_event
from tests.fuzz.hostile import assert_documented_exit, budget, documents, encoded, mutated
from tests.harness import payloads
from tests.helpers.cli import run_cli

EVENTS = (
    "pull_request",
    "push",
    "workflow_run",
    "issue_comment",
    "deployment",
    "workflow_dispatch",
    "pull_request_review_comment",
)


SEEDS = [(name, seed) for name in EVENTS for seed in payloads.examples(name)[:3]]


def event_files() -> st.SearchStrategy[tuple[str | None, bytes]]:
    """(the event's name as a runner would set it, or None; the file's bytes)."""
    real = st.sampled_from(SEEDS).flatmap(
        lambda seed: st.tuples(st.sampled_from([seed[0], None]), mutated(seed[1]).flatmap(encoded))
    )
    return st.one_of(real, real, st.tuples(st.sampled_from([*EVENTS, None]), documents()))


@pytest.fixture(scope="module")
def place(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    yield tmp_path_factory.mktemp("event")


@budget(100)
@given(case=event_files())
def test_any_event_file_loads_or_is_a_usage_error(place: Path, case: tuple[str | None, bytes]):
    name, data = case
    path = place / "event.json"
    path.write_bytes(data)
    try:
        event = load_event(path, name)
    except UsageError as error:
        assert "\n" not in str(error.message)
        return
    assert event.path == path


@budget(20)
@given(case=event_files())
@example(case=("pull_request", json.dumps({"number": 1, "pull_request": {}}).encode()))
def test_a_mode_run_on_any_event_file_ends_in_a_documented_exit(
    place: Path, case: tuple[str | None, bytes]
) -> None:
    name, data = case
    event = place / "event.json"
    event.write_bytes(data)
    (place / "log.txt").write_bytes(
        b"Run pytest\nE   assert 5 == 6\nError: Process completed with exit code 1.\n"
    )
    workspace = place / "workspace"
    workspace.mkdir(exist_ok=True)
    argv = [
        "analyse-failure",
        "--provider",
        "none",
        "--logs",
        str(place / "log.txt"),
        "--event",
        str(event),
        *(["--event-name", name] if name else []),
    ]
    done = run_cli(argv, place, {"GITHUB_WORKSPACE": str(workspace)})
    assert_documented_exit(done.code, done.outputs, done.stdout + done.stderr)
