"""``python -m cicd_agent`` runs the CLI."""

from cicd_agent.cli import console

raise SystemExit(console())
