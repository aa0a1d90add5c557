"""A chat completion read leniently (a compatible server may omit fields), and an answer that
is not usable (cut off, filtered, refused, empty) as one ModelError saying why."""

from __future__ import annotations

import json
import re

import pytest

from cicd_agent.actions.errors import ModelError
from cicd_agent.model.reply import Choice, read_completion, usable

SERVER = "http://127.0.0.1:8080/v1"


def test_a_sparse_completion_still_yields_its_content_and_usage() -> None:
    body = {"choices": [{"message": {"content": "{}"}}], "usage": {"prompt_tokens": 12}}
    completion = read_completion(json.dumps(body).encode(), SERVER)
    assert completion.choices[0].message.content == "{}"
    assert completion.usage is not None and completion.usage.completion_tokens == 0


@pytest.mark.parametrize(
    ("body", "said"),
    [
        (b"<html>502 Bad Gateway</html>", "is not a chat completion"),
        (b'{"choices": []}', "answered with no choices"),
    ],
)
def test_a_body_that_is_no_completion_names_the_server(body: bytes, said: str) -> None:
    with pytest.raises(ModelError, match=said) as caught:
        read_completion(body, SERVER)
    assert SERVER in str(caught.value)


def _choice(**fields: object) -> Choice:
    return Choice.model_validate(fields)


def test_a_finished_answer_is_usable_as_is() -> None:
    assert usable(_choice(finish_reason="stop"), '{"a": 1}', 100, str) == '{"a": 1}'


@pytest.mark.parametrize(
    ("choice", "content", "said"),
    [
        ({"finish_reason": "length"}, "{", "cut off at the output limit of 4,096 tokens"),
        ({"finish_reason": "content_filter"}, "", "withheld by the provider's content filter"),
        ({"message": {"refusal": "I won't, sk-secret"}}, "", "the model refused: I won't, ***"),
        ({"finish_reason": "stop"}, "  \n", "returned an empty answer"),
    ],
)
def test_an_answer_that_is_not_usable_says_why(
    choice: dict[str, object], content: str, said: str
) -> None:
    with pytest.raises(ModelError, match=re.escape(said)):
        usable(_choice(**choice), content, 4096, lambda text: text.replace("sk-secret", "***"))
