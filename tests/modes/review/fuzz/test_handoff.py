"""The hand-off artifact (``modes/review/handoff``: the review result a pull request's own
workflow run hands to the publishing step) under any file: it is read into a validated result
or refused with the one sentence that says nothing was posted, never another exception."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from cicd_agent.actions.errors import UsageError
from cicd_agent.modes.review.handoff.file import read_result_file
from tests.fuzz.hostile import budget, documents, encoded, mutated

FINDING = {
    "rule": "model-correctness", "severity": "high", "category": "correctness",
    "path": "src/app.py", "line": 3, "start_line": None, "title": "t", "body": "b",
    "suggestion": None, "confidence": 0.9, "source": "model",
}  # fmt: skip
RESULT = {
    "format": "cicd-agent/review-result", "version": 1, "pull_request": 7,
    "head_sha": "a" * 40, "base_sha": "b" * 40, "decision": "comment", "risk_level": "low",
    "risk_reasons": ["r"], "summary": "s", "omitted_findings": 0, "findings": [FINDING],
}  # fmt: skip
"""A result file step 1 writes (its shape; what it says is checked later, against GitHub)."""


@pytest.fixture(scope="module")
def place(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    yield tmp_path_factory.mktemp("handoff")


def test_the_seed_is_a_result_the_reader_takes(place: Path) -> None:
    """The mutations start from a file that is read: else every case would be a refusal."""
    path = place / "seed.json"
    path.write_text(json.dumps(RESULT))
    assert read_result_file(path).findings[0].path == "src/app.py"


@budget(80)
@given(data=st.one_of(mutated(RESULT, edits=2).flatmap(encoded), documents()))
@example(data=json.dumps({**RESULT, "summary": "\ud800"}).encode())
def test_any_result_file_is_read_or_refused_in_one_sentence(place: Path, data: bytes) -> None:
    path = place / "result.json"
    path.write_bytes(data)
    try:
        handed = read_result_file(path)
    except UsageError as error:
        assert "nothing was posted" in error.message and "\n" not in error.message
        return
    handed.model_dump_json().encode("utf-8")  # every string it holds can be written out
