"""The canary judge's state: the evidence a rollout has gathered so far, carried from one call of
the canary phase to the next as one compact string (the ``canary_state`` output, taken back as
the ``canary-state`` input).

The string comes back through the workflow (an output, an artifact a pull request's run could
touch), so it is read as hostile: a fixed prefix, bounded length, an HMAC under the workflow's
key checked before anything else is read (so evidence, calls and windows are the judge's own,
never an editor's), base64 of JSON with exactly the expected keys and finite numbers, and a
digest of the configuration it was computed under, so evidence gathered for other metrics,
other thresholds or another risk level can never count towards this rollout. Anything else is
refused whole (:class:`CanaryStateError`, a usage error): a state is never
half-read. The key travels with the state object (a private attribute, never dumped), so every
state the judge hands on is sealed with the key its input was checked with.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from collections.abc import Iterable, Mapping

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError

from cicd_agent.actions.errors import UsageError
from cicd_agent.modes.deploy_gate.canary.counts import CountEvidence
from cicd_agent.modes.deploy_gate.canary.evidence import Evidence
from cicd_agent.modes.deploy_gate.canary.noise import LearntNoise

PREFIX = "cs2."
MAX_LENGTH = 16_384
MAX_CALLS = 10_000
FIX = (
    "pass the previous call's canary_state output unchanged, or leave canary-state empty to "
    "start a new rollout"
)


class CanaryStateError(UsageError):
    """A canary state that this configuration did not write; the message names the fix."""


class CanaryState(BaseModel):
    """Evidence so far: calls made, where the last judged window ended, and per metric check
    (``metric/baseline`` or ``metric/counts``, ``metric/previous``, ``metric/objective``) the
    pooled evidence."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, defer_build=True)

    digest: str = Field(pattern=r"^[0-9a-f]{16}$")
    calls: int = Field(ge=0, le=MAX_CALLS)
    until: float | None = Field(default=None, allow_inf_nan=False)
    checks: dict[str, Evidence | CountEvidence] = Field(default_factory=dict)
    noise: dict[str, LearntNoise] = Field(default_factory=dict)
    """Per metric, the noise learnt from the stable's history before the first call."""
    _key: bytes = PrivateAttr(default=b"")

    def keyed(self, key: bytes) -> CanaryState:
        """This state, sealed with ``key`` when encoded."""
        self._key = key
        return self

    def encode(self) -> str:
        payload = json.dumps(self.model_dump(), separators=(",", ":"), sort_keys=True)
        return seal(base64.urlsafe_b64encode(payload.encode()).decode().rstrip("="), self._key)


def seal(body: str, key: bytes) -> str:
    """The state string of ``body`` (base64 of the JSON): prefix, body, ``.``, its HMAC."""
    return f"{PREFIX}{body}.{_mac(body, key)}"


def _mac(body: str, key: bytes) -> str:
    return hmac.new(key, (PREFIX + body).encode(), hashlib.sha256).hexdigest()[:32]


def fresh_state(digest: str, key: bytes = b"") -> CanaryState:
    return CanaryState(digest=digest, calls=0).keyed(key)


def decode_state(
    text: str | None, digest: str, check_keys: Iterable[str], key: bytes = b""
) -> CanaryState:
    """The state in ``text`` (empty: a fresh rollout), sealed with ``key`` and validated against
    this configuration."""
    if text is None or not text.strip():
        return fresh_state(digest, key)
    raw = text.strip()
    if len(raw) > MAX_LENGTH or not raw.startswith(PREFIX):
        raise CanaryStateError(f"canary-state is not a state this action wrote: {FIX}.")
    body, dot, mac = raw[len(PREFIX) :].rpartition(".")
    if not dot or not hmac.compare_digest(mac.encode(), _mac(body, key).encode()):
        raise CanaryStateError(
            "canary-state was edited, or sealed for another release (canary-release) or under "
            f"another canary-state-secret (or Prometheus credentials): {FIX}."
        )
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
    keys = set(check_keys)
    unknown = sorted(set(state.checks) - keys)
    unknown += sorted(name for name in state.noise if f"{name}/counts" not in keys)
    if unknown:
        raise CanaryStateError(
            f"canary-state names checks this configuration has not got ({', '.join(unknown)}): "
            f"{FIX}."
        )
    return state.keyed(key)


def next_state(
    state: CanaryState,
    until: float | None,
    checks: Mapping[str, Evidence | CountEvidence],
    noise: Mapping[str, LearntNoise] | None = None,
) -> CanaryState:
    """The state after one more call that judged up to ``until`` with this pooled evidence (and
    the noise learnt before the first call, when given; else the state's)."""
    return CanaryState(
        digest=state.digest,
        calls=min(state.calls + 1, MAX_CALLS),
        until=until if until is not None else state.until,
        checks=dict(checks),
        noise=dict(state.noise if noise is None else noise),
    ).keyed(state._key)
