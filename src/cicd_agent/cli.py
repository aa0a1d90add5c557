"""``cicd-agent MODE [options]``: the console script, and its one exit path for every failure.

Workflows call it on every job: ``--version`` must not pay for argparse, pydantic or the SDKs, and
``--help`` pays for argparse and the chosen mode's options alone, so this module imports ``os`` and
``sys`` alone at its top.

The error policy (README, "Exit codes"): a :class:`CicdError` becomes its exit code with one
plain sentence and a fix; anything else is a bug, exit 3 with a pointer to ``--debug``. Either
way the knowable outputs and the job summary are written first. No traceback unless ``--debug``
or ``RUNNER_DEBUG=1``."""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False  # not typing's: --version and --help must not import it
if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from typing import TextIO

    from cicd_agent.actions.errors import CicdError, ExitCode
    from cicd_agent.actions.runner_io import RunnerIO
    from cicd_agent.job.context import RunContext
    from cicd_agent.job.pipeline import Mode
    from cicd_agent.plugins import PluginError

HELP = frozenset({"-h", "--help"})

SLOW_START = 3.0
"""Seconds of loading before the mode starts after which a progress line says so."""


def main(
    argv: Sequence[str] | None = None,
    environ: Mapping[str, str] | None = None,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
) -> int:
    """The console script (``argv`` None: the process's own arguments), or one command line run
    in this process; returns the exit code."""
    own_process = argv is None
    if argv is None:
        answered = _answered_at_once(sys.argv[1:])
        if answered is not None:
            return answered
        sys.stdout = _ReaderMayLeave(sys.stdout)
    environ = os.environ if environ is None else environ
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv and _early_input(environ, "mode"):
        argv = [str(_early_input(environ, "mode"))]
    return _run(argv, environ, stdout or sys.stdout, stderr or sys.stderr, own_process=own_process)


def _run(
    argv: list[str],
    environ: Mapping[str, str],
    stdout: TextIO,
    stderr: TextIO,
    *,
    own_process: bool = False,
) -> int:
    """Parse ``argv``, run its mode, and report any failure through :func:`_fail`;
    ``own_process``: the console script's run, which ends with the process."""
    # The run's machinery, imported once neither --version nor --help answered.
    import json

    from cicd_agent.actions.deadline import run_deadline
    from cicd_agent.actions.errors import CicdError, ExitCode
    from cicd_agent.actions.inputs import inputs_json
    from cicd_agent.actions.progress import Progress
    from cicd_agent.job.resolve import parse_flags, refuse_moved_inputs, resolve_run
    from cicd_agent.plugins import (
        PluginError,
        build_parser,
        declared_groups,
        declared_options,
        plugin,
        plugin_sections,
        selected_mode,
    )

    mode_name = selected_mode(argv)
    wants_json = _asks_json(argv, environ, mode_name)
    runner = _runner(environ, stdout, stderr, as_json=wants_json)
    ctx: RunContext[object] | None = None
    mode: Mode | None = None
    try:
        inputs_json(environ)  # malformed: its usage error, now that one exit path reports it
        parser = build_parser(mode_name)
        try:
            if mode_name is None:
                parser.parse_args(argv)
                parser.print_help(stdout)
                return ExitCode.USAGE if argv else ExitCode.OK
            entry = plugin(mode_name)
            declarations = entry.arguments()
            flags = parse_flags(parser, argv, declared_groups(mode_name))
        except SystemExit as exit_request:  # --help and --version end the run successfully
            return int(exit_request.code or 0)
        progress = Progress.for_run(stderr, mode_name, environ)
        with progress.if_slow(SLOW_START, "loading the mode, its settings and the event"):
            # The mode's steps and the run's context are imported once its flags parse:
            # ``--help`` never pays for them.
            from cicd_agent.job.context import RunContext

            mode = entry.load()
            refuse_moved_inputs(
                mode_name, tuple(declared_options(mode_name)), environ, action_inputs
            )
            run = resolve_run(
                mode_name, declarations, flags, environ, plugin_sections=plugin_sections()
            )
            if run.common.json != wants_json:  # the resolved option decides, as for every other
                wants_json = run.common.json
                runner = _runner(environ, stdout, stderr, as_json=wants_json)
            ctx = RunContext.of(run, entry.options(), runner)
        ctx.progress = progress
        _loaded_for_good(own_process)
        with run_deadline(run.common.deadline_minutes), ctx.resources:
            result, code = mode.run(ctx)
        if run.common.json:
            stdout.write(json.dumps(result.to_json(), sort_keys=True) + "\n")
        return int(code)
    except (CicdError, PluginError) as exc:
        error, code = _expected(exc)
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # noqa: BLE001 - the one catch-all: a bug still writes outputs and a summary
        if (ctx is not None and ctx.options.debug) or environ.get("RUNNER_DEBUG") == "1":
            import traceback  # only on a bug with --debug

            traceback.print_exc(file=stderr)
        error = CicdError(
            f"internal error ({type(exc).__name__}: {exc})",
            hint=f"This is a bug in {_whose(mode_name)}; re-run with --debug (or RUNNER_DEBUG=1) "
            "and report it.",
        )
        code = ExitCode.EXTERNAL
    return _fail(
        runner,
        ctx,
        mode,
        mode_name,
        error,
        code=code,
        stdout=stdout,
        stderr=stderr,
        wants_json=wants_json,
        environ=environ,
    )


def _whose(mode_name: str | None) -> str:
    """Whose bug an unexpected error is: cicd-agent's, or the distribution's that registers a
    mode of its own (its options builder or its run raised)."""
    from cicd_agent.plugins import installed_modes

    entry = installed_modes().get(mode_name or "")
    if entry is None or entry.own:
        return "cicd-agent"
    return f"the mode {mode_name!r} (package {entry.package}, not part of cicd-agent)"


def _loaded_for_good(own_process: bool) -> None:
    """What the console script has loaded when its mode starts lives as long as the process, so
    it is frozen out of the collector's full passes (a 5,000-file review spent 0.07-0.09 CPU-s
    less). A run inside another program freezes nothing."""
    if own_process:
        import gc

        gc.freeze()


def console() -> int:
    """:func:`main` in an interpreter closed to the job's Python environment (``-I``), where a
    checkout's folder on ``PYTHONPATH`` cannot shadow a module or register a mode; any other
    start is made again so. The job's variables are kept for the commands the run starts."""
    if sys.flags.isolated:
        return main()
    from cicd_agent.local.processes import restart_isolated

    sys.stdout.flush()
    restart_isolated(sys.argv[1:])


def _answered_at_once(argv: list[str]) -> int | None:
    """The console script's answer to ``--version`` and ``--help`` (its exit code), before the
    run's machinery is imported; None for any other command line."""
    if argv == ["--version"]:
        from cicd_agent import __version__

        sys.stdout.write(f"cicd-agent {__version__}\n")
        return 0
    if HELP.intersection(argv):
        from cicd_agent.actions.errors import UsageError
        from cicd_agent.plugins import build_parser, selected_mode

        try:
            build_parser(selected_mode(argv)).parse_args(argv)
        except SystemExit as done:  # the help was printed
            return int(done.code or 0)
        except UsageError:
            pass  # a bad option before --help: the full path reports it, outputs and all
    return None


class _ReaderMayLeave:
    """Standard output whose reader may stop reading (``cicd-agent review | head``): what is
    left is dropped, the run goes on and exits as it would have (no internal error, no
    Python complaint at exit), since its outputs and summary are written elsewhere."""

    def __init__(self, stream: object) -> None:
        self._stream = stream
        self._gone = False

    def write(self, text: str) -> int:
        if not self._gone:
            try:
                return int(self._stream.write(text))  # type: ignore[attr-defined]
            except BrokenPipeError:
                self._left()
        return len(text)

    def flush(self) -> None:
        if not self._gone:
            try:
                self._stream.flush()  # type: ignore[attr-defined]
            except BrokenPipeError:
                self._left()

    def _left(self) -> None:
        self._gone = True
        # The interpreter flushes standard output once more at exit: into nothing now.
        os.dup2(os.open(os.devnull, os.O_WRONLY), self._stream.fileno())  # type: ignore[attr-defined]

    def __getattr__(self, name: str) -> object:
        return getattr(self._stream, name)


def _expected(exc: CicdError | PluginError) -> tuple[CicdError, ExitCode]:
    """An expected failure and its exit code; a mode installed but not loadable is a usage
    error naming the fix."""
    from cicd_agent.actions.errors import UsageError
    from cicd_agent.plugins import PluginError

    if isinstance(exc, PluginError):
        exc = UsageError(str(exc), hint="Fix or uninstall the distribution that registers it.")
    return exc, exc.exit_code


def _asks_json(argv: Sequence[str], environ: Mapping[str, str], mode: str | None) -> bool:
    """Whether the run asks for ``--json``, known before its options parse so a failure on the
    way still prints its one document: the flag, a prefix argparse takes (``--js``), or a true
    input (``yes``)."""
    from cicd_agent.job.options import TRUE_WORDS
    from cicd_agent.plugins import PluginError, declared_options

    try:
        flags = [o.flag for o in declared_options(mode)] if mode else ["--json"]
    except PluginError:  # a mode that does not load: main's one exit path says so
        flags = ["--json"]
    for word in argv:
        typed = word.split("=", 1)[0]
        if len(typed) > 2 and [flag for flag in flags if flag.startswith(typed)] == ["--json"]:
            return True
    return (_early_input(environ, "json") or "").lower() in TRUE_WORDS


def _early_input(environ: Mapping[str, str], name: str) -> str | None:
    """An input read before the run's error path is in place: a malformed ``CICD_AGENT_INPUTS``
    counts as none here, and :func:`main` reports it (exit 2)."""
    from cicd_agent.actions.errors import UsageError
    from cicd_agent.actions.inputs import input_value

    try:
        return input_value(environ, name)
    except UsageError:
        return None


def _runner(
    environ: Mapping[str, str], stdout: TextIO, stderr: TextIO, *, as_json: bool
) -> RunnerIO:
    """The run's runner I/O: with ``--json`` stdout holds the one document, so the runner's
    commands and the human lines go to stderr."""
    from cicd_agent.actions.runner_io import RunnerIO

    stream = stderr if as_json else stdout
    return RunnerIO(environ, commands=stream, human=stream)


def _fail(
    runner: RunnerIO,
    ctx: RunContext[object] | None,
    mode: Mode | None,
    mode_name: str | None,
    error: CicdError,
    *,
    code: int,
    stdout: TextIO,
    stderr: TextIO,
    wants_json: bool,
    environ: Mapping[str, str],
) -> int:
    """The one exit path for failures: outputs that can be known, an annotation, a summary (off a
    runner, one line). The run's redactor is registered again: the run's context is closed by
    now, and the notes and hint are shown too."""
    import json
    from contextlib import suppress
    from typing import Any

    from cicd_agent.actions.withheld import redacted, withheld
    from cicd_agent.job.context import failure_redactor, failure_usage
    from cicd_agent.plugins import PluginError, installed_modes, plugin

    redactor = failure_redactor(ctx, environ)
    with withheld(redactor.redact, redactor.known):
        # Imported here: pydantic comes with them, and a usage error never needs it.
        from cicd_agent.job.pipeline import json_cost, render_output, without_empty

        message, hint = redacted(str(error.message)), redacted(error.hint)
        if ctx is not None:
            ctx.progress.end(finished=False)  # the error is not part of the last stage's group
        outputs: dict[str, str] = {}
        if mode is None and mode_name is not None and mode_name in installed_modes():
            # failed before it loaded (a bad flag), or it lacks a part: this error says which
            with suppress(PluginError):
                mode = plugin(mode_name).load()
        if mode is not None:
            outputs.update(mode.fail_closed_outputs)
        if mode is not None and ctx is not None:
            outputs.update(mode.failure_outputs(ctx))
        usage = failure_usage(ctx)
        outputs["tokens_used"] = render_output(usage.tokens_used)
        outputs["cost_usd"] = f"{usage.cost_usd:.6f}"
        outputs["error"] = f"{message} {hint}".strip()
        title = f"cicd-agent {mode_name or ''}".strip()
        if runner.in_runner:
            _report_in_runner(
                runner, ctx, title=title, message=message, hint=hint, outputs=outputs, code=code
            )
        else:
            stderr.write(f"{title}: error: {outputs['error']}\n")
        if wants_json:
            document: dict[str, Any] = {
                "mode": mode_name,
                "error": outputs["error"],  # the step output's value: the message and its fix
                "hint": hint,
                "exit_code": code,
                "tokens_used": usage.tokens_used,
                "cost_usd": json_cost(usage.cost_usd),
            }
            document.update({k: _number(v) for k, v in outputs.items() if k not in document})
            stdout.write(json.dumps(without_empty(document), sort_keys=True) + "\n")
        return code


def _report_in_runner(
    runner: RunnerIO,
    ctx: RunContext[object] | None,
    *,
    title: str,
    message: str,
    hint: str,
    outputs: dict[str, str],
    code: int,
) -> None:
    """A failure as the runner shows it: one ``::error::``, the outputs, the job summary."""
    from cicd_agent.actions.runner_io import Annotation, RunnerFileError

    runner.annotate(Annotation("error", f"{message} {hint}".strip(), title=title))
    try:
        runner.set_outputs(outputs)
    except RunnerFileError as exc:  # a second problem of its own: say it too, keep going
        runner.annotate(Annotation("error", str(exc), title=title))
    lines = [f"### {title}", "", f"{title} could not finish: {message}", ""]
    if hint:
        lines += [f"**How to fix:** {hint}", ""]
    if ctx is not None and ctx.notes:
        lines += ["**Notes**", ""] + [f"- {note}" for note in ctx.notes] + [""]
    lines.append(f"Exit code {code}.")
    try:
        from cicd_agent.actions.markdown import posted  # cmark-gfm: only when a run fails

        # No links kept: the repository may come from the event that just failed to load.
        runner.write_summary(posted("\n".join(lines)))
    except RunnerFileError as exc:
        runner.annotate(Annotation("error", str(exc), title=title))


def _number(text: str) -> bool | int | float | str:
    """A fail-closed output as ``--json`` shows it: ``"0"`` is the number 0 and ``"false"``
    false (outputs are the strings GitHub requires; the JSON document is typed)."""
    import re

    if text in ("true", "false"):
        return text == "true"
    if re.fullmatch(r"-?\d+", text):
        return int(text)
    if re.fullmatch(r"-?\d+\.\d+", text):
        return float(text)
    return text


def action_inputs() -> frozenset[str]:
    """The inputs ``action.yml`` declares: the action's own and each option this project's modes
    mark as one (the action runs no other distribution's mode)."""
    from cicd_agent.job.resolve import ACTION_OWN_INPUTS
    from cicd_agent.plugins import declared_options, own_modes

    marked = (
        option.name
        for name in own_modes()
        for option in declared_options(name)
        if option.action_input
    )
    return ACTION_OWN_INPUTS | frozenset(marked)
