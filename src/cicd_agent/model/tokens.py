"""Token counting and the prompt budget.

tiktoken downloads its encodings on first use, and behind a firewall that drops packets it would
wait forever. So the files load in a daemon thread with a bound, and without them the counter
falls back to an estimate that over-counts (checked against both encodings on code, diffs, logs,
hex, base64, CJK and emoji): a prompt that fits by the estimate fits for real."""

from __future__ import annotations

import math
import os
import re
import threading
import time
from typing import TYPE_CHECKING, NamedTuple

from cicd_agent.actions.errors import UsageError
from cicd_agent.model.names import encoding_name, lookup, published

if TYPE_CHECKING:
    from tiktoken import Encoding

DEFAULT_LOAD_TIMEOUT = 10.0
"""Seconds to wait for tiktoken's files: long enough for a download, so only a stalled one
ends the wait (a local cache never comes near it)."""

UNKNOWN_CONTEXT = 8_192
"""Context assumed for a model the table does not know, unless ``context-tokens`` says otherwise."""

FRAMING_MARGIN = 256
"""Tokens kept free for the chat format's own framing around the messages."""


class ModelLimits(NamedTuple):
    """Published limits of a model, in tokens. ``max_input`` is set where it is below
    ``context - max_output`` (the gpt-5 family accepts at most 272k input tokens)."""

    context: int
    max_output: int
    max_input: int | None = None


MODEL_LIMITS: dict[str, ModelLimits] = {
    name: ModelLimits(entry["context"], entry["max_output"], entry.get("max_input"))
    for name, entry in published().items()
}
"""Published context windows (OpenAI model pages, 2026). Prefix lookup covers dated snapshots."""


def model_limits(model: str) -> ModelLimits | None:
    return lookup(MODEL_LIMITS, model)


def prompt_budget(model: str, context_override: int | None, reserved_output: int) -> int:
    """Tokens a prompt (system + user + schema) may use for ``model``: the context
    (``context_override``, else the table's, else ``UNKNOWN_CONTEXT``) less the answer's reserve
    and a framing margin."""
    limits = model_limits(model)
    context = context_override or (limits.context if limits else UNKNOWN_CONTEXT)
    budget = context - reserved_output - FRAMING_MARGIN
    if limits and limits.max_input and not context_override:
        budget = min(budget, limits.max_input - FRAMING_MARGIN)
    if budget <= 0:
        raise UsageError(
            f"a context of {context} tokens leaves no room for a prompt after reserving "
            f"{reserved_output} tokens for the answer of {model}.",
            hint=(
                "Set context-tokens (--context-tokens) to the context window the model server "
                "gives the model (Ollama: its num_ctx; vLLM: --max-model-len)."
            ),
        )
    return budget


def context_note(model: str, context_override: int | None) -> str | None:
    """One line for the log when the budget rests on a guess, else None."""
    if context_override or model_limits(model):
        return None
    return (
        f"the context window of {model} is unknown; assuming {UNKNOWN_CONTEXT:,} tokens "
        "(set context-tokens to use more)"
    )


# ---------------------------------------------------------------- the fallback estimate

_PIECE = re.compile(r"[A-Za-z]+|[0-9]+|[ ]+|\s+|[^\sA-Za-z0-9]+")


def _piece_cost(piece: str) -> int:
    """An upper estimate of the tokens in one run of similar characters."""
    first, size = piece[0], len(piece)
    if first.isascii() and first.isalpha():
        wordlike = size <= 16 and (piece.islower() or piece.isupper() or piece[1:].islower())
        return math.ceil(size / 4) if wordlike else math.ceil(size / 1.25)
    if first.isdigit():
        return math.ceil(size / 2)
    if first == " ":
        return 1
    if piece.isascii():
        return math.ceil(size / 2)
    return len(piece.encode())


def estimate_tokens(text: str) -> int:
    """The fallback count: never below tiktoken's on the text kinds checked (see module doc)."""
    return sum(_piece_cost(match.group()) for match in _PIECE.finditer(text))


def _estimated_head(text: str, max_tokens: int) -> str:
    """The longest prefix of ``text`` whose estimate stays within ``max_tokens``."""
    used = 0
    for match in _PIECE.finditer(text):
        cost = _piece_cost(match.group())
        if used + cost > max_tokens:
            piece = match.group()[: max_tokens - used]
            while piece and used + _piece_cost(piece) > max_tokens:
                piece = piece[:-1]
            return text[: match.start()] + piece
        used += cost
    return text


# ---------------------------------------------------------------- loading tiktoken


def estimated_counts_note(encodings: list[str]) -> str:
    """The sentence a job summary carries when token counts are estimates, not tiktoken's."""
    return (
        f"Token counts are estimates: tiktoken's {', '.join(encodings)} files could not be "
        "loaded (no cache and no download), so prompts were packed against an over-count."
    )


_loaded: dict[tuple[str, str | None], Encoding | None] = {}
_load_lock = threading.Lock()


def _load_encoding(name: str, timeout: float) -> Encoding | None:
    """tiktoken's encoding ``name``, or None when not had within ``timeout``; remembered per
    encoding and folder, so a runner without network waits once per process."""
    # Here: the bounded call's module brings the HTTP client, which a count never needs.
    from cicd_agent.model.http import Abandoned, run_until

    def load() -> Encoding:
        import tiktoken

        return tiktoken.get_encoding(name)

    key = (name, os.environ.get("TIKTOKEN_CACHE_DIR"))
    with _load_lock:
        if key not in _loaded:
            try:
                _loaded[key] = run_until(time.monotonic() + timeout, load)
            except (Abandoned, OSError, ValueError):
                # OSError covers requests' connection and HTTP errors, ValueError a hash
                # mismatch: either way the files are not usable and the estimate takes over.
                _loaded[key] = None
        return _loaded[key]


class TokenCounter:
    """Counts and trims text in one model's tokens; exact with tiktoken, else over-estimated."""

    def __init__(self, encoding: str, *, load_timeout: float = DEFAULT_LOAD_TIMEOUT) -> None:
        self.encoding_name = encoding
        self._encoding = _load_encoding(encoding, load_timeout)

    @classmethod
    def for_model(cls, model: str, *, load_timeout: float = DEFAULT_LOAD_TIMEOUT) -> TokenCounter:
        """A counter with ``model``'s encoding (o200k_base or cl100k_base)."""
        return cls(encoding_name(model), load_timeout=load_timeout)

    @property
    def exact(self) -> bool:
        """True when counts come from tiktoken, False when they are the fallback estimate."""
        return self._encoding is not None

    def count(self, text: str) -> int:
        """Tokens in ``text``. Special-token strings in untrusted text count as plain text."""
        if self._encoding is None:
            return estimate_tokens(text)
        return len(self._encoding.encode(text, disallowed_special=()))

    def truncate(self, text: str, max_tokens: int) -> str:
        """``text`` cut to at most ``max_tokens``, keeping the head and a note of the tokens cut
        (the head alone when the note does not fit)."""
        total = self.count(text)
        if total <= max_tokens:
            return text
        if max_tokens <= 0:
            return ""
        note = f"\n[… truncated: {total} tokens in all, the rest is not shown]"
        room = max_tokens - self.count(note)
        if room <= 0:
            return self._head(text, max_tokens)
        return self._head(text, room) + note

    def _head(self, text: str, max_tokens: int) -> str:
        """The longest prefix found within ``max_tokens``, cut on a character boundary."""
        if self._encoding is None:
            return _estimated_head(text, max_tokens)
        tokens = self._encoding.encode(text, disallowed_special=())
        keep = max_tokens
        while True:
            head = self._encoding.decode_bytes(tokens[:keep]).decode("utf-8", errors="ignore")
            over = self.count(head) - max_tokens
            if over <= 0:
                return head
            keep -= over
