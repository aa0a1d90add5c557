"""The test step's options as one frozen, typed object: the only place that reads them."""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from cicd_agent.actions.errors import UsageError

if TYPE_CHECKING:
    from cicd_agent.job.options import Given


SHELL_BUILTINS = frozenset(
    {
        "exit",
        "cd",
        "export",
        "source",
        ".",
        "set",
        "unset",
        "alias",
        "eval",
        "exec",
        "return",
        "shift",
        "trap",
        "ulimit",
        "umask",
        "read",
        "wait",
        "declare",
        "local",
        "readonly",
        "pushd",
        "popd",
        "shopt",
        "[[",
        "builtin",
        "typeset",
        "let",
    }
)
"""Words a shell runs itself, with no program of the name on a PATH (``test``, ``echo``,
``true`` and ``kill`` have one): the step runs its command with no shell, so ``exit 3`` would
fail with the shell's own ``not found``."""


@dataclass(frozen=True)
class TestStepOptions:
    """What ``cicd-agent test-step`` was asked to do."""

    __test__ = False  # not a pytest test class, whatever its name

    command: tuple[str, ...]
    retries: int = 2
    flaky: Literal["fail", "pass"] = "fail"
    issues: bool = False
    stable_runs: int = 10
    fix_flaky: Literal["suggest", "pr", "off"] = "off"
    quarantine_pr: bool = False

    @classmethod
    def from_given(cls, given: Given) -> TestStepOptions:
        command = given.value("command")
        if not isinstance(command, list) or not command:
            raise UsageError(
                "test-step needs the test command.",
                hint="Give it after `--` (`cicd-agent test-step -- pytest -q`) or as the "
                "action's `command` input.",
            )
        if command[0] in SHELL_BUILTINS:
            words = " ".join(str(word) for word in command)
            raise UsageError(
                f"`{command[0]}` is a shell builtin, not a program, and no shell runs the test "
                "command, so it cannot run.",
                hint=f"Give it to a shell: `bash -c {shlex.quote(words)}`.",
            )
        retries, runs = given.value("retries"), given.value("stable_runs")
        fixing = given.value("fix_flaky")
        return cls(
            command=tuple(str(word) for word in command),
            retries=retries if isinstance(retries, int) else 2,
            flaky="pass" if given.value("flaky") == "pass" else "fail",
            issues=given.value("issues") is True,
            stable_runs=runs if isinstance(runs, int) else 10,
            fix_flaky="suggest" if fixing == "suggest" else "pr" if fixing == "pr" else "off",
            quarantine_pr=given.value("quarantine_pr") is True,
        )
