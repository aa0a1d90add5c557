"""gen-tests' targets under the settings file's path rules (the rules themselves:
tests/unit/job/test_repo_config.py)."""

from __future__ import annotations

from cicd_agent.job.repo_config import PathRules
from cicd_agent.modes.gen_tests.targets import Targets


def test_gen_tests_targets_leave_out_ignored_files() -> None:
    targets = Targets({"pkg/a.py": None, "pkg/vendor/b.py": frozenset({1})}, "b", "h")

    kept = targets.only(PathRules(ignore=("pkg/vendor/**",)).selects)

    assert kept.paths == ["pkg/a.py"]
