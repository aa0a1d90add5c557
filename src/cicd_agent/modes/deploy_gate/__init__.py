"""deploy-gate, deploy phase: score change risk, choose a rollout strategy, proceed or hold."""

from cicd_agent.plugins import ModePlugin

PLUGIN = ModePlugin(
    "deploy-gate",
    __name__,
    "score change risk, choose a rollout strategy, proceed or hold",
    "options:phase_options",
    order=4,
)

