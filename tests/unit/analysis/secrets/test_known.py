"""The run's own secret values: the values of its secret-named variables, and every form a value
can take in a log or a diff (whole, cut, wrapped across lines, encoded)."""

from __future__ import annotations

import base64
import json
from urllib.parse import quote

from cicd_agent.analysis.redact import (
    MIN_ENCODED_LENGTH,
    KnownValues,
    encoded_copies,
    known_secrets_from_env,
)

VALUE = "s3cr3t-Value-0f-the-run-42"


def test_secret_named_variables_and_action_inputs_are_known_values() -> None:
    environ = {
        "GITHUB_TOKEN": VALUE,
        "HOME": "/home/runner",
        "CICD_AGENT_INPUTS": json.dumps({"api-key": "an0ther-Secret-Value-99", "model": "gpt-4o"}),
    }
    assert sorted(known_secrets_from_env(environ)) == sorted([VALUE, "an0ther-Secret-Value-99"])
    assert known_secrets_from_env({"CICD_AGENT_INPUTS": "{not json"}) == []


def test_encoded_copies_cover_base64_at_every_alignment_percent_and_hex() -> None:
    copies = encoded_copies(VALUE)
    assert base64.b64encode(VALUE.encode()).decode() in copies
    assert VALUE.encode().hex() in copies
    assert quote("pa ss/w:rd-long", safe="") in encoded_copies("pa ss/w:rd-long")
    assert VALUE not in copies
    assert all(len(copy) >= MIN_ENCODED_LENGTH for copy in copies)
    for pad in (1, 2):  # the value inside a longer encoded text
        around = base64.b64encode(b"x" * pad + VALUE.encode() + b"tail").decode()
        assert any(copy in around for copy in copies)


def _found(values: KnownValues, text: str) -> list[str]:
    return [text[start:end] for start, end in values.spans(text)]


def test_a_known_value_is_found_whole_cut_and_wrapped_across_lines() -> None:
    values = KnownValues([VALUE])
    assert _found(values, f"token={VALUE};") == [VALUE]
    head = VALUE[:16]
    assert _found(values, f"token={head}…") == [head]
    wrapped = f"token={VALUE[:10]}\n2026-01-01T00:00:00.000Z   {VALUE[10:]} end"
    (span,) = values.spans(wrapped)
    assert wrapped[span[0] : span[1]].replace("\n2026-01-01T00:00:00.000Z   ", "") == VALUE


def test_a_short_piece_or_an_unrelated_text_is_not_the_secret() -> None:
    values = KnownValues([VALUE])
    assert values.spans(f"say {VALUE[:9]} and stop") == []
    assert values.spans("nothing to see here at all") == []


def test_an_encoded_copy_is_found() -> None:
    encoded = base64.b64encode(VALUE.encode()).decode()
    found = _found(KnownValues([VALUE]), f"auth: {encoded}\n")
    assert encoded in found and all(piece in encoded for piece in found)
