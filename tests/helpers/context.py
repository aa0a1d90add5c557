"""A mode's run context as the CLI builds it, for tests that drive a mode's steps one by one
or call its ``run`` directly (the CLI itself: :func:`tests.helpers.cli.run_cli`)."""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping
from typing import Any

from cicd_agent.actions.runner_io import RunnerIO
from cicd_agent.job.context import RunContext
from cicd_agent.job.flags import declared_by
from cicd_agent.job.options import Given
from cicd_agent.job.resolve import parse_flags, resolve_run
from cicd_agent.plugins import build_parser, plugin


def run_context(
    mode: str,
    argv: list[str],
    environ: Mapping[str, str],
    build_options: Callable[[Given], Any],
) -> tuple[RunContext[Any], io.StringIO]:
    """``cicd-agent MODE ARGV``'s context in ``environ``, and the stream its workflow
    commands (``::add-mask::``, annotations) go to."""
    arguments = plugin(mode).arguments()  # through the registry, as the command line finds it
    groups = declared_by(arguments)
    flags = parse_flags(build_parser(mode), [mode, *argv], groups)
    run = resolve_run(mode, arguments, flags, environ)
    commands = io.StringIO()
    runner = RunnerIO(environ, commands=commands, human=io.StringIO())
    return RunContext.of(run, build_options, runner), commands
