"""The signature table, in its two parts: the runner's verdicts first (the facts that decide a
type whatever else failed), then the tools' shapes, the generic ones last. A line takes the
first signature that matches it, so each example must be taken by its own signature or one
that means the same."""

from __future__ import annotations

import re

import pytest

from cicd_agent.modes.analyse_failure.log_facts import FailureType
from cicd_agent.modes.analyse_failure.logs.signatures import (
    DECISIVE_WEIGHT,
    SIGNATURES,
    TOOL_SIGNATURES,
    VERDICT_SIGNATURES,
    Signature,
    hit_of,
)

EXAMPLES = [(s, example) for s in SIGNATURES for example in s.examples]


def test_the_table_is_the_verdicts_then_the_tools_with_unique_names() -> None:
    assert (*VERDICT_SIGNATURES, *TOOL_SIGNATURES) == SIGNATURES
    names = [s.name for s in SIGNATURES]
    assert len(names) == len(set(names))


def test_only_the_runners_verdicts_are_decisive() -> None:
    assert [s.name for s in TOOL_SIGNATURES if s.decisive] == []
    decisive = [s for s in VERDICT_SIGNATURES if s.decisive]
    assert decisive and all(s.failure_type is not None for s in decisive)


@pytest.mark.parametrize(("signature", "example"), EXAMPLES, ids=[f"{s.name}" for s, _ in EXAMPLES])
def test_an_example_is_taken_first_by_its_signature_or_one_of_its_type(
    signature: Signature, example: str
) -> None:
    first = next(s for s in SIGNATURES if s.pattern.search(example))
    assert first is signature or first.failure_type is signature.failure_type, first.name


def test_a_hit_reads_the_first_path_and_line_groups_whatever_their_suffix() -> None:
    shape = Signature(
        "demo.error", FailureType.BUILD_ERROR, 70,
        re.compile(r"(?:(?P<path>\S+\.c):(?P<line>\d+)|(?P<path2>\S+\.h):(?P<line2>\d+)): error"),
        ("error",),
    )  # fmt: skip
    assert not shape.decisive and shape.weight < DECISIVE_WEIGHT
    match = shape.pattern.search("lib/a.h:12: error")
    assert match is not None
    hit = hit_of(shape, match)
    assert (hit.path, hit.source_line) == ("lib/a.h", 12)
    assert hit.groups == {"path2": "lib/a.h", "line2": "12"}
    plain = Signature("demo.plain", None, 40, re.compile(r"error"), ("error",))
    found = plain.pattern.search("error")
    assert isinstance(found, re.Match)
    assert (hit_of(plain, found).path, hit_of(plain, found).source_line) == (None, None)
