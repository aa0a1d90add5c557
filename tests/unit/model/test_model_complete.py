"""A plain completion: the messages as given, only the sampling settings named, the raw text
back (empty or cut off included), and a request that got no answer a ModelError."""

from __future__ import annotations

import pytest

from cicd_agent.actions.errors import ModelError
from cicd_agent.model.client import ModelClient
from tests.harness.model_server import TEST_API_KEY, ModelServer, Reply, completion_body


def test_the_request_is_the_messages_and_the_settings_given(model_server: ModelServer) -> None:
    model_server.answer("Bonjour le monde")
    with ModelClient(model_server.config()) as client:
        text = client.complete(
            [{"role": "user", "content": "Translate: Hello world"}], model="local", temperature=0,
            seed=7, stop=("\n",),
        )  # fmt: skip
    assert text == "Bonjour le monde"
    (request,) = model_server.chat_requests
    assert request.body == {
        "model": "local", "messages": [{"role": "user", "content": "Translate: Hello world"}],
        "temperature": 0, "seed": 7, "stop": ["\n"],
    }  # fmt: skip


def test_an_empty_or_cut_off_answer_is_an_answer(model_server: ModelServer) -> None:
    model_server.empty()
    model_server.enqueue(
        lambda req: Reply(body=completion_body(req, "half", finish_reason="length")), times=1
    )
    with ModelClient(model_server.config()) as client:
        assert client.complete([{"role": "user", "content": "x"}], model="m") == ""
        assert client.complete([{"role": "user", "content": "x"}], model="m") == "half"
    assert client.usage.report().calls == 2


def test_no_answer_is_a_model_error_with_the_key_scrubbed(model_server: ModelServer) -> None:
    model_server.fail(400, message=f"bad key {TEST_API_KEY}")
    with ModelClient(model_server.config()) as client, pytest.raises(ModelError) as raised:
        client.complete([{"role": "user", "content": "x"}], model="m")
    assert TEST_API_KEY not in str(raised.value)
