"""The one loader for YAML a pull request or a user controls: an alias bomb, a self-referring
alias, deep nesting, a huge number or a key written twice is a one-line refusal, never a walk
over billions of nodes or a crash."""

from __future__ import annotations

import pytest
import yaml

from cicd_agent.analysis.bounded_yaml import (
    YamlLimitError,
    YamlLimits,
    compose,
    load,
    one_line,
)

LAUGHS = "\n".join(
    ['a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    + [f"{chr(98 + n)}: &{chr(98 + n)} [{', '.join([f'*{chr(97 + n)}'] * 9)}]" for n in range(8)]
)


def test_an_ordinary_document_loads_as_safe_load_does() -> None:
    text = "on: [push]\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps: [{run: pytest}]\n"
    assert load(text) == yaml.safe_load(text)
    assert load("") is None


def test_a_billion_laughs_is_refused_by_its_expanded_size() -> None:
    with pytest.raises(YamlLimitError, match="expands to more than 200,000 nodes"):
        load(LAUGHS)


def test_an_alias_inside_the_node_it_names_is_refused() -> None:
    with pytest.raises(YamlLimitError, match=r"alias \*a refers to a node that contains it"):
        compose("a: &a [1, *a]\n")


def test_nesting_past_the_depth_limit_is_refused_before_and_while_composing() -> None:
    with pytest.raises(YamlLimitError, match="nested deeper than 100 levels"):
        compose("[" * 5000 + "]" * 5000)
    limits = YamlLimits(max_depth=3)
    with pytest.raises(YamlLimitError, match="nested deeper than 3 levels"):
        compose("a:\n  b:\n    c:\n      d: 1\n", limits)


def test_a_text_over_the_byte_limit_is_refused() -> None:
    with pytest.raises(YamlLimitError, match="larger than the 10-byte limit"):
        compose("key: é" * 3, YamlLimits(max_bytes=10))


@pytest.mark.parametrize("value", ["0x" + "f" * 5_000, "9" * 5_000, "2024-02-30"])
def test_a_value_python_cannot_read_is_a_limit_error(value: str) -> None:
    with pytest.raises(YamlLimitError, match="cannot be read"):
        load(f"n: {value}\n")


def test_a_key_written_twice_is_refused_only_when_asked_and_a_merge_is_no_duplicate() -> None:
    twice = "review:\n  max-findings: 5\nreview:\n  max-findings: 50\n"
    assert load(twice) == {"review": {"max-findings": 50}}
    with pytest.raises(yaml.constructor.ConstructorError, match="'review' is written twice"):
        load(twice, unique_keys=True)
    merged = "base: &b {x: 1}\nthis:\n  <<: *b\n  x: 2\n"
    assert load(merged, unique_keys=True) == {"base": {"x": 1}, "this": {"x": 2}}


def test_a_parse_error_is_one_line_naming_the_file_and_line() -> None:
    with pytest.raises(yaml.YAMLError) as caught:
        load("jobs:\n  test: [unclosed\n  other: 1\n")
    line = one_line(caught.value, ".github/workflows/ci.yml")
    assert "\n" not in line
    assert line.startswith(".github/workflows/ci.yml:")
    assert one_line(yaml.YAMLError("plain\nerror"), "f.yml") == "f.yml: plain error"
