"""The canary phase's own options as one frozen, typed object: the only place that reads them.

The Prometheus URL is required and the metric specs are parsed here, once, before Prometheus is
called (``DeployGate.run`` builds it first, so a missing URL or a bad config is exit 2 there).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from cicd_agent.runner.errors import UsageError

if TYPE_CHECKING:
    from cicd_agent.job.options import Given
    from cicd_agent.modes.deploy_gate.canary.config import CanaryConfig
    from cicd_agent.modes.deploy_gate.canary.state import CanaryState


def state_key(secret: str, release: str = "") -> bytes:
    """The key the canary state is sealed with, from the workflow's secret (``canary-state-secret``,
    else the Prometheus token or password) and the release being rolled out: a pull request's
    run has none of the secrets, so it can neither forge nor edit a state the deploying workflow
    will read, and a state sealed for an earlier release does not open for this one."""
    import hashlib

    material = b"\0".join((b"cicd-agent canary-state", secret.encode(), release.encode()))
    return hashlib.sha256(material).digest()


@dataclass(frozen=True)
class CanaryOptions:
    """What ``cicd-agent deploy-gate --phase canary`` was asked to do."""

    prometheus_url: str
    prometheus_token: str | None
    prometheus_username: str | None
    prometheus_password: str | None
    config: CanaryConfig
    end: float | None
    """The Unix time the judged window ends at; None: now."""
    state: CanaryState
    """The rollout's evidence so far, bound to ``config``."""
    risk_level: str | None = None
    """The deploy phase's level that set ``config``'s strictness, for the decision record."""
    environment: str | None = None
    audit_database_url: str | None = None
    """Where the verdict is also recorded (:mod:`cicd_agent.job.decisions`); a secret."""
    state_secret: str | None = None
    """``canary-state-secret`` as given: masked in the log like the Prometheus secrets."""

    @classmethod
    def from_given(cls, given: Given) -> CanaryOptions:
        # Here, not at the top: deploy-gate's mode module imports this one, and the config
        # brings YAML and pydantic, which importing a mode must not
        # (tests/project/test_mode_imports.py).
        import time

        from cicd_agent.modes.deploy_gate.canary.config import load_canary_config
        from cicd_agent.modes.deploy_gate.canary.metric import check_keys
        from cicd_agent.modes.deploy_gate.canary.risk import RISK_LEVELS, apply_risk, config_digest
        from cicd_agent.modes.deploy_gate.canary.state import CanaryStateError, decode_state

        text = given.text
        prometheus_url = text("prometheus_url")
        token, password = text("prometheus_token"), text("prometheus_password")
        if not prometheus_url:
            raise UsageError(
                "The canary phase needs a Prometheus URL.",
                hint="Set the input prometheus-url (or --prometheus-url).",
            )
        risk_level = next((level for level in RISK_LEVELS if level == text("risk_level")), None)
        config = apply_risk(load_canary_config(text("canary_config")), risk_level)
        state_given = text("canary_state")
        secret = text("canary_state_secret") or token or password
        if state_given and state_given.strip() and not secret:
            raise UsageError(
                "canary-state can only be trusted under a key, and this step has none.",
                hint="Set canary-state-secret (a long random secret), or give "
                "Prometheus credentials; or leave canary-state empty to start a new rollout.",
            )
        try:
            state = decode_state(
                state_given,
                config_digest(config),
                check_keys(config.metrics),
                state_key(secret or "", text("canary_release") or ""),
            )
        except CanaryStateError as error:
            raise UsageError(str(error)) from None
        end = given.number("canary_end")
        if state.until is not None and state.until >= (time.time() if end is None else end):
            raise UsageError(
                "canary-state already holds evidence up to the window this call would judge; "
                "judge a later window (canary-end) or start a new rollout (empty canary-state)."
            )
        return cls(
            prometheus_url=prometheus_url,
            prometheus_token=token,
            prometheus_username=text("prometheus_username"),
            prometheus_password=password,
            config=config,
            end=end,
            state=state,
            risk_level=risk_level,
            environment=text("environment") or None,
            audit_database_url=text("audit_database_url") or None,
            state_secret=text("canary_state_secret"),
        )
