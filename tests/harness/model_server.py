"""A local OpenAI-compatible server for tests, scripted per test, that records every request.

Loaded as a pytest plugin (``pytest_plugins``); the ``model_server`` fixture starts one
server per test on a free loopback port. The real ``openai`` SDK talks to it over HTTP.

Script the answers in the order the client will ask::

    model_server.answer(ReviewAnswer(...))          # structured answer, finish_reason "stop"
    model_server.rate_limit(times=2)                # 429 with retry-after-ms (fast retries)
    model_server.answer_with(lambda req: ...)       # computed from the request
    model_server.answer_noisily(lambda req: 0.7, seed=3)   # seeded coin per request and sample
    model_server.fail(500), .slow(5.0), .invalid_json(), .refuse(), .cut_off(), .empty()
    model_server.call_tools(("read_file", {"path": "x.py"}))   # a tool-calling turn
    model_server.call_tools_with(lambda req: [...])   # tool calls computed from the request

Every step takes ``times`` (``None`` = for every request from then on). When nothing is
scripted the server answers 500 with a message saying so, so a test never silently gets a
canned answer. ``model_server.requests`` holds every request (headers and parsed JSON body);
``all_prompt_text()`` joins every message sent, for "was this secret ever sent" assertions.
"""

from __future__ import annotations

import hashlib
import json
import math
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from pydantic import BaseModel, SecretStr

from cicd_agent.model.config import ModelConfig

TEST_API_KEY = "sk-test-cicd-agent-3f9a1c7e5b2d4086"
CHAT_PATH = "/v1/chat/completions"


@dataclass(frozen=True)
class RecordedRequest:
    """One request as the server received it. Header names are lower case."""

    method: str
    path: str
    headers: Mapping[str, str]
    body: Any

    @property
    def messages(self) -> list[dict[str, Any]]:
        if isinstance(self.body, dict) and isinstance(self.body.get("messages"), list):
            return list(self.body["messages"])
        return []

    @property
    def model(self) -> str | None:
        return self.body.get("model") if isinstance(self.body, dict) else None

    @property
    def authorization(self) -> str | None:
        return self.headers.get("authorization")

    @property
    def response_schema(self) -> dict[str, Any] | None:
        """The JSON schema the client asked the answer to follow (``response_format``)."""
        if not isinstance(self.body, dict):
            return None
        fmt = self.body.get("response_format") or {}
        schema = fmt.get("json_schema", {}).get("schema") if isinstance(fmt, dict) else None
        return schema if isinstance(schema, dict) else None

    def text(self, role: str | None = None) -> str:
        """The content of every message (of ``role``, when given), joined by blank lines."""
        return "\n\n".join(
            _content_text(message.get("content"))
            for message in self.messages
            if role is None or message.get("role") == role
        )


def _content_text(content: object) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):  # content parts: [{"type": "text", "text": ...}]
        return "\n".join(str(part.get("text", "")) for part in content if isinstance(part, dict))
    return ""


@dataclass(frozen=True)
class Reply:
    """One HTTP answer. ``delay`` seconds pass before it is written; with ``trickle`` the
    body is then written one byte at a time, ``trickle`` seconds apart (a server that keeps
    a connection alive without ever finishing)."""

    status: int = 200
    body: Any = None
    headers: Mapping[str, str] = field(default_factory=dict)
    delay: float = 0.0
    trickle: float = 0.0


Answer = BaseModel | Mapping[str, Any] | list[Any] | str | Reply
"""What an answer callable may return: a model or JSON value (sent as JSON content), a
string (sent as the content verbatim), or a full Reply."""


def _approx_tokens(text: str) -> int:
    """A realistic token figure for usage: about four characters a token."""
    return max(1, math.ceil(len(text) / 4))


def completion_body(
    request: RecordedRequest,
    content: str | None,
    *,
    finish_reason: str = "stop",
    refusal: str | None = None,
    usage: tuple[int, int] | None = None,
    tool_calls: list[ToolCallStep] | None = None,
) -> dict[str, Any]:
    """A chat completion as OpenAI sends it. ``usage`` is (prompt, completion) tokens;
    by default it is derived from the sizes of the request and the answer. With
    ``tool_calls`` the message carries them and ``finish_reason`` is ``tool_calls``."""
    calls = [
        {
            "id": f"call_{time.monotonic_ns():x}_{index}",
            "type": "function",
            "function": {"name": name, "arguments": json.dumps(arguments)
                         if not isinstance(arguments, str) else arguments},
        }
        for index, (name, arguments) in enumerate(tool_calls or ())
    ]  # fmt: skip
    prompt_tokens, completion_tokens = usage or (
        _approx_tokens(json.dumps(request.body)),
        _approx_tokens((content or refusal or "") + (json.dumps(calls) if calls else "")),
    )
    message: dict[str, Any] = {
        "role": "assistant",
        "content": content,
        "refusal": refusal,
        "annotations": [],
    }
    if calls:
        message["tool_calls"] = calls
        finish_reason = "tool_calls" if finish_reason == "stop" else finish_reason
    return {
        "id": f"chatcmpl-local-{time.monotonic_ns()}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": request.model or "unknown",
        "system_fingerprint": "fp_local_test",
        "service_tier": "default",
        "choices": [
            {
                "index": 0,
                "message": message,
                "logprobs": None,
                "finish_reason": finish_reason,
            }
        ],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
            "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
            "completion_tokens_details": {
                "reasoning_tokens": 0,
                "audio_tokens": 0,
                "accepted_prediction_tokens": 0,
                "rejected_prediction_tokens": 0,
            },
        },
    }


def error_body(message: str, kind: str, code: str | None = None) -> dict[str, Any]:
    """An error in OpenAI's shape; the SDK reads ``error.message``."""
    return {"error": {"message": message, "type": kind, "param": None, "code": code}}


def as_content(answer: BaseModel | Mapping[str, Any] | list[Any] | str) -> str:
    """The message content for an answer: JSON for models and JSON values, strings verbatim."""
    if isinstance(answer, BaseModel):
        return answer.model_dump_json()
    if isinstance(answer, str):
        return answer
    return json.dumps(answer)


Step = Callable[[RecordedRequest], Reply]
ToolCallStep = tuple[str, Mapping[str, Any] | str]
"""One scripted tool call: the function's name and its arguments (a JSON object, or raw text
sent as is, e.g. to test arguments that are not JSON)."""


class ModelServer:
    """The scripted server. Steps are consumed in order, one per chat-completion request."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._steps: deque[tuple[Step, int | None]] = deque()
        self._closing = threading.Event()
        self.requests: list[RecordedRequest] = []
        self.models = ["gpt-5.4", "gpt-5.4-mini"]
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.02},  # shutdown waits for one poll: keep teardown quick
            name="model-server",
            daemon=True,
        )

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> ModelServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving; slow answers still waiting are abandoned at once."""
        self._closing.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    @property
    def base_url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}/v1"

    def config(self, **overrides: Any) -> ModelConfig:
        """A ModelConfig pointing at this server with the test key, quick timeouts and the
        SDK's default two retries; ``overrides`` replace any field."""
        values: dict[str, Any] = {
            "provider": "openai",
            "base_url": self.base_url,
            "api_key": SecretStr(TEST_API_KEY),
            "timeout": 10.0,
            "max_retries": 2,
        }
        values.update(overrides)
        return ModelConfig.model_validate(values)

    # ------------------------------------------------------------------ scripting

    def enqueue(self, step: Step, *, times: int | None = 1) -> None:
        """Answer the next ``times`` chat requests with ``step`` (None: all from then on)."""
        with self._lock:
            if self._steps and self._steps[-1][1] is None:
                raise ValueError("a step with times=None already answers every later request")
            if times is not None and times < 1:
                raise ValueError("times must be at least 1, or None")
            self._steps.append((step, times))

    def answer(
        self,
        answer: BaseModel | Mapping[str, Any] | list[Any] | str,
        *,
        usage: tuple[int, int] | None = None,
        times: int | None = 1,
    ) -> None:
        """A normal answer: JSON content, ``finish_reason`` stop, no refusal."""
        content = as_content(answer)
        self.enqueue(
            lambda req: Reply(body=completion_body(req, content, usage=usage)), times=times
        )

    def answer_with(
        self, compute: Callable[[RecordedRequest], Answer], *, times: int | None = 1
    ) -> None:
        """An answer computed from the request (e.g. a model that obeys injected text)."""

        def step(request: RecordedRequest) -> Reply:
            result = compute(request)
            if isinstance(result, Reply):
                return result
            return Reply(body=completion_body(request, as_content(result)))

        self.enqueue(step, times=times)

    def answer_noisily(
        self,
        chance: Callable[[RecordedRequest], float],
        *,
        seed: int = 0,
        right: str = "RIGHT",
        wrong: str = "WRONG",
    ) -> None:
        """From now on, every request answered ``right`` with probability ``chance(request)``,
        else ``wrong``, by a coin seeded with ``seed``, the request and its sample: the n-th
        arrival of the same body (model and messages) is its n-th sample, so a client's
        repeats get fresh coins, and the same seed gives the same answers in any order."""
        seen: dict[str, int] = {}
        lock = threading.Lock()

        def noisy(request: RecordedRequest) -> str:
            body = json.dumps([request.model, request.messages], sort_keys=True)
            with lock:
                sample = seen.get(body, 0)
                seen[body] = sample + 1
            coin = hashlib.sha256(f"{seed}|{body}|{sample}".encode()).digest()
            uniform = int.from_bytes(coin[:8], "big") / 2**64
            return right if uniform < chance(request) else wrong

        self.answer_with(noisy, times=None)

    def call_tools(
        self,
        *calls: ToolCallStep,
        content: str | None = None,
        finish_reason: str = "tool_calls",
        times: int | None = 1,
    ) -> None:
        """A turn in which the model calls ``calls`` (``finish_reason`` tool_calls, or e.g.
        ``length`` for a call cut off at the output limit)."""
        self.enqueue(
            lambda req: Reply(
                body=completion_body(
                    req, content, tool_calls=list(calls), finish_reason=finish_reason
                )
            ),
            times=times,
        )

    def call_tools_with(
        self,
        compute: Callable[[RecordedRequest], list[ToolCallStep]],
        *,
        times: int | None = 1,
    ) -> None:
        """A tool-calling turn computed from the request (e.g. from the last tool result)."""
        self.enqueue(
            lambda req: Reply(body=completion_body(req, None, tool_calls=compute(req))),
            times=times,
        )

    def rate_limit(self, *, times: int | None = 1, retry_after_ms: int = 20) -> None:
        """HTTP 429 with ``retry-after-ms`` so the SDK's retry waits only that long."""
        reply = Reply(
            status=429,
            body=error_body(
                "Rate limit reached for requests (local test).", "requests", "rate_limit_exceeded"
            ),
            headers={"retry-after-ms": str(retry_after_ms)},
        )
        self.enqueue(lambda req: reply, times=times)

    def fail(
        self,
        status: int = 500,
        *,
        message: str = "The server had an error while processing your request (local test).",
        times: int | None = 1,
        retry_after_ms: int = 20,
    ) -> None:
        """An HTTP error status with OpenAI's error body (``retry-after-ms`` keeps retries fast)."""
        kind = "server_error" if status >= 500 else "invalid_request_error"
        reply = Reply(
            status=status,
            body=error_body(message, kind),
            headers={"retry-after-ms": str(retry_after_ms)},
        )
        self.enqueue(lambda req: reply, times=times)

    def slow(
        self,
        seconds: float,
        answer: BaseModel | Mapping[str, Any] | list[Any] | str = "{}",
        *,
        times: int | None = 1,
    ) -> None:
        """Wait ``seconds`` before answering (set it above the client's timeout)."""
        content = as_content(answer)
        self.enqueue(
            lambda req: Reply(body=completion_body(req, content), delay=seconds), times=times
        )

    def trickle(
        self,
        interval: float,
        answer: BaseModel | Mapping[str, Any] | list[Any] | str = "{}",
        *,
        times: int | None = 1,
    ) -> None:
        """Answer at once, but write the body one byte every ``interval`` seconds."""
        content = as_content(answer)
        self.enqueue(
            lambda req: Reply(body=completion_body(req, content), trickle=interval), times=times
        )

    def invalid_json(
        self, content: str = '{"summary": "unterminated', *, times: int | None = 1
    ) -> None:
        """Content that is not valid JSON (or, given other text, not the expected schema)."""
        self.answer(content, times=times)

    def refuse(
        self, refusal: str = "I'm sorry, I can't help with that request.", *, times: int | None = 1
    ) -> None:
        """A refusal: ``message.refusal`` set, no content."""
        self.enqueue(
            lambda req: Reply(body=completion_body(req, None, refusal=refusal)), times=times
        )

    def cut_off(
        self, content: str = '{"summary": "The change touches', *, times: int | None = 1
    ) -> None:
        """An answer cut at the output limit: ``finish_reason`` length."""
        self.enqueue(
            lambda req: Reply(body=completion_body(req, content, finish_reason="length")),
            times=times,
        )

    def content_filter(self, *, times: int | None = 1) -> None:
        """An answer withheld by the provider's filter: ``finish_reason`` content_filter."""
        self.enqueue(
            lambda req: Reply(body=completion_body(req, None, finish_reason="content_filter")),
            times=times,
        )

    def empty(self, *, times: int | None = 1) -> None:
        """An answer with empty content."""
        self.answer("", times=times)

    @property
    def pending(self) -> int:
        """Scripted answers not yet used; a ``times=None`` step counts as one."""
        with self._lock:
            return sum(times or 1 for _, times in self._steps)

    # ------------------------------------------------------------------ what was received

    @property
    def chat_requests(self) -> list[RecordedRequest]:
        with self._lock:
            return [r for r in self.requests if r.method == "POST" and r.path == CHAT_PATH]

    def all_prompt_text(self) -> str:
        """Every message content of every chat request, joined: what the model was shown."""
        return "\n\n".join(request.text() for request in self.chat_requests)

    # ------------------------------------------------------------------ serving

    def _next_step(self, request: RecordedRequest, number: int) -> Reply:
        with self._lock:
            if not self._steps:
                return Reply(
                    status=500,
                    body=error_body(
                        f"model_server: nothing scripted for request #{number} "
                        f"({request.method} {request.path}); script it with "
                        "model_server.answer(...) or another step.",
                        "server_error",
                        "unscripted",
                    ),
                    headers={"retry-after-ms": "1"},
                )
            step, times = self._steps[0]
            if times is not None:
                if times == 1:
                    self._steps.popleft()
                else:
                    self._steps[0] = (step, times - 1)
        return step(request)

    def _record(self, request: RecordedRequest) -> int:
        with self._lock:
            self.requests.append(request)
            return len(self.requests)

    def _respond(self, request: RecordedRequest, number: int) -> Reply:
        if request.method == "GET" and request.path == "/v1/models":
            data = [
                {"id": name, "object": "model", "created": 0, "owned_by": "local-test"}
                for name in self.models
            ]
            return Reply(body={"object": "list", "data": data})
        if request.method == "POST" and request.path == CHAT_PATH:
            return self._next_step(request, number)
        return Reply(
            status=404,
            body=error_body(
                f"model_server: no route {request.method} {request.path}", "invalid_request_error"
            ),
        )

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self._serve()

            def do_POST(self) -> None:
                self._serve()

            def _serve(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                raw = self.rfile.read(length) if length else b""
                try:
                    body = json.loads(raw) if raw else None
                except json.JSONDecodeError:
                    body = raw.decode("utf-8", "replace")
                request = RecordedRequest(
                    method=self.command,
                    path=self.path.split("?", 1)[0],
                    headers={name.lower(): value for name, value in self.headers.items()},
                    body=body,
                )
                reply = server._respond(request, server._record(request))
                if reply.delay and server._closing.wait(reply.delay):
                    return  # the server is stopping: abandon the slow answer
                payload = json.dumps(reply.body).encode()
                try:
                    self.send_response(reply.status)
                    self.send_header("content-type", "application/json")
                    self.send_header("content-length", str(len(payload)))
                    self.send_header("x-request-id", f"req_local_{id(request):x}")
                    for name, value in reply.headers.items():
                        self.send_header(name, value)
                    self.end_headers()
                    if not reply.trickle:
                        self.wfile.write(payload)
                    for index in range(len(payload) if reply.trickle else 0):
                        self.wfile.write(payload[index : index + 1])
                        self.wfile.flush()
                        if server._closing.wait(reply.trickle):
                            return
                except (BrokenPipeError, ConnectionResetError):
                    return  # the client gave up (its timeout): nothing to answer

            def log_message(self, format: str, *args: Any) -> None:
                return  # keep test output clean; ``server.requests`` is the log

        return Handler


@pytest.fixture
def model_server() -> Iterator[ModelServer]:
    """A fresh scripted model server for one test."""
    server = ModelServer().start()
    try:
        yield server
    finally:
        server.stop()


__all__ = [
    "CHAT_PATH",
    "TEST_API_KEY",
    "Answer",
    "ModelServer",
    "RecordedRequest",
    "Reply",
    "ToolCallStep",
    "completion_body",
    "error_body",
    "model_server",
]
