"""The access-weakening detector tries its widened-list patterns only on the added lines that
hold one of their words (``needs`` in ``data/authz_widened.toml``), found by one scan of the
added lines joined: every match of a pattern must hold one of its words, and every added line
a pattern matches must be among those the scan names."""

from __future__ import annotations

import re

from hypothesis import example, given, settings
from hypothesis import strategies as st

from cicd_agent.risk.evidence import _WIDENED, _WIDENED_DATA, _maybe_widened, weakened_access

PIECES = [
    "ALLOWED_HOSTS", " = ", "=", "[", "(", "'*'", '"*"', "*", "CORS_ALLOW_ALL_ORIGINS",
    "CORS_ORIGIN_ALLOW_ALL", "True", "true", "Access-Control-Allow-Origin", "'", ":", ",",
    "origin", "ORIGINS", "orıgin", "permission_classes", "permissions.", "AllowAny",
    "authentication_classes", "]", ")", "@csrf_exempt", "[AllowAnonymous]", "@AllowAnonymous",
    "@PermitAll", ".permitAll()", "LOGIN_REQUIRED", "AUTH_REQUIRED", "False", "false", " ",
    "\t", "x", "_", "+", "-", "@",
]  # fmt: skip
lines = st.lists(st.sampled_from(PIECES), max_size=8).map("".join)
prefixed = st.tuples(st.sampled_from(["+", "-", " ", "+++ b/", "@@ "]), lines).map("".join)


@settings(max_examples=30)
@given(st.data())
def test_every_match_of_a_pattern_holds_one_of_its_words(data: st.DataObject) -> None:
    for raw in _WIDENED_DATA:
        flags = re.I if raw.get("ignore_case") else 0
        pattern = re.compile(raw["pattern"], flags)
        text = data.draw(st.from_regex(pattern), label=raw["what"])
        match = pattern.search(text)
        assert match is not None
        held = match.group()
        assert any(re.search(re.escape(word), held, flags) for word in raw["needs"]), held
        assert not any("\n" in word for word in raw["needs"])  # a word is within one line


@given(st.lists(prefixed, max_size=30))
@example(["+ALLOWED_HOSTS = ['*']", "+@csrf_exempt", "+  @csrf_exempt"])
@example(["+x ALLOWED_HOSTS = [", "+'*'] @PermitAll"])
@example(["+ORIGIN: '*'", "+orıgin = '*'", "+CORS_ALLOW_ALL_ORIGINS = True"])
def test_every_added_line_a_pattern_matches_is_named(diff_lines: list[str]) -> None:
    expected = {
        index
        for index, line in enumerate(diff_lines)
        if line.startswith("+") and any(p.search(line[1:]) for p, _ in _WIDENED)
    }
    assert expected <= _maybe_widened(diff_lines)


def test_widened_lines_are_reported_in_the_diff_order() -> None:
    diff = "\n".join([
        "diff --git a/app/settings.py b/app/settings.py",
        "--- a/app/settings.py",
        "+++ b/app/settings.py",
        "@@ -1,3 +1,3 @@",
        "+ALLOWED_HOSTS = ['*']",
        "+x = 1",
        "+@csrf_exempt",
        "+CORS_ALLOW_ALL_ORIGINS = True",
        "+ 'Access-Control-Allow-Orıgin': '*'",
    ])  # fmt: skip
    assert weakened_access(diff) == [
        "app/settings.py: ALLOWED_HOSTS accepts any host: ALLOWED_HOSTS = ['*']",
        "app/settings.py: CSRF protection removed (@csrf_exempt): @csrf_exempt",
        "app/settings.py: CORS allows every origin: CORS_ALLOW_ALL_ORIGINS = True",
        "app/settings.py: CORS allows every origin: 'Access-Control-Allow-Orıgin': '*'",
    ]
