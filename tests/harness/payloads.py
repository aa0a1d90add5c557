"""Real webhook payloads from npm ``@octokit/webhooks-examples``, for tests.

Why real ones: hand-written payloads only contain what their author thought of; GitHub's own
recordings carry the nulls, the odd older shapes and the extra fields that production sends.
``tests/harness/setup.sh`` installs the file; every accessor returns fresh deep copies, so a test
may edit what it gets without affecting another test.
"""

from __future__ import annotations

import copy
import functools
import json
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]
INDEX_PATH = REPO_ROOT / ".harness" / "webhooks" / "api.github.com" / "index.json"

Payload = dict[str, Any]


@functools.cache
def _index() -> dict[str, list[Payload]]:
    """Event name → its examples, read once per process (the file is about 4 MB)."""
    if not INDEX_PATH.is_file():
        raise FileNotFoundError(
            f"{INDEX_PATH} is missing: run `bash tests/harness/setup.sh` from the repository root"
        )
    entries = json.loads(INDEX_PATH.read_text(encoding="utf-8"))
    return {entry["name"]: entry["examples"] for entry in entries}


def event_names() -> list[str]:
    """Every event the examples cover (58 in 7.6.1)."""
    return sorted(_index())


def examples(event_name: str, action: str | None = None) -> list[Payload]:
    """Copies of the examples of ``event_name``, only those with ``action`` when given.

    Raises KeyError for an event the package has no examples of, and ValueError when the filter
    leaves nothing, so a typo in a test fails loudly instead of parametrizing over nothing.
    """
    found = [
        payload
        for payload in _index()[event_name]
        if action is None or payload.get("action") == action
    ]
    if not found:
        raise ValueError(f"no {event_name} example with action {action!r}")
    return copy.deepcopy(found)


def example(event_name: str, action: str | None = None) -> Payload:
    """The first matching example: for tests that need one typical payload."""
    return examples(event_name, action)[0]


def failed_workflow_run() -> Payload:
    """A ``workflow_run`` ``completed`` payload whose run failed.

    The package has no example with conclusion ``failure`` (only success and action_required),
    so a completed one is copied and its conclusion set, as GitHub sends it for a red run.
    """
    payload = example("workflow_run", "completed")
    payload["workflow_run"]["status"] = "completed"
    payload["workflow_run"]["conclusion"] = "failure"
    return payload


def write_event(tmp_path: Path, payload: Payload, name: str = "event.json") -> Path:
    """Write ``payload`` where a runner would put ``GITHUB_EVENT_PATH`` and return the path."""
    path = tmp_path / name
    path.write_text(json.dumps(payload), encoding="utf-8")
    return path
