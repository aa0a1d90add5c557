"""The fix loop's tool calls are typed: the SDK derives each tool's strict schema from
its pydantic model, and arguments that do not fit the model are a Refused, never a crash."""

from __future__ import annotations

import json

import pytest

from cicd_agent.modes.analyse_failure.fix.tools import (
    NAMES,
    TOOLS,
    GitBlame,
    ProposePatch,
    ReadFile,
    Refused,
    RunFailingCommand,
    Search,
    parse_call,
)


def test_each_tool_offered_is_the_strict_schema_the_sdk_derives_from_its_model() -> None:
    assert [tool["function"]["name"] for tool in TOOLS] == list(NAMES)
    for tool, model in zip(TOOLS, NAMES.values(), strict=True):
        function = tool["function"]
        parameters = function["parameters"]
        assert function.get("strict") is True and function.get("description") == model.__doc__
        assert parameters["additionalProperties"] is False
        assert parameters["required"] == list(model.model_fields)  # strict: every field listed
    read = TOOLS[0]["function"]["parameters"]["properties"]
    assert read["start_line"]["anyOf"] == [{"type": "integer"}, {"type": "null"}]
    assert read["path"]["description"] == "path relative to the checkout root"


def test_a_well_formed_call_becomes_its_tools_model() -> None:
    assert parse_call("read_file", '{"path": "a.py", "start_line": 3, "max_lines": null}') == (
        ReadFile(path="a.py", start_line=3)
    )
    assert parse_call("read_file", '{"path": "a.py", "start_line": "12"}') == ReadFile(
        path="a.py", start_line=12
    )
    assert parse_call("run_failing_command", "") == RunFailingCommand()
    assert parse_call("search", '{"pattern": "x", "regex": true}') == Search(
        pattern="x", regex=True
    )
    call = parse_call("propose_patch", json.dumps({"diff": "--- a/x\n", "summary": "s"}))
    assert isinstance(call, ProposePatch) and call.summary == "s"


@pytest.mark.parametrize(
    ("name", "arguments", "reason"),
    [
        ("read_file", "{not json", "the arguments are not valid JSON"),
        ("read_file", '{"path": "\\ud800.py"}', "the arguments are not valid JSON"),
        ("read_file", '{"path": "\ud800.py"}', "the arguments are not valid JSON"),
        ("git_blame", '{"path": "a", "end_line": ' + "9" * 5000 + "}", "not valid JSON"),
        ("read_file", '["a.py"]', "the arguments must be a JSON object"),
        ("read_file", '"a.py"', "the arguments must be a JSON object"),
        ("read_file", "{}", "path: Field required"),
        ("read_file", '{"path": 7}', "path: Input should be a valid string"),
        ("read_file", '{"path": "a", "start_line": "²"}', "start_line: Input should be a valid"),
        ("read_file", '{"path": "a", "start_line": 1.5}', "start_line: Input should be a valid"),
        ("read_file", '{"path": "a", "start_line": true}', "not a boolean"),
        ("read_file", '{"path": "a", "start_line": 0}', "start_line: Value error, must be from 1"),
        ("git_log", '{"path": "a", "max_count": 1e300}', "max_count: Unable to parse"),
        ("git_log", '{"path": "a", "max_count": 100000000000}', "must be from 1 to 10,000,000"),
        ("git_blame", '{"path": "a", "end_line": -5}', "end_line: Value error, must be from 1"),
        ("read_file", '{"path": "a\\u0000b"}', "path: Value error, must not hold a NUL"),
        ("search", '{"pattern": "a\\u0000b"}', "pattern: Value error, must not hold a NUL"),
        ("search", '{"pattern": ""}', "pattern: Value error, must be 1 to 500 characters"),
        ("search", json.dumps({"pattern": "x" * 501}), "must be 1 to 500 characters"),
        ("search", '{"pattern": "x", "regex": "yes"}', "regex: Input should be a valid boolean"),
        ("propose_patch", '{"diff": "d"}', "summary: Field required"),
        ("propose_patch", '{"diff": "d\\u0000", "summary": "s"}', "diff: Value error"),
        ("read_file", '{"path": "a", "mode": "w"}', "mode: Extra inputs are not permitted"),
        ("read_file", '{"path": "a", "__class__": 1}', "Extra inputs are not permitted"),
        ("delete_file", '{"path": "a"}', "there is no tool named 'delete_file'"),
        ("", "{}", "there is no tool named ''"),
    ],
)
def test_arguments_that_do_not_fit_are_refused_with_a_reason_that_quotes_no_input(
    name: str, arguments: str, reason: str
) -> None:
    with pytest.raises(Refused) as refused:
        parse_call(name, arguments)
    assert reason in str(refused.value)
    assert "input_value" not in str(refused.value) and "\n" not in str(refused.value)


def test_many_problems_are_one_line_with_a_count() -> None:
    arguments = '{"path": 1, "start_line": "x", "end_line": "y", "a": 1, "b": 2}'
    with pytest.raises(Refused) as refused:
        parse_call("git_blame", arguments)
    assert str(refused.value).endswith("(and 2 more)")
    assert GitBlame.model_fields.keys() == {"path", "start_line", "end_line"}
