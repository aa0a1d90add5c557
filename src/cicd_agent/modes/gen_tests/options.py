"""gen-tests' own options as one frozen, typed object: the only place that reads them.

The run's resolver (:mod:`cicd_agent.job.resolve`) has already checked each value's type; this
applies the defaults and checks what a type cannot (the test command splits into words, ``shard`` is
``i/n``, budgets and the timeout are not negative, ``test-dir`` stays inside the repository),
once, before any git or model work (``GenTests.run`` builds it first, so a bad value stops the
run there with exit 2).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from cicd_agent.actions.errors import UsageError

if TYPE_CHECKING:
    from cicd_agent.job.options import Given
    from cicd_agent.modes.gen_tests.segments import Shard

from cicd_agent.modes.gen_tests.arguments import (
    DEFAULT_COST_BUDGET,
    DEFAULT_TEST_COMMAND,
    DEFAULT_TEST_TIMEOUT,
    DEFAULT_TOKEN_BUDGET,
)
from cicd_agent.modes.gen_tests.suite import ProjectCommand


@dataclass(frozen=True)
class GenTestsOptions:
    """What ``cicd-agent gen-tests`` was asked to do."""

    base: str | None
    head: str | None
    command: ProjectCommand
    test_dir: str | None
    sources: tuple[str, ...] | None
    """``source``: paths to cover whole, instead of the change (None: the change)."""
    whole_files: bool
    push: bool
    shard: Shard | None
    test_timeout: float
    pr_test_runs: int
    """Runs of each test the change adds or changes (0: the hunt's own count, by its length)."""
    token_budget: int
    cost_budget: float
    secret_names: tuple[str, ...]
    patch_file: Path | None
    allow_unsandboxed: bool
    command_given: bool = False
    """Whether ``test-command`` was given (it runs the Python files' tests alone)."""

    @classmethod
    def from_given(cls, given: Given) -> GenTestsOptions:
        # Here, not at the top: mode.py imports this module, and coverage_gaps (which these
        # import) brings the sandbox layer, which importing the mode must not
        # (tests/project/test_mode_imports.py).
        from cicd_agent.modes.gen_tests.segments import Shard
        from cicd_agent.modes.gen_tests.targets import split_list

        source = given.text("source")
        shard = given.text("shard")
        return cls(
            base=given.text("base"),
            head=given.text("head"),
            command=ProjectCommand.parse(given.text("test_command") or DEFAULT_TEST_COMMAND),
            command_given=bool(given.text("test_command")),
            test_dir=_test_dir(given.text("test_dir")),
            sources=tuple(split_list([source])) if source else None,
            whole_files=given.flag("whole_files"),
            push=given.flag("push"),
            shard=Shard.parse(shard) if shard else None,
            # 0 (or an empty input) means the default, as it always has.
            test_timeout=_not_negative(given.number("test_timeout"), "test-timeout")
            or DEFAULT_TEST_TIMEOUT,
            pr_test_runs=int(_not_negative(given.whole("pr_test_runs"), "pr-test-runs")),
            token_budget=int(_not_negative(given.whole("token_budget"), "token-budget"))
            or DEFAULT_TOKEN_BUDGET,
            cost_budget=_not_negative(given.number("cost_budget"), "cost-budget")
            or DEFAULT_COST_BUDGET,
            secret_names=tuple(split_list([given.text("secret_env") or ""])),
            patch_file=given.path("patch_file"),
            allow_unsandboxed=given.flag("allow_unsandboxed"),
        )


def _not_negative(value: float | None, option: str) -> float:
    """``value`` when it is a finite number of 0 or more (0: the default); NaN and infinity
    are refused, as every comparison with NaN is false and would switch the limit off."""
    if value is None:
        return 0
    if not 0 <= value < math.inf:
        raise UsageError(f"{option} must be a finite number of 0 or more, got {value:g}.")
    return value


def _test_dir(value: str | None) -> str | None:
    """``test-dir`` as a folder inside the repository (tests are never written elsewhere)."""
    if not value or not value.strip("/"):
        return None
    # Here: checkout_files brings pathlib, which `gen-tests --help` must not load
    # (tests/project/test_mode_imports.py, NOT_FOR_HELP).
    from cicd_agent.local.checkout_files import CheckoutFileError, checked_path

    try:
        return checked_path(value.strip("/")).as_posix()
    except CheckoutFileError as exc:
        raise UsageError(
            f"test-dir {exc.path!r} {exc.detail}.",
            hint="Give a folder relative to the repository root, e.g. `test-dir: tests`.",
        ) from None
