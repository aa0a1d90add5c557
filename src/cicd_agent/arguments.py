"""The command line's parser, and nothing else: what ``cicd-agent MODE --help`` imports.

A workflow calls the CLI on every job, and ``--help`` is how people learn it; both should cost
little more than starting Python. So this module, :mod:`cicd_agent.flags` (the parser class,
option types, the option table and common options) and each mode's ``arguments`` module (its
options, declared as data) import only argparse and the error and severity types, never the
mode itself (its dataclasses, pydantic models, SDKs):
parsing one mode's arguments builds that mode's options alone, and the mode is imported after
the arguments are read (:func:`cicd_agent.cli.main`).
"""

from __future__ import annotations

import argparse

from cicd_agent import __version__
from cicd_agent.flags import Option, OptionGroup, Parser, add_options, declared, options_of
from cicd_agent.plugins import installed_modes, plugin

__all__ = ["Option", "build_parser", "declared_groups", "declared_options", "selected_mode"]
"""Option is re-exported: the tools that read the declared options go through this module
alone."""


def build_parser(selected: str | None) -> argparse.ArgumentParser:
    """The CLI parser: every mode's one-line summary, and the options of ``selected`` alone
    (from its ``arguments`` module; the mode itself is not imported)."""
    parser = Parser(
        prog="cicd-agent",
        description="A guard-railed, model-assisted reasoning step for CI/CD. "
        "Runs offline with --provider none.",
        epilog="Exit codes: 0 ran · 1 a fail-on threshold was met · 2 usage or configuration "
        "error · 3 an external service failed.",
    )
    parser.add_argument("--version", action="version", version=f"cicd-agent {__version__}")
    parser.known_flags = ("-h", "--help", "--version")
    subparsers = parser.add_subparsers(dest="mode", metavar="MODE", parser_class=Parser)
    for name, entry in installed_modes().items():
        sub = subparsers.add_parser(name, help=entry.summary, description=entry.summary)
        if name == selected:
            groups = declared_groups(name)
            add_options(sub, groups)
            parser.mode_prog = sub.prog
            parser.known_flags = ("-h", "--help", *(o.flag for o in options_of(groups)))
    return parser


def declared_options(mode: str) -> tuple[Option, ...]:
    """Every option ``mode`` takes, common ones first, as declared (for the settings schema and
    the documentation tables, which list them without parsing anything)."""
    return tuple(options_of(declared_groups(mode)))


def declared_groups(mode: str) -> tuple[OptionGroup, ...]:
    """``mode``'s option groups, the common ones first: what its parser and its run read."""
    arguments = plugin(mode).arguments()
    return declared(arguments.FAIL_ON_CHOICES, arguments.OPTIONS)


def selected_mode(argv: list[str]) -> str | None:
    """The mode named on the command line (the first word that is one)."""
    return next((arg for arg in argv if arg in installed_modes()), None)
