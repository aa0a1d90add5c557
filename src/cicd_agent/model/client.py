"""The model client: one structured question, one typed answer or one ModelError.

``openai`` is imported here alone (``--help`` must not load it). The SDK builds the strict
``json_schema`` request and retries 429, 5xx and timeouts; around it a CI step needs:

- the prompt counted and refused locally when over the budget, and the usage of every response
  recorded, failed ones included;
- refusals, a ``length`` or ``content_filter`` finish and empty answers a ModelError at once: asking
  again would hit the same wall;
- one repair round for an answer that does not fit the schema (:mod:`.reply`);
- every SDK failure as one plain sentence with the API key scrubbed (:mod:`.failures`);
- ``model-timeout`` as a wall-clock deadline for each whole call, retries and repair included
  (:mod:`.http` says why the SDK's own is none): no retry starts after it.

Modes catch ModelError and keep their deterministic result."""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Sequence
from types import TracebackType
from typing import TypeVar
from urllib.parse import urlsplit

import openai
from openai.types.chat import ChatCompletionMessageParam, ChatCompletionToolParam
from pydantic import BaseModel, ValidationError

from cicd_agent.actions.errors import ModelError, first_problem
from cicd_agent.actions.masking import worth_hiding
from cicd_agent.model.config import ModelConfig
from cicd_agent.model.failures import sdk_error
from cicd_agent.model.http import Abandoned, capped_client, run_until
from cicd_agent.model.names import is_reasoning_model
from cicd_agent.model.pricing import PriceTable
from cicd_agent.model.provider import missing_key_error
from cicd_agent.model.reply import (
    Reply,
    ToolCall,
    ToolTurn,
    read_completion,
    repair_prompt,
    usable,
    valid_utf8,
)
from cicd_agent.model.tokens import UNKNOWN_CONTEXT, TokenCounter, model_limits, prompt_budget
from cicd_agent.model.usage import Tier, Usage

T = TypeVar("T", bound=BaseModel)
_ResultT = TypeVar("_ResultT")
_ValueT = TypeVar("_ValueT")


COUNTS_KEPT = 512
"""Prompt pieces whose token count is remembered (a tool loop's conversation, many times over)."""


class ModelClient:
    """Asks one OpenAI-compatible server for answers in pydantic schemas, within a budget."""

    def __init__(self, config: ModelConfig, *, usage: Usage | None = None) -> None:
        if config.api_key is None or not config.api_key.get_secret_value().strip():
            raise missing_key_error()
        self.config = config
        self.usage = usage or Usage(PriceTable(config.prices))
        self._secret = config.api_key.get_secret_value()
        self._sdk = self._new_sdk()
        self._deadline = float("inf")
        self._requests = 0
        self.on_request: Callable[[str], None] | None = None
        """Told of each request before it is sent (the run's progress lines)."""
        self._counters: dict[str, TokenCounter] = {}
        self._counted: dict[tuple[str, bytes], int] = {}
        parts = urlsplit(config.base_url)
        self._server = (
            parts.hostname + (f":{parts.port}" if parts.port else "") if parts.hostname else "?"
        )

    def _new_sdk(self) -> openai.OpenAI:
        return openai.OpenAI(
            api_key=self._secret,
            base_url=self.config.base_url,
            timeout=self.config.timeout,
            max_retries=self.config.max_retries,
            http_client=capped_client(),
        )

    def _bounded(self, call: Callable[[], _ResultT]) -> _ResultT:
        """``call()``'s result, or ModelError once the current ask's deadline has passed; then
        the call's connections are closed (a fresh SDK client serves later calls) and its
        thread abandoned (:func:`.http.run_until`)."""
        try:
            return run_until(self._deadline, call)
        except Abandoned as late:
            stuck, self._sdk = self._sdk, self._new_sdk()
            stuck.close()
            raise ModelError(
                f"the model server at {self._server} did not finish answering within "
                f"{round(late.elapsed, 1):g}s (model-timeout {self.config.timeout:g}s for "
                "the whole call, retries included); the call was abandoned.",
                hint="Raise model-timeout, or check that the server is up.",
            ) from None

    def __enter__(self) -> ModelClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self._sdk.close()

    def counter(self, tier: Tier = "model") -> TokenCounter:
        """The token counter for ``tier``'s model, for modes that pack context to a budget."""
        model = self.config.model_for(tier)
        if model not in self._counters:
            counter = TokenCounter.for_model(model)
            if not counter.exact:
                self.usage.record_estimated(counter.encoding_name)
            self._counters[model] = counter
        return self._counters[model]

    def output_tokens(self, tier: Tier = "model", requested: int | None = None) -> int:
        """Tokens reserved for an answer: ``requested`` or the configured maximum, capped at
        the model's published output limit (the API rejects more)."""
        wanted = requested or self.config.max_output_tokens
        limits = model_limits(self.config.model_for(tier))
        if limits:
            return min(wanted, limits.max_output)
        # A model the table does not know (a local server's): at most half its context, so the
        # assumed 8,192-token window still leaves room for a prompt (16,384 left none).
        return min(wanted, (self.config.context_tokens or UNKNOWN_CONTEXT) // 2)

    def prompt_budget(self, tier: Tier = "model", max_output_tokens: int | None = None) -> int:
        """Tokens a prompt (system + user + schema) may use on ``tier``."""
        return prompt_budget(
            self.config.model_for(tier),
            self.config.context_tokens,
            self.output_tokens(tier, max_output_tokens),
        )

    def ask(
        self,
        schema: type[T],
        *,
        system: str,
        user: str,
        tier: Tier = "model",
        temperature: float | None = None,
        max_output_tokens: int | None = None,
    ) -> T:
        """The model's answer to ``system`` + ``user``, parsed into ``schema``. ``temperature``
        is not sent to reasoning models, which reject anything but their default. Raises
        ModelError for every way the answer is unusable."""
        out_tokens = self.output_tokens(tier, max_output_tokens)
        send_temperature = temperature is not None and not is_reasoning_model(
            self.config.model_for(tier)
        )
        messages: list[ChatCompletionMessageParam] = [
            {"role": "system", "content": system},
            {"role": "user", "content": user},
        ]

        def answer() -> T:
            for _ in range(2):  # one repair round: the problems go back to the model
                reply = self._send(
                    json.dumps(schema.model_json_schema()),
                    messages,
                    tier,
                    out_tokens,
                    lambda sdk, model: (
                        sdk.chat.completions.with_raw_response.parse(
                            model=model,
                            messages=messages,
                            response_format=schema,
                            max_completion_tokens=out_tokens,
                            temperature=temperature if send_temperature else openai.omit,
                        ).content
                    ),
                )
                content = usable(reply.choice, reply.content, out_tokens, self._scrub)
                try:
                    return schema.model_validate_json(content)
                except ValidationError as exc:
                    failed = exc
                messages.extend(
                    [
                        {"role": "assistant", "content": content},
                        {"role": "user", "content": repair_prompt(failed)},
                    ]
                )
            raise ModelError(
                f"the model's answer did not fit the {schema.__name__} schema, even after "
                f"one repair round: {first_problem(failed, '(root)')}.",
                hint="A stronger model or a simpler schema usually helps.",
            )

        return self._call(tier, answer)

    def _call(self, tier: Tier, call: Callable[[], _ResultT]) -> _ResultT:
        """``call()`` as one call of the client, counted as a failure in the usage when it
        raises ModelError, under one fresh deadline: ``model-timeout`` seconds by the wall
        clock for every attempt, the backoff between them and the repair round."""
        self._deadline = time.monotonic() + self.config.timeout
        try:
            return call()
        except ModelError:
            self.usage.record_failure(tier)
            raise

    def conversation_tokens(
        self,
        messages: Sequence[ChatCompletionMessageParam],
        tools: Sequence[ChatCompletionToolParam],
        tier: Tier = "model",
    ) -> int:
        """The tokens :meth:`converse` would send for ``messages`` and ``tools``, counted as its
        budget check counts them (a tool loop checks its own cap with this before each call)."""
        return self._prompt_tokens(json.dumps(list(tools)), messages, tier)

    def _prompt_tokens(
        self, declared: str, messages: Sequence[ChatCompletionMessageParam], tier: Tier
    ) -> int:
        """The prompt's token count (``declared``: the schema or tool definitions sent with it).
        Each piece is tokenised once: a conversation grows by a few messages a turn and is
        counted again before every call, by the caller's cap and by the budget check."""
        counter = self.counter(tier)
        pieces = [declared]
        for message in messages:
            pieces.append(str(message.get("content") or ""))
            calls = message.get("tool_calls")  # an assistant turn's calls go back as sent
            if calls:
                pieces.append(json.dumps(calls))
        if len(self._counted) > COUNTS_KEPT:
            self._counted.clear()
        used = 0
        for piece in pieces:
            # Keyed by digest, so a long one-shot prompt is not kept alive by the memo.
            digest = hashlib.blake2b(piece.encode("utf-8", "surrogatepass"), digest_size=16)
            key = (counter.encoding_name, digest.digest())
            if key not in self._counted:
                self._counted[key] = counter.count(piece)
            used += self._counted[key]
        return used

    def converse(
        self,
        messages: Sequence[ChatCompletionMessageParam],
        tools: Sequence[ChatCompletionToolParam],
        *,
        tier: Tier = "model",
        max_output_tokens: int | None = None,
    ) -> ToolTurn:
        """One tool-calling exchange: ``messages`` and the ``tools`` offered in, the model's
        text and tool calls out. The caller redacts and fences what it puts in ``messages``;
        this adds the budget check, usage, the time limit and the plain-sentence errors."""
        out_tokens = self.output_tokens(tier, max_output_tokens)
        sent, offered = list(messages), list(tools)

        def turn() -> ToolTurn:
            reply = self._send(
                json.dumps(offered),
                sent,
                tier,
                out_tokens,
                lambda sdk, model: (
                    sdk.chat.completions.with_raw_response.create(
                        model=model,
                        messages=sent,
                        tools=offered,
                        tool_choice="auto",
                        parallel_tool_calls=False,
                        max_completion_tokens=out_tokens,
                    ).content
                ),
            )
            # a call cut off at the length limit is no call
            if not reply.calls or reply.choice.finish_reason == "length":
                usable(reply.choice, reply.content, out_tokens, self._scrub)
            return ToolTurn(self._scrub(reply.content), reply.calls, *reply.used)

        return self._call(tier, turn)

    def complete(
        self,
        messages: Sequence[ChatCompletionMessageParam],
        *,
        model: str,
        temperature: float | None = None,
        top_p: float | None = None,
        seed: int | None = None,
        max_tokens: int | None = None,
        stop: Sequence[str] = (),
        presence_penalty: float | None = None,
        frequency_penalty: float | None = None,
    ) -> str:
        """The raw text of one plain chat completion, for a mode that judges the answer itself
        (an eval): no schema or system prompt of ours, and where the request goes and with which
        key stay the client's. An empty or cut-off answer is an answer; only a request that got
        none is a ModelError."""
        sent = list(messages)
        out_tokens = self.output_tokens("model", max_tokens)

        def some(value: _ValueT | None) -> _ValueT | openai.Omit:
            return openai.omit if value is None else value

        def answer() -> str:
            reply = self._send(
                "",
                sent,
                "model",
                out_tokens,
                lambda sdk, _: (
                    sdk.chat.completions.with_raw_response.create(
                        model=model,
                        messages=sent,
                        temperature=some(temperature),
                        top_p=some(top_p),
                        seed=some(seed),
                        max_tokens=some(max_tokens),
                        stop=some(list(stop) if stop else None),
                        presence_penalty=some(presence_penalty),
                        frequency_penalty=some(frequency_penalty),
                    ).content
                ),
                model=model,
            )
            return self._scrub(reply.content)

        return self._call("model", answer)

    def _send(
        self,
        declared: str,
        messages: list[ChatCompletionMessageParam],
        tier: Tier,
        out_tokens: int,
        request: Callable[[openai.OpenAI, str], bytes],
        *,
        model: str | None = None,
    ) -> Reply:
        """What :meth:`ask` and :meth:`converse` share around one request: the budget check
        (``declared``: the schema or tools sent), the hard time limit, errors as plain sentences,
        and usage recorded. ``model``, when given, is asked instead of the tier's, within the
        tier's budget."""
        model = model or self.config.model_for(tier)
        valid_utf8(messages)
        prompt_tokens = self._prompt_tokens(declared, messages, tier)
        budget = self.prompt_budget(tier, out_tokens)
        if prompt_tokens > budget:
            raise ModelError(
                f"the prompt for {model} is {prompt_tokens:,} tokens, over its budget of "
                f"{budget:,}; it was not sent.",
                hint="If the model's context window is larger than assumed, set context-tokens.",
            )
        self._requests += 1
        if self.on_request is not None:
            self.on_request(
                f"model request {self._requests} to {model} ({prompt_tokens:,} prompt tokens)"
            )
        sdk = self._sdk
        try:
            try:
                body = self._bounded(lambda: request(sdk, model))
            except openai.OpenAIError as exc:
                raise sdk_error(
                    exc,
                    server=self._server,
                    base_url=self.config.base_url,
                    timeout=self.config.timeout,
                    attempts=self.config.max_retries + 1,
                    scrub=self._scrub,
                ) from None
            completion = read_completion(body, self._server)
        except ModelError:  # a call all the same: the usage line counts it
            self.usage.record(tier, model, 0, 0)
            raise
        choice = completion.choices[0]
        content = choice.message.content or ""
        calls = tuple(
            ToolCall(call.id, call.function.name, call.function.arguments)
            for call in choice.message.tool_calls or ()
        )
        if completion.usage is not None:
            used = (completion.usage.prompt_tokens, completion.usage.completion_tokens)
        else:  # some compatible servers report no usage: count it ourselves
            spoken = content + "".join(call.arguments for call in calls)
            used = (prompt_tokens, self.counter(tier).count(spoken))
        self.usage.record(tier, model, *used)
        return Reply(choice, content, calls, used)

    def _scrub(self, text: str) -> str:
        """``text`` with the API key removed, should a server have echoed it. A key too short
        to be a secret (a local server's ``x``) is left: removing it cut every word it is in."""
        if not worth_hiding(self._secret):
            return text
        return text.replace(self._secret, "[redacted]")


def build_model_client(config: ModelConfig, *, usage: Usage | None = None) -> ModelClient | None:
    """The client for ``config``, or None when the provider is ``none`` (deterministic only)."""
    if config.provider == "none":
        return None
    return ModelClient(config, usage=usage)
