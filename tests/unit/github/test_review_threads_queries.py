"""Each GraphQL document review sends to close its threads is one GitHub's public schema
accepts (the committed subset the test harness serves, ``tests/harness/github-graphql.graphql``):
a field or argument GitHub does not have would fail every real run, not only the mock's."""

from __future__ import annotations

import pytest
from graphql import parse, validate

from cicd_agent.github import review_threads
from tests.harness.graphql_mock import schema


@pytest.mark.parametrize("name", ["_THREADS", "_REVIEWS", "_RESOLVE", "_HIDE"])
def test_each_document_is_valid_against_githubs_schema(name: str) -> None:
    document = parse(getattr(review_threads, name))
    assert [error.message for error in validate(schema(), document)] == []


def test_a_document_github_would_refuse_is_caught() -> None:
    """The check above can fail: a field the schema lacks is reported."""
    document = parse(review_threads._RESOLVE.replace("isResolved", "isSolved"))
    assert validate(schema(), document)
