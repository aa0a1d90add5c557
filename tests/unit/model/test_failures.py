"""An SDK failure as one plain sentence with what to do, the API key scrubbed from whatever
the server echoed, and no credential of the base URL shown."""

from __future__ import annotations

import httpx2 as httpx
import openai

from cicd_agent.model.failures import sdk_error

BASE = "https://user:hunter2@llm.example.com/api?key=abc"
KEY = "sk-test-key"


def _scrub(text: str) -> str:
    return text.replace(KEY, "***")


def _status(kind: type[openai.APIStatusError], code: int, message: str) -> openai.APIStatusError:
    request = httpx.Request("POST", f"{BASE.split('?')[0]}/chat/completions?key=abc")
    response = httpx.Response(code, request=request, json={"error": {"message": message}})
    return kind(message, response=response, body=None)


def _said(exc: openai.OpenAIError, attempts: int = 3) -> tuple[str, str]:
    error = sdk_error(exc, server="llm.example.com", base_url=BASE, timeout=30,
                      attempts=attempts, scrub=_scrub)  # fmt: skip
    return str(error), error.hint


def test_a_timeout_names_the_limit_and_the_attempts() -> None:
    request = httpx.Request("POST", "https://llm.example.com/v1/chat/completions")
    said, hint = _said(openai.APITimeoutError(request), attempts=1)
    assert "did not finish answering within model-timeout 30s (1 attempt)" in said
    assert "Raise model-timeout" in hint


def test_a_rejected_key_is_said_and_the_key_echoed_back_is_scrubbed() -> None:
    said, hint = _said(_status(openai.AuthenticationError, 401, f"bad key {KEY}"))
    assert "rejected the API key (HTTP 401): bad key ***" in said and KEY not in said
    assert "openai-api-key" in hint


def test_a_rate_limit_suggests_waiting() -> None:
    said, hint = _said(_status(openai.RateLimitError, 429, "slow down"))
    assert "rate limited the request (HTTP 429, 3 attempts): slow down" in said
    assert "Re-run later" in hint


def test_a_404_shows_the_url_without_its_credentials_and_asks_for_v1() -> None:
    said, hint = _said(_status(openai.NotFoundError, 404, "no such route"))
    assert "HTTP 404 for POST https://llm.example.com/api/chat/completions: no such route." in said
    assert "hunter2" not in said + hint and "key=abc" not in said + hint
    assert "does not end in /v1" in hint


def test_another_status_names_its_code() -> None:
    said, hint = _said(_status(openai.BadRequestError, 400, "unknown model"))
    assert "answered HTTP 400: unknown model" in said
    assert hint == "Check model and base-url."
