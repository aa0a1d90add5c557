"""gen-tests' own options as one frozen, typed object: the only place that reads them.

argparse (with the action inputs filled in) has already checked each value's type; this applies
the defaults and checks what a type cannot (the test command splits into words, ``shard`` is
``i/n``, budgets and the timeout are not negative, ``test-dir`` stays inside the repository),
once, before any git or model work (``GenTests.run`` builds it first, so a bad value stops the
run there with exit 2).
"""

from __future__ import annotations

import argparse
import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from cicd_agent.runner.errors import UsageError

if TYPE_CHECKING:
    from cicd_agent.modes.gen_tests.gate import ProjectCommand
    from cicd_agent.modes.gen_tests.shard import Shard

from cicd_agent.modes.gen_tests.arguments import (
    DEFAULT_COST_BUDGET,
    DEFAULT_TEST_COMMAND,
    DEFAULT_TEST_TIMEOUT,
    DEFAULT_TOKEN_BUDGET,
)


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
    token_budget: int
    cost_budget: float
    secret_names: tuple[str, ...]
    patch_file: Path | None
    allow_unsandboxed: bool

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> GenTestsOptions:
        # Here, not at the top: mode.py imports this module, and gate alone (with the sandbox
        # layer) took importing the mode from ~24 ms to ~70 ms (python -X importtime).
        from cicd_agent.modes.gen_tests.gate import ProjectCommand
        from cicd_agent.modes.gen_tests.shard import Shard
        from cicd_agent.modes.gen_tests.targets import split_list

        return cls(
            base=args.base,
            head=args.head,
            command=ProjectCommand.parse(args.test_command or DEFAULT_TEST_COMMAND),
            test_dir=_test_dir(args.test_dir),
            sources=tuple(split_list([args.source])) if args.source else None,
            whole_files=bool(args.whole_files),
            push=bool(args.push),
            shard=Shard.parse(args.shard) if args.shard else None,
            # 0 (or an empty input) means the default, as it always has.
            test_timeout=_not_negative(args.test_timeout, "test-timeout") or DEFAULT_TEST_TIMEOUT,
            token_budget=int(_not_negative(args.token_budget, "token-budget"))
            or DEFAULT_TOKEN_BUDGET,
            cost_budget=_not_negative(args.cost_budget, "cost-budget") or DEFAULT_COST_BUDGET,
            secret_names=tuple(split_list([args.secret_env or ""])),
            patch_file=Path(args.patch_file) if args.patch_file else None,
            allow_unsandboxed=bool(args.allow_unsandboxed),
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
