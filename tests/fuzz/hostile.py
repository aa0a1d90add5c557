"""What the fuzz tests feed every parser of outside input (arbitrary JSON, lone surrogates,
invalid UTF-8, huge and deeply nested values, and real documents with a few parts made hostile)
and what a mode's answer to it must be (:func:`assert_documented_exit`).

Each test sets its own budget with :func:`budget`; the profile, loaded as this module is
imported (so a mode's fuzz tests in ``tests/modes/<mode>/fuzz/`` run alone with it), decides
whether that is CI's fixed, derandomized count or ``CICD_AGENT_FUZZ=long``'s multiple: ``ci``
runs each test's budget derandomized and without an example database, so every CI run draws the
same inputs and costs the same CPU; ``long`` multiplies every budget and draws fresh random
inputs (docs/development.md, "Fuzzing"). Neither has a deadline: no test here asserts a time.
"""

from __future__ import annotations

import copy
import json
import os
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

LONG = os.environ.get("CICD_AGENT_FUZZ", "") == "long"
LONG_FACTOR = 20
"""How many times each budget a long run draws: about five CPU-minutes for the whole set."""
DEEP = 200_000
"""Nesting far past any parser's recursion limit."""

_QUIET = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example]
settings.register_profile(
    "ci",
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=_QUIET,
    print_blob=False,
)
settings.register_profile(
    "long",
    derandomize=False,
    database=None,
    deadline=None,
    suppress_health_check=_QUIET,
    print_blob=True,
)
settings.load_profile("long" if LONG else "ci")


def budget(examples: int) -> settings:
    """``examples`` generated inputs in CI, :data:`LONG_FACTOR` times more in a long run."""
    return settings(max_examples=examples * (LONG_FACTOR if LONG else 1))


SURROGATES = st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF)
characters = st.one_of(st.characters(), SURROGATES)
"""Any code point, lone surrogates included."""
pieces = st.one_of(
    characters,
    st.sampled_from(
        [
            "\x00",
            "\n",
            "\r\n",
            "\u2028",
            "\u202e",
            "\ufeff",
            "\x1b[31m",
            "%0a",
            "%ff",
            "../",
            "\\",
            "```",
            "<!--",
            "@",
        ]
    ),
)
"""A character, or a piece that control and layout handling trips on."""


def texts(max_size: int = 40, *, huge: bool = True) -> st.SearchStrategy[str]:
    """Short hostile text, or now and then (``huge``) a run of one character, 200,000 at most."""
    short = st.lists(pieces, max_size=max_size).map("".join)
    if not huge:
        return short
    long = st.builds(lambda c, n: c * n, characters, st.integers(1_000, 200_000))
    return st.one_of(short, short, short, short, short, long)


def json_of(strings: st.SearchStrategy[str]) -> st.SearchStrategy[Any]:
    """Any JSON value (and NaN) whose strings are ``strings``."""
    scalars = st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.integers(min_value=10**30).map(lambda n: n**20),
        st.floats(),  # NaN and the infinities too: Python's json writes and reads them
        strings,
    )
    return st.recursive(
        scalars,
        lambda inner: st.lists(inner, max_size=5) | st.dictionaries(strings, inner, max_size=5),
        max_leaves=20,
    )


json_values = json_of(texts())
"""Any JSON value, strings with lone surrogates included, now and then a huge one."""
small_json = json_of(texts(huge=False))
"""The same without huge strings: for a test whose own writer is slow on them (YAML's)."""


def _nested(depth: int, opener: str) -> bytes:
    closer = {"[": "]", "{": "}"}[opener]
    inner = '{"a":' if opener == "{" else "["
    return (inner * depth + "1" + closer * depth).encode()


@st.composite
def encoded(draw: st.DrawFn, value: object) -> bytes:
    """``value`` as JSON bytes: escaped, or raw (a lone surrogate then is invalid UTF-8),
    sometimes cut short or with a byte that is never UTF-8 put in."""
    if draw(st.booleans()):
        data = json.dumps(value).encode()
    else:
        data = json.dumps(value, ensure_ascii=False).encode("utf-8", "surrogatepass")
    damage = draw(st.sampled_from(["none", "none", "cut", "byte"]))
    if damage != "none" and data:
        at = draw(st.integers(0, len(data) - 1))
        data = data[:at] if damage == "cut" else data[:at] + b"\xff" + data[at:]
    return data


def documents(value: st.SearchStrategy[Any] = json_values) -> st.SearchStrategy[bytes]:
    """Bytes a JSON parser is handed: ``value`` encoded, nesting past the parser's limit,
    nesting just under it, numbers past what Python reads, or any bytes at all."""
    return st.one_of(
        value.flatmap(encoded),
        st.sampled_from(
            [b"1" * 5_000, b"1e999", b"-Infinity", b'{"a": NaN}', b"[1" + b"0" * 5_000 + b"]"]
        ),
        st.sampled_from(["[", "{"]).flatmap(
            lambda o: st.sampled_from([900, 990, 5_000, DEEP]).map(lambda d: _nested(d, o))
        ),
        st.binary(max_size=200),
    )


@st.composite
def mutated(draw: st.DrawFn, document: Any, edits: int = 3) -> Any:
    """A copy of the real ``document`` with up to ``edits`` parts replaced by a hostile JSON
    value or removed: it still passes most checks, so the hostile part reaches deep code."""
    document = copy.deepcopy(document)
    for _ in range(draw(st.integers(1, edits))):
        parent: Any = None
        key: Any = None
        node = document
        while isinstance(node, dict | list) and node and draw(st.integers(0, 3)) > 0:
            parent = node
            key = draw(
                st.sampled_from(sorted(node) if isinstance(node, dict) else range(len(node)))
            )
            node = node[key]
        if parent is None:
            continue
        if isinstance(parent, dict) and draw(st.integers(0, 4)) == 0:
            del parent[key]
        else:
            parent[key] = draw(json_values)
    return document


def assert_documented_exit(code: int, outputs: dict[str, str], printed: str) -> None:
    """Exit 0, 1 or 2 with the outputs written; on 2, the error output is one line naming the
    fix. Exit 3 here is a crash: the CLI's catch-all says "internal error"."""
    assert "Traceback" not in printed
    assert code in (0, 1, 2), outputs.get("error") or printed[-2000:]
    assert outputs, "no outputs written"
    if code == 2:
        assert outputs["error"] and "\n" not in outputs["error"]
