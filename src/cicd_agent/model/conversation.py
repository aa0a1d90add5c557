"""A tool-calling conversation in the shapes the SDK sends: its messages, the tools offered and
the model's own turn as it goes back. A tool loop builds them here, so the SDK's shapes stay the
model layer's and change with the client that sends them (:meth:`~.client.ModelClient.converse`).
"""

from __future__ import annotations

from typing import TypeAlias

import openai
from openai.types.chat import ChatCompletionMessageParam, ChatCompletionToolParam
from pydantic import BaseModel

from cicd_agent.model.reply import ToolCall

Message: TypeAlias = ChatCompletionMessageParam
"""One message of a conversation (``{"role": …, "content": …}``), as the client sends it."""
Tool: TypeAlias = ChatCompletionToolParam
"""One tool offered to the model: its name, its description and its arguments' schema."""


def function_tool(arguments: type[BaseModel], name: str) -> Tool:
    """The tool ``name`` taking ``arguments``' fields, described by its docstring. The SDK
    derives the schema from the pydantic model, strict: every field listed, no other allowed."""
    return openai.pydantic_function_tool(arguments, name=name, description=arguments.__doc__)


def assistant_turn(content: str, calls: tuple[ToolCall, ...]) -> Message:
    """The model's turn (its text and the tool calls it asked for) as it goes back into the
    conversation: the next call must see the calls its tool results answer."""
    return {
        "role": "assistant",
        "content": content or None,
        "tool_calls": [
            {
                "id": call.id,
                "type": "function",
                "function": {"name": call.name, "arguments": call.arguments},
            }
            for call in calls
        ],
    }
