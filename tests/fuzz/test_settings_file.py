"""The repository's settings file (``.github/cicd-agent.yml``) under any text: it is read, or
refused with a usage error naming the key; a value it gives reaches the mode's options through
the same parsers as the input of the same name (what the shipped JSON Schema describes), which
accept it or refuse it the same way, never with another exception."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from itertools import pairwise

import yaml
from hypothesis import example, given
from hypothesis import strategies as st

from cicd_agent.actions.errors import UsageError
from cicd_agent.job.repo_config import parse, settings_by_section
from cicd_agent.job.resolve import resolve_run
from cicd_agent.plugins import installed_modes, own_modes
from tests.fuzz.hostile import budget, small_json, texts

MODE_SECTIONS = own_modes()
TODAY = date(2026, 11, 26)
KNOWN = settings_by_section()
QUARANTINE = {
    "test": "tests/test_a.py::test_x",
    "owner": "@team/x",
    "expires": "2026-12-01",
    "reason": "flaky",
}


def values() -> st.SearchStrategy[object]:
    quarantine = st.dictionaries(
        st.sampled_from(sorted(QUARANTINE)), texts(20, huge=False) | small_json
    )
    return st.one_of(
        small_json,
        texts(30, huge=False),
        st.lists(texts(20, huge=False), max_size=3),
        st.lists(quarantine, max_size=3),
    )


def sections() -> st.SearchStrategy[dict[str, object]]:
    body = st.sampled_from(MODE_SECTIONS).flatmap(
        lambda section: st.tuples(
            st.just(section),
            st.dictionaries(
                st.sampled_from(sorted(KNOWN[section])) | texts(10, huge=False),
                values(),
                max_size=4,
            ),
        )
    )
    return st.lists(body, max_size=3).map(dict)


def dumped(document: object) -> str:
    try:
        return yaml.safe_dump(document, allow_unicode=True)
    except yaml.YAMLError:  # a lone surrogate: written escaped instead
        return yaml.safe_dump(document)


LAUGHS = (
    "a: &a ["
    + "lol, " * 9
    + "lol]\n"
    + "".join(
        f"{after}: &{after} [" + ", ".join([f"*{before}"] * 10) + "]\n"
        for before, after in pairwise("abcdefghi")
    )
)
"""The billion laughs in YAML: aliases expanding to 10^9 nodes."""
HAZARDS = st.sampled_from(
    [
        "review: &a [*a]\n",
        LAUGHS,
        "review: !!python/object/apply:os.system ['true']\n",
        "[" * 50_000,
        "review:\n  fail-on: " + "x" * 300_000,
        "review:\n  fail-on: 1e999\n",
        "\ufeffreview: {}\n",
        "review:\n  max-findings: 99999999999999999999999\n",
    ]
)


@budget(40)
@given(
    text=st.one_of(sections().map(dumped), sections().map(dumped), texts(200, huge=False), HAZARDS),
    mode=st.sampled_from(MODE_SECTIONS),
)
@example(
    text="analyse-failure:\n  quarantine:\n  - test: a\n    expires: 9999-12-31\n",
    mode="analyse-failure",
)
def test_any_settings_file_is_read_into_the_options_or_refused(text: str, mode: str) -> None:
    try:
        settings = replace(parse(text, mode, TODAY), source=".github/cicd-agent.yml at 0123abcd")
        entry = installed_modes()[mode]
        run = resolve_run(
            mode, entry.arguments(), {}, {}, today=TODAY, settings_for=lambda *_: (None, settings)
        )
        entry.options()(run.given)
    except UsageError as error:
        assert "\n" not in str(error.message)
