"""The one JSON reader for outside text: each thing ``json.loads`` lets through that breaks
code far from the read is refused by name, or made harmless, here."""

from __future__ import annotations

import pytest

from cicd_agent.actions.bounded_json import JsonRefused, load


def test_a_lone_surrogate_is_the_replacement_character_in_keys_and_values() -> None:
    read = load(
        b'{"token": "\\ud800x", "\\udc00": ["\\ud800", {"a": "\\udfff"}], "ok": "\\ud83d\\ude00"}'
    )
    assert read == {"token": "\ufffdx", "\ufffd": ["\ufffd", {"a": "\ufffd"}], "ok": "\U0001f600"}
    assert str(read).encode("utf-8")  # nothing in it raises where it is written


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"1e999", "a number out of range"),
        (b'{"a": NaN}', "NaN, which is not JSON"),
        (b"[-Infinity]", "-Infinity, which is not JSON"),
        (b"1" * 5_000, "a number too long to read"),
        (b"[" * 100_000, "nested too deeply"),
        (b"\xff{}", "not UTF-8 text"),
        (b"\x00\x00\x00[\x00\x00\x00]", "Expecting value"),  # json.loads reads this as UTF-32
        (b'{"a": 1,', "Expecting property name"),
    ],
)
def test_what_breaks_later_is_refused_by_name(data: bytes, reason: str) -> None:
    with pytest.raises(JsonRefused, match=reason):
        load(data)


def test_duplicate_keys_are_refused_only_when_asked_and_a_first_value_may_have_a_tail() -> None:
    assert load(b'{"a": 1, "a": 2}') == {"a": 2}
    with pytest.raises(JsonRefused, match="a key appears twice"):
        load(b'{"a": 1, "a": 2}', unique_keys=True)
    assert load("[1]\nmore output", first_value=True) == [1]
    assert load(b"\xef\xbb\xbf[1]") == [1]


@pytest.mark.parametrize(
    ("data", "read"),
    [
        (b'["\\\\ud800"]', ["\\ud800"]),  # an escaped backslash, then text: no escape at all
        (b'["\\\\\\ud800"]', ["\\\ufffd"]),  # an escaped backslash, then a lone escape
        (b'["\\\\\\\\\\ud800", "\\\\\\\\\\ud83d\\ude00"]', ["\\\\\ufffd", "\\\\\U0001f600"]),
        (b'["\\\\\\\\ud800\\\\", "\\ud800\\\\\\udc00"]', ["\\\\ud800\\", "\ufffd\\\ufffd"]),
        (b'["\\uD83D\\uDE00", "\\uDE00\\uD83D"]', ["\U0001f600", "\ufffd\ufffd"]),
        (b'["\\ud800\\ud83d\\ude00\\u0041"]', ["\ufffd\U0001f600A"]),
        (b'{"\\ud800": 1}', {"\ufffd": 1}),
        ('["\ud800"]', ["\ufffd"]),  # text handed over with a surrogate in it
    ],
)
def test_each_lone_surrogate_escape_and_no_other_is_the_replacement_character(
    data: bytes | str, read: object
) -> None:
    """Replaced in the text before it is decoded (never by walking millions of decoded
    objects): only a real escape of a surrogate that is not half of a pair."""
    assert load(data) == read


def test_a_refusal_names_the_place_in_the_text_as_written() -> None:
    with pytest.raises(JsonRefused, match="column 14"):  # json.loads says so too
        load(b'["\\ud800", 1,]')
