"""The scripted model server itself: what other tests rely on when they assert on its record."""

from __future__ import annotations

import openai
import pytest

from tests.harness.model_server import TEST_API_KEY, ModelServer, RecordedRequest, Reply


def sdk(server: ModelServer, **kwargs: object) -> openai.OpenAI:
    return openai.OpenAI(base_url=server.base_url, api_key=TEST_API_KEY, **kwargs)  # type: ignore[arg-type]


def test_lists_its_models(model_server: ModelServer) -> None:
    ids = [model.id for model in sdk(model_server).models.list()]
    assert ids == ["gpt-5.4", "gpt-5.4-mini"]
    assert model_server.requests[0].method == "GET"
    assert model_server.chat_requests == []


def test_unknown_routes_are_404_and_recorded(model_server: ModelServer) -> None:
    with pytest.raises(openai.NotFoundError, match="no route POST /v1/embeddings"):
        sdk(model_server).embeddings.create(model="text-embedding-3-small", input="x")
    assert model_server.requests[0].path == "/v1/embeddings"


def test_records_what_was_sent_and_counts_what_is_left(model_server: ModelServer) -> None:
    model_server.answer({"ok": True}, times=2)
    assert model_server.pending == 2
    sdk(model_server).chat.completions.create(
        model="gpt-5.4",
        messages=[
            {"role": "system", "content": "be brief"},
            {"role": "user", "content": [{"type": "text", "text": "PR body: hello"}]},
        ],
    )
    assert model_server.pending == 1
    (request,) = model_server.chat_requests
    assert request.authorization == f"Bearer {TEST_API_KEY}"
    assert request.text("user") == "PR body: hello"
    assert model_server.all_prompt_text() == "be brief\n\nPR body: hello"


def test_default_usage_is_derived_from_the_sizes(model_server: ModelServer) -> None:
    model_server.answer("x" * 400)
    completion = sdk(model_server).chat.completions.create(
        model="gpt-5.4", messages=[{"role": "user", "content": "hi"}]
    )
    assert completion.usage is not None
    assert completion.usage.completion_tokens == 100
    assert completion.usage.prompt_tokens > 0
    assert completion.choices[0].finish_reason == "stop"
    assert completion.choices[0].message.refusal is None


def test_a_callable_can_return_a_full_reply(model_server: ModelServer) -> None:
    def teapot(request: RecordedRequest) -> Reply:
        return Reply(status=418, body={"error": {"message": f"no {request.model}"}})

    model_server.answer_with(teapot)
    with pytest.raises(openai.APIStatusError, match=r"no gpt-5\.4") as caught:
        sdk(model_server, max_retries=0).chat.completions.create(
            model="gpt-5.4", messages=[{"role": "user", "content": "hi"}]
        )
    assert caught.value.status_code == 418


def test_nothing_can_follow_a_step_for_every_request(model_server: ModelServer) -> None:
    model_server.answer({"a": 1}, times=None)
    with pytest.raises(ValueError, match="already answers every later request"):
        model_server.answer({"b": 2})
