"""deploy-gate, deploy phase: score change risk, choose a rollout strategy, proceed or hold."""
