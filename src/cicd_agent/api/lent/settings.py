"""Lent to analyse-failure, command and test-step, and may change with them: the repository's
settings. Read at a commit, a run resolved from them and the common options (command, which
runs another mode); the quarantine at a commit (test-step); the settings file's path and a test
id checked before it is quarantined (analyse-failure)."""

from __future__ import annotations

from cicd_agent.analysis.governing import CONFIG_PATH
from cicd_agent.job.repo_config import RepoConfig, quarantine_at, valid_test_id
from cicd_agent.job.repo_config import load as load_repo_config
from cicd_agent.job.resolve import CommonOptions, resolve_run

__all__ = [
    "CONFIG_PATH",
    "CommonOptions",
    "RepoConfig",
    "load_repo_config",
    "quarantine_at",
    "resolve_run",
    "valid_test_id",
]
