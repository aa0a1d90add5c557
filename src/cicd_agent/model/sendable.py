"""Messages made sendable: every text encodable as the UTF-8 a request is sent in.

Text read from git or a log keeps each byte that was not UTF-8 as a lone surrogate
(``surrogateescape``); the SDK's JSON encoder cannot send one, and a Latin-1 line in a diff or
a log ended the run in exit 3.
"""

from __future__ import annotations

import re
from typing import Any, cast

from openai.types.chat import ChatCompletionMessageParam

_SURROGATE = re.compile("[\ud800-\udfff]")


def valid_utf8(messages: list[ChatCompletionMessageParam]) -> None:
    """Replace each lone surrogate in every message's text with U+FFFD, as the reader would
    see it, in place."""
    for message in messages:
        content = message.get("content")
        if isinstance(content, str) and _SURROGATE.search(content):
            cast(dict[str, Any], message)["content"] = _SURROGATE.sub("\ufffd", content)
