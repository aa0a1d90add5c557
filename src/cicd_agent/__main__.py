"""``python -m cicd_agent`` runs the CLI."""

from cicd_agent.cli import main

raise SystemExit(main())
