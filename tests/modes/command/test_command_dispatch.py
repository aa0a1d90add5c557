"""The modes a command runs are the registry's own, read without going through the registry."""

from __future__ import annotations

from cicd_agent.modes import MODES
from cicd_agent.modes.command.dispatch import RUNNABLE, RUNS_A_MODE, mode_parser


def test_every_mode_a_command_runs_is_the_registrys_mode_with_its_options() -> None:
    assert set(RUNS_A_MODE.values()) <= set(RUNNABLE)
    for name, (mode, arguments, options) in RUNNABLE.items():
        assert mode is MODES[name].load()
        assert arguments is MODES[name].arguments()
        assert options == MODES[name].options()
        assert mode.name == name


def test_a_commands_mode_parses_its_own_options_and_the_common_ones() -> None:
    args = mode_parser("review").parse_args(["--provider", "none", "--fail-on", "high"])
    assert (args.provider, args.fail_on) == ("none", "high")
