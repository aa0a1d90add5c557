"""A tool loop's turns in the SDK's shapes, built by the model layer: a tool's schema is strict
(every field listed, no other allowed), and the model's turn goes back with the calls its tool
results answer."""

from __future__ import annotations

from pydantic import BaseModel

from cicd_agent.model.conversation import assistant_turn, function_tool
from cicd_agent.model.reply import ToolCall


class ReadFile(BaseModel):
    """Read one file of the checkout."""

    path: str
    first_line: int | None


def test_a_tool_s_schema_is_strict_and_described_by_its_arguments() -> None:
    tool = function_tool(ReadFile, "read_file")
    function = tool["function"]
    assert function["name"] == "read_file"
    assert function.get("description") == "Read one file of the checkout."
    assert function.get("strict") is True
    schema = function.get("parameters") or {}
    assert schema["additionalProperties"] is False
    assert sorted(schema["required"]) == ["first_line", "path"]


def test_the_model_s_turn_goes_back_with_its_calls() -> None:
    turn = assistant_turn("", (ToolCall("call-1", "read_file", '{"path": "a.py"}'),))
    assert turn == {
        "role": "assistant",
        "content": None,
        "tool_calls": [
            {
                "id": "call-1",
                "type": "function",
                "function": {"name": "read_file", "arguments": '{"path": "a.py"}'},
            }
        ],
    }
