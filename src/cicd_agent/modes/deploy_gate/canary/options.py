"""The canary phase's own options as one frozen, typed object: the only place that reads them.

A metric source is required (the Prometheus URL, or a ``source`` in the canary configuration)
and the metric specs are parsed here, once, before the store is called (``DeployGate.run``
builds it first, so a missing source or a bad config is exit 2 there), made as strict as the
change's risk asks (:func:`apply_risk`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from cicd_agent.actions.errors import UsageError

if TYPE_CHECKING:
    from cicd_agent.job.options import Given
    from cicd_agent.modes.deploy_gate.canary.config import CanaryConfig
    from cicd_agent.modes.deploy_gate.canary.state import CanaryState


RiskLevel = Literal["low", "medium", "high", "critical"]


RISK_TABLE: dict[RiskLevel, tuple[float, float, int]] = {
    # confidence, factor on every metric's allowed change, windows to promote
    "low": (0.95, 1.5, 1),
    "medium": (0.98, 1.0, 2),
    "high": (0.99, 0.75, 3),
    "critical": (0.995, 0.5, 4),
}


def apply_risk(config: CanaryConfig, level: RiskLevel | None) -> CanaryConfig:
    """``config`` made as strict as the change's risk asks: the deploy phase's ``risk_level``
    output, given back as ``risk-level``, picks a row of :data:`RISK_TABLE` (None: unchanged,
    the configuration's own defaults being the medium row).

    A riskier change gets a canary slower to promote and quicker to call a regression: a higher
    confidence before its evidence counts, a smaller allowed change (every metric's
    ``allowed_change`` scaled), more windows of passing evidence before a promote. (Its first
    share of traffic is the deploy phase's ``canary_percentage``, from the same level.) A
    threshold the configuration sets explicitly stands."""
    if level is None:
        return config
    confidence, factor, windows = RISK_TABLE[level]
    row = {"confidence": confidence, "windows_to_promote": windows}
    explicit = config.thresholds.model_fields_set
    thresholds = config.thresholds.model_copy(
        update={key: value for key, value in row.items() if key not in explicit}
    )
    metrics = tuple(
        spec.model_copy(
            update={
                "allowed_change": spec.allowed_change * factor,
                "unacceptable_change": spec.unacceptable_change * factor,
            }
        )
        for spec in config.metrics
    )
    return config.model_copy(update={"thresholds": thresholds, "metrics": metrics})


def config_digest(config: CanaryConfig) -> str:
    """A short digest of the effective configuration: the canary state is bound to it, so
    evidence gathered under other metrics, thresholds or risk never counts here."""
    import hashlib

    return hashlib.sha256(config.model_dump_json().encode()).hexdigest()[:16]


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

    prometheus_url: str | None
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
        from cicd_agent.modes.deploy_gate.canary.state import decode_state

        text = given.text
        prometheus_url = text("prometheus_url")
        token, password = text("prometheus_token"), text("prometheus_password")
        risk_level = next((level for level in RISK_TABLE if level == text("risk_level")), None)
        config = apply_risk(load_canary_config(text("canary_config")), risk_level)
        if not prometheus_url and config.source is None:
            raise UsageError(
                "The canary phase needs a metric source.",
                hint="Set the input prometheus-url (or --prometheus-url), or name a `source` "
                "in canary-config.",
            )
        state_given = text("canary_state")
        secret = text("canary_state_secret") or token or password
        if state_given and state_given.strip() and not secret:
            raise UsageError(
                "canary-state can only be trusted under a key, and this step has none.",
                hint="Set canary-state-secret (a long random secret), or give "
                "Prometheus credentials; or leave canary-state empty to start a new rollout.",
            )
        state = decode_state(
            state_given,
            config_digest(config),
            check_keys(config.metrics),
            state_key(secret or "", text("canary_release") or ""),
        )
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
