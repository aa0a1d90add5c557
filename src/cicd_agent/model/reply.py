"""What goes to a chat completion and what comes back.

Text from git or a log keeps non-UTF-8 bytes as lone surrogates, which the SDK's encoder cannot
send (:func:`valid_utf8`). An answer that does not fit the schema gets one more chance with its
errors listed, never the values (the model's own, maybe long text); a second misfit is a
ModelError. Answers are read leniently, only the fields used and each with a default: a
compatible server may omit fields, and a failed parse must still yield the usage (the call is
billed)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

from openai.types.chat import ChatCompletionMessageParam
from pydantic import BaseModel, ValidationError

from cicd_agent.actions.errors import ModelError


class _Function(BaseModel):
    name: str = ""
    arguments: str = ""


class _ToolCall(BaseModel):
    id: str = ""
    function: _Function = _Function()


class _Message(BaseModel):
    content: str | None = None
    refusal: str | None = None
    tool_calls: list[_ToolCall] | None = None


class Choice(BaseModel):
    finish_reason: str | None = None
    message: _Message = _Message()


class _TokenUsage(BaseModel):
    prompt_tokens: int = 0
    completion_tokens: int = 0


class Completion(BaseModel):
    choices: list[Choice] = []
    usage: _TokenUsage | None = None


@dataclass(frozen=True)
class ToolCall:
    """One function call the model asked for; ``arguments`` is its JSON text, unparsed."""

    id: str
    name: str
    arguments: str


@dataclass(frozen=True)
class ToolTurn:
    """The model's side of one tool-calling exchange, and what that exchange cost."""

    content: str
    tool_calls: tuple[ToolCall, ...]
    prompt_tokens: int
    completion_tokens: int


@dataclass(frozen=True)
class Reply:
    """One response as both kinds of exchange read it: its first choice, that choice's text
    and tool calls, and the (prompt, completion) tokens recorded for it."""

    choice: Choice
    content: str
    calls: tuple[ToolCall, ...]
    used: tuple[int, int]


def read_completion(body: bytes, server: str) -> Completion:
    """The chat completion in ``body``, or the ModelError saying the server sent none."""
    try:
        completion = Completion.model_validate_json(body)
    except ValidationError:
        raise ModelError(
            f"the model server at {server} answered with something that is not a chat completion.",
            hint="Check base-url: it must point at an OpenAI-compatible /v1 endpoint.",
        ) from None
    if not completion.choices:
        raise ModelError(f"the model server at {server} answered with no choices.")
    return completion


def usable(choice: Choice, content: str, out_tokens: int, scrub: Callable[[str], str]) -> str:
    """``content`` when the model finished normally, else the ModelError saying why not
    (``scrub`` takes the API key out of what the server said)."""
    if choice.finish_reason == "length":
        raise ModelError(
            f"the model's answer was cut off at the output limit of {out_tokens:,} tokens.",
            hint=(
                "Reasoning models spend part of it thinking. For a model cicd-agent does not "
                "know (a local server's), set context-tokens to its real context window: half "
                "of it is reserved for the answer."
            ),
        )
    if choice.finish_reason == "content_filter":
        raise ModelError("the model's answer was withheld by the provider's content filter.")
    if choice.message.refusal:
        raise ModelError(f"the model refused: {scrub(choice.message.refusal)[:300]}")
    if not content.strip():
        raise ModelError("the model returned an empty answer.")
    return content


_SURROGATE = re.compile("[\ud800-\udfff]")


def valid_utf8(messages: list[ChatCompletionMessageParam]) -> None:
    """Replace each lone surrogate in every message's text with U+FFFD, as the reader would
    see it, in place."""
    for message in messages:
        content = message.get("content")
        if isinstance(content, str) and _SURROGATE.search(content):
            cast(dict[str, Any], message)["content"] = _SURROGATE.sub("\ufffd", content)


MAX_LISTED_ERRORS = 20
"""Validation errors sent back in a repair prompt; more would only spend tokens."""


def problems(exc: ValidationError) -> str:
    """Validation errors as short lines, without the offending input values."""
    lines = [
        f"- {'.'.join(str(part) for part in err['loc']) or '(root)'}: {err['msg']}"
        for err in exc.errors(include_url=False, include_input=False)[:MAX_LISTED_ERRORS]
    ]
    if exc.error_count() > MAX_LISTED_ERRORS:
        lines.append(f"- … and {exc.error_count() - MAX_LISTED_ERRORS} more")
    return "\n".join(lines)


def repair_prompt(exc: ValidationError) -> str:
    """The follow-up message of the one repair round."""
    return (
        "Your previous answer did not match the required JSON schema:\n"
        f"{problems(exc)}\n"
        "Answer again with only the corrected JSON object that matches the schema. "
        "Keep the substance of your answer; fix only its form."
    )
