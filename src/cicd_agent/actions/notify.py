"""Chat notifications through a Slack incoming webhook: one POST of ``{"text": …}``, Slack's
documented minimum (Mattermost and Rocket.Chat accept it). The webhook URL is a secret: masked,
never printed, errors name the host only."""

from __future__ import annotations

import re
from typing import final
from urllib.parse import urlsplit

from cicd_agent.actions.bidi import shown_bidi
from cicd_agent.actions.errors import ExternalServiceError, UsageError
from cicd_agent.actions.withheld import redacted

SLACK_TEXT_LIMIT = 3000
"""Slack truncates longer ``text``; we cut first so the end of the message is ours."""


# Only :func:`slack_text` makes :class:`SlackText`: its constructor asks for this object.
_MAKER = object()


@final
class SlackText(str):
    """Chat text as :func:`slack_text` escaped it, the only text :func:`post_message` takes
    (``mypy --strict`` rejects a plain ``str``; any change to it is a plain ``str`` again)."""

    __slots__ = ()

    def __new__(cls, text: str, maker: object) -> SlackText:
        if maker is not _MAKER:
            raise TypeError("SlackText is made only by cicd_agent.actions.notify.slack_text")
        return super().__new__(cls, text)

    def __reduce__(self) -> tuple[type[str], tuple[str]]:
        return (str, (str(self),))  # a copy is plain text again, as for actions.markdown.Neutral


def slack_text(*lines: str, link: str = "") -> SlackText:
    """The one builder of chat text: each line redacted and escaped as Slack asks, so no text we
    pass on can ping a channel (``<!channel>``) or forge a link; a bare URL is broken too (Slack
    may fetch it to unfurl). ``link``, a URL we made, ends the message. Control characters and
    lone surrogates are U+FFFD; bidirectional controls show as code points."""
    shown = [_URL.sub(_unlink, _escape(_plain(line))) for line in lines if line]
    return SlackText("\n".join([*shown, *([_escape(link)] if link else [])]), _MAKER)


# A URL Slack would link: a scheme (``https://``, ``ftp://``, ``mailto:``…) or ``www.``.
_URL = re.compile(r"(?i)(?<![a-z0-9])(?:[a-z][a-z0-9+.-]*:(?=//|[^\s/]*@)|www\.)")


def _unlink(found: re.Match[str]) -> str:
    """A zero-width space after the scheme's colon or inside ``www.``: shown, never linked."""
    text = found.group(0)
    return "www\u200b." if text.lower() == "www." else f"{text}\u200b"


# C0 controls but tab and line feed, DEL, C1 controls and lone surrogates.
_REFUSED = re.compile("[\ud800-\udfff\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _plain(line: str) -> str:
    return shown_bidi(_REFUSED.sub("\ufffd", redacted(_REFUSED.sub("\ufffd", line))))


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def post_message(webhook_url: str, text: SlackText, *, timeout: float = 10.0) -> None:
    """Post ``text`` to the webhook; raises ExternalServiceError when it is not accepted."""
    import requests  # here, not at the top: only a run that sends a message loads it

    parts = urlsplit(webhook_url)
    if parts.scheme not in ("https", "http") or not parts.netloc:
        raise UsageError("slack-webhook-url must be an http(s) URL.")
    host = parts.hostname or "the webhook host"
    sent = str(text)
    if len(sent) > SLACK_TEXT_LIMIT:
        # A cut can split an escape (``&am``), never make a ``<``: the text stays inert.
        sent = sent[: SLACK_TEXT_LIMIT - 1] + "…"
    try:
        response = requests.post(webhook_url, json={"text": sent}, timeout=timeout)
    except requests.RequestException as exc:
        raise ExternalServiceError(
            f"Could not reach the chat webhook at {host} ({type(exc).__name__})."
        ) from exc
    if not 200 <= response.status_code < 300:
        raise ExternalServiceError(
            f"The chat webhook at {host} answered {response.status_code}.",
            hint="Check that the webhook URL is current (Slack revokes unused ones).",
        )
