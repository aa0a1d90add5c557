"""The canary judge's state: the evidence a rollout has gathered so far, carried from one call of
the canary phase to the next as one compact string (the ``canary_state`` output, taken back as
the ``canary-state`` input).

The string comes back through the workflow, so it is read as hostile: a fixed prefix, bounded
length, base64 of JSON with exactly the expected keys and finite numbers, and a digest of the
configuration it was computed under, so evidence gathered for other metrics, other thresholds
or another risk level can never count towards this rollout. Anything else is refused whole
(:class:`CanaryStateError`, a usage error at the mode's edge): a state is never half-read.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterable, Mapping

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from cicd_agent.analysis.canary_evidence import Evidence

PREFIX = "cs1."
MAX_LENGTH = 16_384
MAX_CALLS = 10_000
FIX = (
    "pass the previous call's canary_state output unchanged, or leave canary-state empty to "
    "start a new rollout"
)


class CanaryStateError(ValueError):
    """A canary state that this configuration did not write; the message names the fix."""


class CanaryState(BaseModel):
    """Evidence so far: calls made, where the last judged window ended, and per metric check
    (``metric/baseline``, ``metric/previous``, ``metric/objective``) the pooled evidence."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    digest: str = Field(pattern=r"^[0-9a-f]{16}$")
    calls: int = Field(ge=0, le=MAX_CALLS)
    until: float | None = Field(default=None, allow_inf_nan=False)
    checks: dict[str, Evidence] = Field(default_factory=dict)

    def encode(self) -> str:
        payload = json.dumps(self.model_dump(), separators=(",", ":"), sort_keys=True)
        return PREFIX + base64.urlsafe_b64encode(payload.encode()).decode().rstrip("=")


def fresh_state(digest: str) -> CanaryState:
    return CanaryState(digest=digest, calls=0)


def decode_state(text: str | None, digest: str, check_keys: Iterable[str]) -> CanaryState:
    """The state in ``text`` (empty: a fresh rollout), validated against this configuration."""
    if text is None or not text.strip():
        return fresh_state(digest)
    raw = text.strip()
    if len(raw) > MAX_LENGTH or not raw.startswith(PREFIX):
        raise CanaryStateError(f"canary-state is not a state this action wrote: {FIX}.")
    body = raw[len(PREFIX) :]
    try:
        payload = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
        state = CanaryState.model_validate_json(payload.decode("utf-8"))
    except (binascii.Error, ValueError, UnicodeDecodeError, ValidationError):
        raise CanaryStateError(f"canary-state is damaged or not this action's: {FIX}.") from None
    if state.digest != digest:
        raise CanaryStateError(
            "canary-state was gathered under another canary configuration or risk level; "
            f"evidence does not carry across them: {FIX}."
        )
    unknown = sorted(set(state.checks) - set(check_keys))
    if unknown:
        raise CanaryStateError(
            f"canary-state names checks this configuration has not got ({', '.join(unknown)}): "
            f"{FIX}."
        )
    return state


def next_state(
    state: CanaryState, until: float | None, checks: Mapping[str, Evidence]
) -> CanaryState:
    """The state after one more call that judged up to ``until`` with this pooled evidence."""
    return CanaryState(
        digest=state.digest,
        calls=min(state.calls + 1, MAX_CALLS),
        until=until if until is not None else state.until,
        checks=dict(checks),
    )
