"""Secret shapes and the run's own secret values: rules, matching and the helpers
:mod:`cicd_agent.analysis.redact` builds on."""
