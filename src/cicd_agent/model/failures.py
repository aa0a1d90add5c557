"""An SDK failure, after the SDK's own retries, as one plain sentence with what to do.

The API key is scrubbed from whatever the server or the SDK said (``scrub``): a misconfigured
proxy may echo the request's headers into its error.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit, urlunsplit

import openai

from cicd_agent.actions.errors import ModelError


def sdk_error(
    exc: openai.OpenAIError,
    *,
    server: str,
    base_url: str,
    timeout: float,
    attempts: int,
    scrub: Callable[[str], str],
) -> ModelError:
    """One plain sentence for an SDK failure that survived ``attempts`` tries."""
    tries = f"{attempts} attempt{'' if attempts == 1 else 's'}"
    if isinstance(exc, openai.APITimeoutError):
        return ModelError(
            f"the model server at {server} did not finish answering within "
            f"model-timeout {timeout:g}s ({tries}).",
            hint="Raise model-timeout, or check that the server is up.",
        )
    if isinstance(exc, openai.APIConnectionError):
        reason = scrub(str(exc.__cause__ or exc))
        return ModelError(
            f"could not reach the model server at {server} ({tries}): {reason}",
            hint="Check base-url and the runner's network access.",
        )
    if isinstance(exc, openai.RateLimitError):
        return ModelError(
            f"the model server rate limited the request (HTTP 429, {tries}): {_detail(exc, scrub)}",
            hint="Re-run later, run fewer jobs at once, or check the account's quota.",
        )
    if isinstance(exc, openai.AuthenticationError | openai.PermissionDeniedError):
        return ModelError(
            f"the model server rejected the API key (HTTP {exc.status_code}): "
            f"{_detail(exc, scrub)}",
            hint="Check the openai-api-key input or the OPENAI_API_KEY secret.",
        )
    if isinstance(exc, openai.NotFoundError):
        tried = scrub(_shown_url(str(exc.request.url)))
        return ModelError(
            f"the model server answered HTTP 404 for POST {tried}: {_detail(exc, scrub)}"
            + ("" if _detail(exc, scrub).endswith((".", "!", "?")) else "."),
            hint=_not_found_hint(scrub(_shown_url(base_url))),
        )
    if isinstance(exc, openai.APIStatusError):
        return ModelError(
            f"the model server answered HTTP {exc.status_code}: {_detail(exc, scrub)}",
            hint="Check model and base-url." if exc.status_code == 400 else "",
        )
    return ModelError(f"the model call failed: {scrub(str(exc))[:300]}")


def _detail(exc: openai.APIStatusError, scrub: Callable[[str], str]) -> str:
    return scrub(exc.message)[:300]


def _shown_url(url: str) -> str:
    """``url`` without user, password or query, which may hold a credential."""
    parts = urlsplit(url)
    host = (parts.hostname or "") + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


def _not_found_hint(base_url: str) -> str:
    """OpenAI-compatible servers (Ollama, vLLM, LiteLLM) serve ``/v1/chat/completions``: a
    base-url without ``/v1`` is the usual 404; with it, the model name is."""
    if not base_url.rstrip("/").endswith("/v1"):
        return (
            f"base-url {base_url} does not end in /v1: OpenAI-compatible servers answer at "
            f"{base_url.rstrip('/')}/v1. Otherwise check the model name."
        )
    return f"Check the model name (the server lists its models at {base_url.rstrip('/')}/models)."
