"""Model answers under anything a model or a server behind ``base-url`` can send: the reply
(``model/reply.py``) is a completion or a ModelError, every answer schema takes the content or
says what does not fit (the repair round's prompt), a fix tool's call is carried out or refused;
and end to end, a mode given any answer ends in a documented exit with its outputs, never 3.

A model's words are the pull request's words (a prompt injection steers them), so valid
answers with hostile strings matter as much as broken ones: the real answer of the failed-run
fixture is mutated, and every schema is fed JSON of any shape."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from cicd_agent.actions.errors import ModelError, first_problem
from cicd_agent.model.reply import read_completion, repair_prompt, usable
from cicd_agent.modes.analyse_failure.answer import FailureAnswer
from cicd_agent.modes.analyse_failure.fix.bug_test import TestAnswer
from cicd_agent.modes.analyse_failure.fix.tools import Refused, parse_call
from cicd_agent.modes.command.prompt import AskAnswer
from cicd_agent.modes.deploy_gate.types import DeployOpinion
from cicd_agent.modes.review.answer import DescriptionAnswer, ReviewAnswer
from tests.fuzz.hostile import (
    assert_documented_exit,
    budget,
    documents,
    encoded,
    json_values,
    mutated,
    texts,
)
from tests.harness.model_server import TEST_API_KEY, ModelServer, Reply, completion_body
from tests.helpers.cli import run_cli
from tests.helpers.failed_run import opinion

SCHEMAS: list[type[BaseModel]] = [
    FailureAnswer, TestAnswer, AskAnswer, DeployOpinion, DescriptionAnswer, ReviewAnswer,
]  # fmt: skip
SEED = json.loads(opinion().model_dump_json())
COMPLETION = {
    "id": "c", "object": "chat.completion", "created": 1, "model": "m",
    "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant",
                 "content": json.dumps(SEED), "tool_calls": None, "refusal": None}}],
    "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
}  # fmt: skip
contents = st.one_of(
    mutated(SEED).map(json.dumps),
    documents().map(lambda data: data.decode("utf-8", "replace")),
    json_values.map(json.dumps),
    texts(),
)


@budget(100)
@given(body=st.one_of(mutated(COMPLETION).flatmap(encoded), documents()), content=contents,
       schema=st.sampled_from(SCHEMAS))  # fmt: skip
def test_any_reply_and_content_is_an_answer_or_a_model_error(
    body: bytes, content: str, schema: type[BaseModel]
) -> None:
    try:
        completion = read_completion(body, "http://model")
        choice = completion.choices[0]
        usable(choice, choice.message.content or "", 100, str)
    except ModelError as error:
        assert "\n" not in error.message
    try:
        schema.model_validate_json(content)
    except ValidationError as error:
        assert repair_prompt(error)
        assert "\n" not in first_problem(error, "(root)")


@budget(60)
@given(name=st.sampled_from(["read_file", "search", "git_log", "git_blame", "run_failing_command",
                             "propose_patch", "\ud800", "x" * 1000]),
       arguments=st.one_of(json_values.map(json.dumps), texts(), st.dictionaries(
           st.sampled_from(["path", "pattern", "start", "end", "diff", "line", "limit"]),
           json_values).map(json.dumps)))  # fmt: skip
def test_any_tool_call_is_parsed_or_refused(name: str, arguments: str) -> None:
    try:
        parse_call(name, arguments)
    except Refused as refusal:
        assert "\n" not in str(refusal)


@pytest.fixture(scope="module")
def served(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[ModelServer, Path, list[Any]]]:
    """The model server, answering every request with what the list holds, and a folder."""
    place = tmp_path_factory.mktemp("model")
    (place / "log.txt").write_bytes(
        b"Run pytest\nFAILED tests/test_failing.py::test_add_small_numbers - assert 5 == 6\n"
        b"E   assert 5 == 6\nError: Process completed with exit code 1.\n"
    )
    server, answer = ModelServer().start(), [SEED]
    server.enqueue(lambda request: Reply(body=_body(request, answer[0])), times=None)
    try:
        yield server, place, answer
    finally:
        server.stop()


def answer_kinds() -> st.SearchStrategy[Any]:
    hostile = mutated(SEED).filter(lambda document: _fits(FailureAnswer, document))
    return st.one_of(hostile, hostile, hostile, contents)


def _fits(schema: type[BaseModel], document: object) -> bool:
    try:
        schema.model_validate(document)
    except ValidationError:
        return False
    return True


@budget(10)
@example(answer="\ud800")  # a reply the reader refuses: the floor stands, exit 0
@given(answer=answer_kinds())
@example(answer={**SEED, "root_cause": "\u2028::error::forged\n" + "x" * 100_000})
def test_a_mode_given_any_answer_ends_in_a_documented_exit(
    served: tuple[ModelServer, Path, list[Any]], answer: Any
) -> None:
    server, place, answering = served
    answering[0] = answer
    asked = len(server.chat_requests)
    done = run_cli(
        ["analyse-failure", "--provider", "openai", "--base-url", server.base_url,
         "--logs", str(place / "log.txt")],
        place, {"OPENAI_API_KEY": TEST_API_KEY, "GITHUB_WORKSPACE": str(place)},
    )  # fmt: skip
    assert_documented_exit(done.code, done.outputs, done.stdout + done.stderr)
    assert len(server.chat_requests) > asked  # the model was asked: the answer was read


def _body(request: Any, answer: Any) -> dict[str, Any]:
    content = answer if isinstance(answer, str) else json.dumps(answer)
    return completion_body(request, content)
