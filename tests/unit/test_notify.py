"""Chat notifications: text made only by the one builder, escaped so no word we pass on can
ping a channel, forge a link or be unfurled; posted to a real local webhook, errors naming the
host and never the secret URL."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from cicd_agent.actions.errors import ExternalServiceError, UsageError
from cicd_agent.actions.notify import SLACK_TEXT_LIMIT, SlackText, post_message, slack_text

RECEIVED: list[dict[str, str]] = []


class _Webhook(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        RECEIVED.append(json.loads(self.rfile.read(int(self.headers["content-length"]))))
        self.send_response(404 if self.path.endswith("/revoked") else 200)
        self.send_header("content-length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: the test reads what the webhook received."""


@pytest.fixture
def webhook() -> Iterator[str]:
    RECEIVED.clear()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Webhook)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/services/T000/B000/secretpart"
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_words_passed_on_cannot_ping_link_or_unfurl() -> None:
    text = slack_text("<!channel> fix <https://evil.example|here> & see https://evil.example",
                      "", "www.evil.example mailto:a@b.c", link="https://github.com/o/r/pull/1")  # fmt: skip
    lines = str(text).split("\n")
    assert lines[0] == (
        "&lt;!channel&gt; fix &lt;https:\u200b//evil.example|here&gt; &amp; see "
        "https:\u200b//evil.example"
    )
    assert lines[1] == "www\u200b.evil.example mailto:\u200ba@b.c"
    assert lines[2] == "https://github.com/o/r/pull/1"  # our own link, the one link


def test_chat_text_is_made_only_by_the_builder() -> None:
    with pytest.raises(TypeError, match="made only by"):
        SlackText("<!channel>", object())
    assert type(slack_text("a") + "<!here>") is str  # a change is plain text again


def test_a_message_is_posted_as_text_and_cut_to_slacks_limit(webhook: str) -> None:
    post_message(webhook, slack_text("deploy held"))
    post_message(webhook, slack_text("x" * (SLACK_TEXT_LIMIT + 50)))
    assert RECEIVED[0] == {"text": "deploy held"}
    assert len(RECEIVED[1]["text"]) == SLACK_TEXT_LIMIT and RECEIVED[1]["text"].endswith("…")


def test_a_refused_post_names_the_host_never_the_secret_url(webhook: str) -> None:
    with pytest.raises(ExternalServiceError) as caught:
        post_message(webhook.replace("secretpart", "revoked"), slack_text("hi"))
    assert "answered 404" in str(caught.value) and "127.0.0.1" in str(caught.value)
    assert "B000" not in str(caught.value) + caught.value.hint


def test_a_webhook_that_is_not_http_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="must be an http"):
        post_message("file:///etc/passwd", slack_text("hi"))
