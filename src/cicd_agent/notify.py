"""Chat notifications through a Slack incoming webhook (deploy holds and approvals, new failures).

One POST of ``{"text": …}`` (Slack's documented minimum payload; Mattermost and Rocket.Chat
accept the same). The webhook URL is a secret: it is masked by the caller and never printed,
and errors name the host only. Any mode can use :func:`post_message`.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from cicd_agent.runner.errors import ExternalServiceError, UsageError

SLACK_TEXT_LIMIT = 3000
"""Slack truncates longer ``text``; we cut first so the end of the message is ours."""


def slack_text(*lines: str) -> str:
    """The one builder of chat text: non-empty ``lines``, each escaped the way Slack asks
    (``&``, ``<``, ``>``), so no text we pass on (log words, model words, branch names) can
    ping a channel (``<!channel>``) or forge a link (``<https://…|label>``)."""
    return "\n".join(_escape(line) for line in lines if line)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def post_message(webhook_url: str, text: str, *, timeout: float = 10.0) -> None:
    """Post ``text`` to the webhook; raises ExternalServiceError when it is not accepted."""
    import requests  # +199 modules (python -X importtime): only when a message is sent

    parts = urlsplit(webhook_url)
    if parts.scheme not in ("https", "http") or not parts.netloc:
        raise UsageError("slack-webhook-url must be an http(s) URL.")
    host = parts.hostname or "the webhook host"
    if len(text) > SLACK_TEXT_LIMIT:
        text = text[: SLACK_TEXT_LIMIT - 1] + "…"
    try:
        response = requests.post(webhook_url, json={"text": text}, timeout=timeout)
    except requests.RequestException as exc:
        raise ExternalServiceError(
            f"Could not reach the chat webhook at {host} ({type(exc).__name__})."
        ) from exc
    if not 200 <= response.status_code < 300:
        raise ExternalServiceError(
            f"The chat webhook at {host} answered {response.status_code}.",
            hint="Check that the webhook URL is current (Slack revokes unused ones).",
        )
