"""Lent to deploy-gate, and may change with it: the command line run in this process, for a
front end that serves a mode some other way (deploy-gate's canary server answers HTTP with what
``cicd-agent deploy-gate --phase canary --json`` prints). Loaded only by a front end that
imports it: it brings the whole CLI."""

from __future__ import annotations

from cicd_agent.actions.inputs import input_value
from cicd_agent.cli import main as run_command_line

__all__ = ["input_value", "run_command_line"]
