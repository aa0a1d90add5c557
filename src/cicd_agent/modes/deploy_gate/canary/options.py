"""The canary phase's own options as one frozen, typed object: the only place that reads them.

The Prometheus URL is required and the metric specs are parsed here, once, before Prometheus is
called (``DeployGate.run`` builds it first, so a missing URL or a bad config is exit 2 there).
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from typing import TYPE_CHECKING

from cicd_agent.runner.errors import UsageError

if TYPE_CHECKING:
    from cicd_agent.modes.deploy_gate.canary.config import CanaryConfig


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

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> CanaryOptions:
        # Here, not at the top: deploy-gate's mode module imports this one, and the config
        # brings YAML and pydantic (0.76 s, `python -X importtime -c "import
        # cicd_agent.modes.deploy_gate.canary.config"`), which importing a mode must not.
        from cicd_agent.modes.deploy_gate.canary.config import load_canary_config

        if not args.prometheus_url:
            raise UsageError(
                "The canary phase needs a Prometheus URL.",
                hint="Set the input prometheus-url (or --prometheus-url).",
            )
        return cls(
            prometheus_url=args.prometheus_url,
            prometheus_token=args.prometheus_token,
            prometheus_username=args.prometheus_username,
            prometheus_password=args.prometheus_password,
            config=load_canary_config(args.canary_config),
            end=args.canary_end,
        )
