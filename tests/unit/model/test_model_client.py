"""The model client through the real openai SDK, over HTTP, against the scripted local server."""

from __future__ import annotations

import socket
import subprocess
import sys
import textwrap
import time
from typing import Literal

import pytest
from openai.types.chat import ChatCompletionToolParam
from pydantic import BaseModel

from cicd_agent.actions.errors import ModelError, UsageError
from cicd_agent.model.client import ModelClient, build_model_client
from cicd_agent.model.config import ModelConfig
from tests.harness.model_server import (
    TEST_API_KEY,
    ModelServer,
    RecordedRequest,
    Reply,
    completion_body,
)


class Finding(BaseModel):
    path: str
    line: int
    severity: Literal["low", "medium", "high"]
    message: str


class ReviewAnswer(BaseModel):
    summary: str
    risk: Literal["low", "medium", "high"]
    findings: list[Finding]


GOOD = ReviewAnswer(
    summary="Adds a retry loop around the upload.",
    risk="medium",
    findings=[Finding(path="src/upload.py", line=42, severity="medium", message="No backoff.")],
)


def client_for(server: ModelServer, **overrides: object) -> ModelClient:
    return ModelClient(server.config(**overrides))


def ask(client: ModelClient, **kwargs: object) -> ReviewAnswer:
    return client.ask(ReviewAnswer, system="You review diffs.", user="diff --git a/x b/x", **kwargs)  # type: ignore[arg-type]


def test_structured_answer_is_parsed_into_the_schema(model_server: ModelServer) -> None:
    model_server.answer(GOOD)
    with client_for(model_server) as client:
        answer = ask(client)

    assert answer == GOOD
    (request,) = model_server.chat_requests
    assert request.model == "gpt-5.4"
    assert request.text("system") == "You review diffs."
    assert request.text("user") == "diff --git a/x b/x"
    fmt = request.body["response_format"]
    assert fmt["type"] == "json_schema"
    assert fmt["json_schema"]["strict"] is True
    assert set(request.response_schema["properties"]) == {"summary", "risk", "findings"}  # type: ignore[index]


def test_fast_tier_uses_the_fast_model(model_server: ModelServer) -> None:
    model_server.answer(GOOD)
    with client_for(model_server, fast_model="gpt-4o-mini") as client:
        ask(client, tier="fast")
    assert model_server.chat_requests[0].model == "gpt-4o-mini"


def test_usage_is_accumulated_and_priced_per_tier(model_server: ModelServer) -> None:
    model_server.answer(GOOD, usage=(1_200, 300))
    model_server.answer(GOOD, usage=(10_000, 2_000))
    with client_for(model_server) as client:
        ask(client)
        ask(client, tier="fast")

    report = client.usage.report()
    assert (report.calls, report.prompt_tokens, report.completion_tokens) == (2, 11_200, 2_300)
    # gpt-5.4: $2.50 in / $15 out per 1M; gpt-5.4-mini: $0.75 / $4.50
    expected = (1_200 * 2.50 + 300 * 15.00 + 10_000 * 0.75 + 2_000 * 4.50) / 1_000_000
    assert client.usage.cost_usd == pytest.approx(expected)
    assert (report.tokens_used, report.model) == (13_500, "gpt-5.4, gpt-5.4-mini")


def test_rate_limited_twice_then_answered_through_the_sdk_retries(
    model_server: ModelServer,
) -> None:
    model_server.rate_limit(times=2)
    model_server.answer(GOOD)
    with client_for(model_server) as client:
        assert ask(client) == GOOD
    assert len(model_server.chat_requests) == 3
    assert client.usage.report().calls == 1  # the 429s carried no usage


def test_persistent_rate_limit_is_a_plain_model_error(model_server: ModelServer) -> None:
    model_server.rate_limit(times=None)
    with (
        client_for(model_server) as client,
        pytest.raises(ModelError, match=r"rate limited.*HTTP 429, 3 attempts"),
    ):
        ask(client)
    assert len(model_server.chat_requests) == 3


def test_persistent_server_error_fails_after_three_requests(model_server: ModelServer) -> None:
    model_server.fail(500, times=None)
    with client_for(model_server) as client, pytest.raises(ModelError) as caught:
        ask(client)
    assert len(model_server.chat_requests) == 3
    assert "answered HTTP 500" in str(caught.value)
    assert client.usage.report().failed_calls == 1
    # sent and failed is a call; the SDK's retries are its tries
    assert client.usage.report().calls == 1


def test_unscripted_request_gets_a_500_that_says_so(model_server: ModelServer) -> None:
    with (
        client_for(model_server, max_retries=0) as client,
        pytest.raises(ModelError, match="nothing scripted"),
    ):
        ask(client)


@pytest.mark.timeout(30)
def test_timeout_is_a_model_error_naming_the_limit(model_server: ModelServer) -> None:
    model_server.slow(30.0, GOOD, times=None)
    with (
        client_for(model_server, timeout=0.3, max_retries=1) as client,
        pytest.raises(ModelError) as caught,
    ):
        ask(client)
    assert str(caught.value).startswith("the model server at 127.0.0.1:")
    assert "did not finish answering within" in str(caught.value)
    assert "model-timeout 0.3s" in str(caught.value)
    assert len(model_server.chat_requests) == 1  # no retry once the 0.3 s are spent


@pytest.mark.timeout(60)
def test_a_trickling_server_cannot_hold_a_call_past_its_limit(model_server: ModelServer) -> None:
    """One byte every 0.25 s never trips a per-read timeout: the SDK alone waited 93 s for a
    5 s model-timeout. The whole call is bounded instead."""
    model_server.trickle(0.25, GOOD)  # about 2 minutes for the whole body
    model_server.answer(GOOD)
    with client_for(model_server, timeout=1.0, max_retries=1) as client:
        with pytest.raises(ModelError, match=r"did not finish answering within [\d.]+s") as caught:
            ask(client)
        assert "model-timeout 1s for the whole call, retries included" in str(caught.value)
        assert client.usage.report().failed_calls == 1
        assert ask(client) == GOOD, "a fresh connection serves the next call"


def test_unreachable_server_is_a_model_error() -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = ModelConfig(
        provider="openai",
        base_url=f"http://127.0.0.1:{port}/v1",
        api_key=TEST_API_KEY,  # type: ignore[arg-type]
        max_retries=0,
    )
    with (
        ModelClient(config) as client,
        pytest.raises(ModelError, match="could not reach the model server"),
    ):
        ask(client)


def test_invalid_json_gets_one_repair_round_then_succeeds(model_server: ModelServer) -> None:
    model_server.invalid_json('{"summary": "Adds a retry loop')
    model_server.answer(GOOD)
    with client_for(model_server) as client:
        assert ask(client) == GOOD

    first, repair = model_server.chat_requests
    assert [m["role"] for m in repair.messages] == ["system", "user", "assistant", "user"]
    assert repair.messages[2]["content"] == '{"summary": "Adds a retry loop'
    assert "Invalid JSON" in repair.messages[3]["content"]
    assert "did not match the required JSON schema" in repair.messages[3]["content"]
    assert repair.response_schema == first.response_schema
    assert client.usage.report().calls == 2  # the failed answer was billed too


def test_schema_misfit_repair_names_the_missing_field(model_server: ModelServer) -> None:
    model_server.answer({"summary": "ok", "findings": []})
    model_server.answer(GOOD)
    with client_for(model_server) as client:
        assert ask(client) == GOOD
    repair_text = model_server.chat_requests[1].messages[3]["content"]
    assert "- risk: Field required" in repair_text


def test_invalid_twice_is_a_model_error(model_server: ModelServer) -> None:
    model_server.invalid_json(times=2)
    with (
        client_for(model_server) as client,
        pytest.raises(ModelError, match="even after one repair round"),
    ):
        ask(client)
    assert len(model_server.chat_requests) == 2
    assert client.usage.report().failed_calls == 1
    assert client.usage.report().calls == 2


def test_refusal_is_a_model_error_quoting_the_model(model_server: ModelServer) -> None:
    model_server.refuse("I can't review this content.")
    with client_for(model_server) as client, pytest.raises(ModelError) as caught:
        ask(client)
    assert str(caught.value) == "the model refused: I can't review this content."
    assert len(model_server.chat_requests) == 1  # no repair round for a refusal


def test_length_cut_off_is_a_model_error_without_repair(model_server: ModelServer) -> None:
    model_server.cut_off()
    with (
        client_for(model_server, max_output_tokens=512) as client,
        pytest.raises(ModelError) as caught,
    ):
        ask(client)
    assert "cut off at the output limit of 512 tokens" in str(caught.value)
    assert "set context-tokens" in caught.value.hint  # a real input (max-output-tokens is not)
    assert len(model_server.chat_requests) == 1
    assert model_server.chat_requests[0].body["max_completion_tokens"] == 512


def test_empty_answer_is_a_model_error(model_server: ModelServer) -> None:
    model_server.empty()
    with client_for(model_server) as client, pytest.raises(ModelError, match="empty answer"):
        ask(client)


def test_content_filter_is_a_model_error(model_server: ModelServer) -> None:
    model_server.content_filter()
    with client_for(model_server) as client, pytest.raises(ModelError, match="content filter"):
        ask(client)


def test_a_server_that_is_not_openai_compatible_is_a_model_error(model_server: ModelServer) -> None:
    model_server.answer_with(lambda request: Reply(body="<html>hello</html>"))
    with (
        client_for(model_server) as client,
        pytest.raises(ModelError, match="not a chat completion"),
    ):
        ask(client)


def test_prompt_over_budget_is_refused_before_sending(model_server: ModelServer) -> None:
    with client_for(model_server, context_tokens=2_000, max_output_tokens=500) as client:
        budget = client.prompt_budget()
        assert budget == 2_000 - 500 - 256
        with pytest.raises(ModelError, match=r"over its budget of 1,244; it was not sent"):
            client.ask(ReviewAnswer, system="s", user="word " * 5_000)
    assert model_server.requests == []
    assert client.usage.report().failed_calls == 1


def test_api_key_goes_as_bearer_but_never_into_error_messages(model_server: ModelServer) -> None:
    model_server.answer(GOOD)
    model_server.fail(401, message=f"Incorrect API key provided: {TEST_API_KEY}.")
    with client_for(model_server) as client:
        ask(client)
        with pytest.raises(ModelError) as caught:
            ask(client)

    assert model_server.chat_requests[0].authorization == f"Bearer {TEST_API_KEY}"
    message = f"{caught.value} {caught.value.hint}"
    assert "rejected the API key (HTTP 401)" in message
    assert TEST_API_KEY not in message
    assert "[redacted]" in message
    assert caught.value.__cause__ is None and caught.value.__suppress_context__
    assert len(model_server.chat_requests) == 2  # 401 is not retried
    assert TEST_API_KEY not in repr(client.config)


def test_temperature_is_sent_only_to_models_that_accept_it(model_server: ModelServer) -> None:
    model_server.answer(GOOD, times=2)
    with client_for(model_server, model="gpt-5.4") as client:
        ask(client, temperature=0.0)
    with client_for(model_server, model="llama3.1:8b", context_tokens=32_000) as client:
        ask(client, temperature=0.0)
    reasoning, local = model_server.chat_requests
    assert "temperature" not in reasoning.body
    assert local.body["temperature"] == 0.0


def test_output_tokens_are_capped_at_the_models_limit(model_server: ModelServer) -> None:
    model_server.answer(GOOD)
    with client_for(model_server, model="gpt-4o", max_output_tokens=50_000) as client:
        ask(client)
    assert model_server.chat_requests[0].body["max_completion_tokens"] == 16_384


def test_an_answer_computed_from_the_request(model_server: ModelServer) -> None:
    def obey(request: RecordedRequest) -> ReviewAnswer:
        risk = "low" if "risk is low" in request.text("user") else "high"
        return ReviewAnswer(summary="computed", risk=risk, findings=[])

    model_server.answer_with(obey, times=None)
    with client_for(model_server) as client:
        assert client.ask(ReviewAnswer, system="s", user="commit: risk is low").risk == "low"
        assert client.ask(ReviewAnswer, system="s", user="plain diff").risk == "high"


def test_provider_none_builds_no_client() -> None:
    assert build_model_client(ModelConfig(provider="none")) is None


def test_provider_openai_without_a_key_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="needs an API key"):
        build_model_client(ModelConfig(provider="openai"))


# ---------------------------------------------------------------------- tool-calling exchange

READ_TOOL: ChatCompletionToolParam = {
    "type": "function",
    "function": {
        "name": "read_file",
        "description": "Read a file.",
        "parameters": {"type": "object", "properties": {"path": {"type": "string"}}},
    },
}


def test_a_tool_calling_exchange_returns_the_calls_and_records_usage(
    model_server: ModelServer,
) -> None:
    model_server.call_tools(("read_file", {"path": "src/app.py"}))
    with client_for(model_server) as client:
        turn = client.converse([{"role": "user", "content": "fix it"}], [READ_TOOL])
    (call,) = turn.tool_calls
    assert call.name == "read_file" and call.arguments == '{"path": "src/app.py"}' and call.id
    assert turn.content == "" and turn.prompt_tokens > 0
    (request,) = model_server.chat_requests
    assert request.body["tools"] == [READ_TOOL] and request.body["tool_choice"] == "auto"
    assert request.body["parallel_tool_calls"] is False
    report = client.usage.report()
    assert report.calls == 1 and report.prompt_tokens == turn.prompt_tokens


def test_a_tool_calling_exchange_keeps_the_hard_time_limit(model_server: ModelServer) -> None:
    model_server.trickle(0.25, "{}")
    with client_for(model_server, timeout=1.0, max_retries=0) as client:
        with pytest.raises(ModelError, match=r"did not finish answering within [\d.]+s"):
            client.converse([{"role": "user", "content": "fix it"}], [READ_TOOL])
        assert client.usage.report().failed_calls == 1


def test_a_tool_calling_prompt_over_budget_is_not_sent(model_server: ModelServer) -> None:
    client = client_for(model_server, context_tokens=2_000, max_output_tokens=500)
    with client, pytest.raises(ModelError, match=r"over its budget of 1,244; it was not sent"):
        client.converse(
            [{"role": "tool", "tool_call_id": "x", "content": "line\n" * 3_000}], [READ_TOOL]
        )
    assert model_server.requests == []


def test_a_cut_off_tool_call_is_a_model_error(model_server: ModelServer) -> None:
    model_server.call_tools(("read_file", '{"path": "src/a'), finish_reason="length")
    client = client_for(model_server)
    with client, pytest.raises(ModelError, match="cut off at the output limit"):
        client.converse([{"role": "user", "content": "fix it"}], [READ_TOOL])


def _without_usage(request: RecordedRequest, content: str | None, **kwargs: object) -> Reply:
    body = completion_body(request, content, **kwargs)  # type: ignore[arg-type]
    del body["usage"]
    return Reply(body=body)


def test_a_server_that_reports_no_usage_is_counted_for_both_kinds_of_exchange(
    model_server: ModelServer,
) -> None:
    model_server.enqueue(lambda request: _without_usage(request, GOOD.model_dump_json()))
    model_server.enqueue(
        lambda request: _without_usage(
            request, None, tool_calls=[("read_file", {"path": "src/app.py"})]
        )
    )
    with client_for(model_server) as client:
        assert ask(client) == GOOD
        asked = client.usage.report().completion_tokens
        turn = client.converse([{"role": "user", "content": "fix it"}], [READ_TOOL])
    assert asked == client.counter().count(GOOD.model_dump_json())
    assert turn.completion_tokens == client.counter().count('{"path": "src/app.py"}')
    assert turn.prompt_tokens > 0
    assert client.usage.report().calls == 2
    assert client.usage.report().completion_tokens == asked + turn.completion_tokens


def test_a_tool_calling_exchange_turns_sdk_failures_into_plain_sentences(
    model_server: ModelServer,
) -> None:
    model_server.rate_limit()
    model_server.answer_with(lambda request: Reply(body="<html>hello</html>"))
    with client_for(model_server, max_retries=0) as client:
        with pytest.raises(ModelError, match=r"rate limited.*HTTP 429, 1 attempt\)"):
            client.converse([{"role": "user", "content": "fix it"}], [READ_TOOL])
        with pytest.raises(ModelError, match="not a chat completion"):
            client.converse([{"role": "user", "content": "fix it"}], [READ_TOOL])
        assert client.usage.report().failed_calls == 2 and client.usage.report().calls == 2


@pytest.mark.timeout(60)
def test_model_timeout_is_a_wall_clock_deadline_for_the_whole_call(
    model_server: ModelServer,
) -> None:
    """Attack: a server trickling a byte every 0.25 s held a 5 s
    model-timeout call for 31-37 s, ``timeout * (retries + 1) + 8 * retries``. The whole call,
    retries included, now ends near its model-timeout, and no retry starts after it."""
    model_server.trickle(0.25, GOOD, times=None)  # about 2 minutes for the whole body
    with client_for(model_server, timeout=1.0, max_retries=2) as client:
        started = time.monotonic()
        with pytest.raises(ModelError, match=r"did not finish answering within") as caught:
            ask(client)
        elapsed = time.monotonic() - started
    # Unbounded, the call took 19 s or more (1 s per attempt, 8 s between them); 15 s leaves a
    # loaded machine 15 times the 1 s the call may take, and the body alone takes 2 minutes.
    assert elapsed < 15, elapsed
    assert "model-timeout 1s for the whole call, retries included" in str(caught.value)
    assert len(model_server.chat_requests) == 1


@pytest.mark.timeout(60)
def test_a_retry_is_not_started_once_the_model_timeout_is_spent(
    model_server: ModelServer,
) -> None:
    """A 500 asking for a retry in 60 s, under a 1 s model-timeout: the call ends at its
    deadline with the one request sent, instead of waiting to retry (a wait of 60 s, far
    beyond what a loaded machine adds to the 1 s)."""
    model_server.fail(500, times=None, retry_after_ms=60_000)
    with client_for(model_server, timeout=1.0, max_retries=2) as client:
        started = time.monotonic()
        with pytest.raises(ModelError, match=r"did not finish answering within"):
            ask(client)
        elapsed = time.monotonic() - started
    assert elapsed < 30, elapsed
    assert len(model_server.chat_requests) == 1


def test_a_local_model_whose_name_is_unknown_works_without_any_setting(
    model_server: ModelServer,
) -> None:
    """Before: the assumed 8,192-token window minus 16,384 reserved for the answer left no room
    for any prompt, and the hint named max-output-tokens, which is no input or flag."""
    model_server.answer(GOOD)
    with client_for(model_server, model="llama3.1:8b") as client:
        ask(client)
        assert client.output_tokens() == 4_096
    assert model_server.chat_requests[0].body["max_completion_tokens"] == 4_096
    with client_for(model_server, model="llama3.1:8b", context_tokens=65_536) as client:
        assert client.output_tokens() == 16_384  # the default, now that the window is known


def test_every_option_a_message_names_is_a_real_input_or_flag() -> None:
    """Hints such as "raise max-output-tokens" sent users looking for options that do not
    exist: every option-shaped name in the source's words is an action input or a key of the
    settings file (its JSON Schema)."""
    import json
    import re

    import yaml

    from tests.harness.payloads import REPO_ROOT

    def keys(node: object) -> set[str]:
        if isinstance(node, dict):
            own = set(node.get("properties", {})) if isinstance(node.get("properties"), dict) else set()
            return own.union(*(keys(value) for value in node.values()))
        return set().union(*(keys(value) for value in node)) if isinstance(node, list) else set()

    schema = json.loads((REPO_ROOT / "src/cicd_agent/data/cicd-agent.schema.json").read_text())
    inputs = set(yaml.safe_load((REPO_ROOT / "action.yml").read_text())["inputs"]) | keys(schema)
    shaped = re.compile(r"(?<![\w./-])[a-z]+(?:-[a-z]+)*-(?:tokens|timeout|budget|minutes|url)\b")
    named = {
        name
        for path in (REPO_ROOT / "src" / "cicd_agent").rglob("*.py")
        for name in shaped.findall(path.read_text(encoding="utf-8"))
    }
    assert named and named <= inputs, sorted(named - inputs)


# -------------------------------------------------------------- Attacks: a hostile model server
# Red-team attacks on the model client by a hostile OpenAI-compatible server: answers whose
# body never ends, or inflates from 1 MiB on the wire to 1 GiB in memory. ``model-timeout``
# bounds the time of a call, not what it holds meanwhile.
#
# The harness's scripted server (``tests/harness/model_server.py``) writes JSON bodies only, so
# these servers are raw sockets. Each case runs in a child process whose address space is capped
# at what it had plus 512 MiB, so the attack cannot take the test machine's memory with it.


_CHILD = """
import resource, socket, struct, sys, threading, zlib
from pydantic import BaseModel, SecretStr
from cicd_agent.actions.errors import ModelError
from cicd_agent.model.client import ModelClient
from cicd_agent.model.config import ModelConfig

KIND = sys.argv[1]
HEAD = b'{"choices": [{"finish_reason": "stop", "message": {"content": "'
if KIND == "gzip":  # 1 MiB of zeros compressed once (a full flush resets the state), 1024 times
    packer, zeros = zlib.compressobj(9, zlib.DEFLATED, 31), bytes(1 << 20)
    BODY = packer.compress(HEAD) + packer.flush(zlib.Z_FULL_FLUSH)
    BODY += (packer.compress(zeros) + packer.flush(zlib.Z_FULL_FLUSH)) * 1024
    crc = zlib.crc32(HEAD)
    for _ in range(1024):
        crc = zlib.crc32(zeros, crc)
    BODY += packer.flush()[:-8] + struct.pack("<II", crc, len(HEAD) + (1 << 30))
    HEADERS = b"content-encoding: gzip\\r\\ncontent-length: %d\\r\\n" % len(BODY)
else:
    BODY, HEADERS = HEAD, b"connection: close\\r\\n"

listener = socket.create_server(("127.0.0.1", 0))

def answer(conn):
    try:
        conn.recv(1 << 16)
        conn.sendall(b"HTTP/1.1 200 OK\\r\\ncontent-type: application/json\\r\\n" + HEADERS)
        conn.sendall(b"\\r\\n" + BODY)
        while KIND == "endless":
            conn.sendall(b"A" * (1 << 20))
    except OSError:
        pass

def serve():
    while True:
        conn, _ = listener.accept()
        threading.Thread(target=answer, args=(conn,), daemon=True).start()

threading.Thread(target=serve, daemon=True).start()
status = open("/proc/self/status").read()
size_kib = int(status.split("VmSize:")[1].split()[0])
cap = (size_kib << 10) + (512 << 20)
resource.setrlimit(resource.RLIMIT_AS, (cap, cap))

class Answer(BaseModel):
    text: str = ""

config = ModelConfig.model_validate({
    "provider": "openai", "api_key": SecretStr("sk-test-red-team-key-1234"), "timeout": 8.0,
    "base_url": "http://127.0.0.1:%d/v1" % listener.getsockname()[1], "max_retries": 0,
})
try:
    with ModelClient(config) as client:
        client.ask(Answer, system="s", user="u")
    print("ANSWERED")
except ModelError as exc:
    print("MODEL ERROR", exc)
except BaseException as exc:
    print("CRASHED", type(exc).__name__)
"""


@pytest.mark.parametrize(
    "kind",
    [
        "endless",  # headers at once, then a body that never ends, written as fast as it goes
        "gzip",  # 1 MiB of gzip that inflates to 1 GiB: here in milliseconds, no timeout helps
    ],
)
def test_an_answer_too_large_to_be_one_ends_as_a_model_error(kind: str) -> None:
    """Attack: a hostile server (or one the pull request's text talked into rambling) sends
    an answer larger than any completion. Within model-timeout (120 s by default) the client
    held gigabytes; a gzip bomb needs no time at all. Either way the runner's memory runs out
    and the mode dies without its outputs, where a ModelError would keep the floor."""
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(_CHILD), kind],
        capture_output=True, text=True, check=False, timeout=120,
    )  # fmt: skip
    assert "MODEL ERROR" in done.stdout, done.stdout + done.stderr[-2000:]
