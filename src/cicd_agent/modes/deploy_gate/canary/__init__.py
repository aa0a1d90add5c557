"""deploy-gate, canary phase: compare canary and baseline metrics, promote or roll back."""
