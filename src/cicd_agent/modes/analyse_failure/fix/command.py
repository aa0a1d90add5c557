"""The failed step's command, read back from its ``##[group]Run …`` header in the job's log.

The runner opens every ``run:`` step with a group that repeats the script (each line in cyan,
``ESC[36;1m … ESC[0m``), then ``shell: /usr/bin/bash -e {0}`` and the step's ``env:``; the
step that failed is the one whose output ends in ``##[error]Process completed with exit code
N.``. That header is the only faithful record of what ran: the workflow file at the head commit
may differ (expressions, matrix values are already substituted in the log).

Which line of a multi-line script failed is not in the log; when the step's output carries a
tool's unmistakable signature (ruff's ``Found 3 errors.``, black's ``would reformat``) and
exactly one command of the script names that tool, that command is the failing one; otherwise
the whole script is. Values the runner masked (``***``) are dropped from ``env``: a fix is never
verified with secrets.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from cicd_agent.analysis.known_tools import TOOLS, tools_named
from cicd_agent.modes.analyse_failure.fix.judge.claims import FailingCommand
from cicd_agent.modes.analyse_failure.fix.judge.script import split_commands
from cicd_agent.modes.analyse_failure.logs.reader import JobScan
from cicd_agent.modes.analyse_failure.logs.runner_format import (
    STEP_RUN_PREFIX,
    TIMESTAMP,
    clean_line,
)

_SCRIPT_COLOUR = "\x1b[36;1m"
_FAILED = re.compile(r"^##\[error\]Process completed with exit code (\d+)")
_ENV_LINE = re.compile(r"^  ([A-Za-z_][A-Za-z0-9_]*): ?(.*)$")
MAX_SCRIPT_LINES = 400
"""A longer script is cut there (a generated step); the command is then the cut script."""
MAX_OUTPUT_LINES = 2_000
"""Lines of a step's output kept for telling which tool failed (its last ones)."""


@dataclass
class _Group:
    """One ``Run …`` header being read, and the output that followed it."""

    script: list[str] = field(default_factory=list)
    shell: str = ""
    env: list[tuple[str, str]] = field(default_factory=list)
    in_env: bool = False
    open: bool = True
    coloured: bool = False
    output: list[str] = field(default_factory=list)


def failing_command(job: JobScan) -> FailingCommand | None:
    """The command of ``job``'s first failed ``run:`` step, or None (an action failed, no
    header), from what the analysis's one pass over the log kept of the step: its header as
    read and its tail (the last lines hold the failing tool's verdict)."""
    for step in job.steps:
        if step.failed and step.header_raw:
            header = step.header_raw.decode("utf-8", "replace").split("\n")
            output = [text for number, text in step.tail if number > step.header_end]
            command = parse_failing_command(job.name, [*header, *output])
            if command is not None:
                return command
    return None


GIVE_WHOLE_LOG = (
    "give the job's whole log as the runner wrote it (the run-logs zip, or the job's raw log "
    "from its run page), not a copy of the command's output"
)


def missing_command(job: JobScan) -> str:
    """Why :func:`failing_command` found no command in ``job``'s log, and how to give one: the
    runner writes a ``run:`` step's command and its ``shell:`` under ``##[group]Run …``; a log
    saved from the command's output alone lacks them."""
    for step in job.steps:
        if step.failed and step.header_raw:
            header = [
                clean_line(line.encode("utf-8", "surrogateescape"))
                for line in step.header_raw.decode("utf-8", "replace").split("\n")
            ]
            named = header[0][len(STEP_RUN_PREFIX) :].strip()[:80] if header else ""
            if "with:" in header and not any(line.startswith("shell: ") for line in header):
                return f"the failed step runs an action (`{named}`), not a `run:` command"
            return f"the failed step's `Run {named}` header has no `shell:` line: {GIVE_WHOLE_LOG}"
    return f"the log holds no `##[group]Run …` header of the failed step: {GIVE_WHOLE_LOG}"


def parse_failing_command(job: str, lines: Iterable[str]) -> FailingCommand | None:
    """Read a job's raw log lines (timestamps and colours kept) up to its failed step."""
    group: _Group | None = None
    step = ""
    for raw in lines:
        text = TIMESTAMP.sub("", raw.rstrip("\r\n"), count=1)
        cleaned = clean_line(text.encode("utf-8", "surrogateescape"))
        if cleaned.startswith(STEP_RUN_PREFIX):
            group, step = _Group(), cleaned[len("##[group]") :].strip()
            continue
        if group is None:
            continue
        if group.open:
            _header_line(group, text, cleaned)
            continue
        failed = _FAILED.match(cleaned)
        if failed:
            return _command(job, step, group) if group.shell else None
        group.output.append(cleaned)
        if len(group.output) > MAX_OUTPUT_LINES:
            del group.output[: -MAX_OUTPUT_LINES // 2]
    return None


def _header_line(group: _Group, text: str, cleaned: str) -> None:
    if cleaned.startswith("##[endgroup]"):
        group.open = False
        return
    if text.startswith(_SCRIPT_COLOUR):
        group.coloured = True
        if len(group.script) < MAX_SCRIPT_LINES:
            group.script.append(cleaned)
        return
    if not group.shell and cleaned.startswith("shell: "):
        group.shell = cleaned.removeprefix("shell: ").strip()
        return
    if group.shell and cleaned == "env:":
        group.in_env = True
        return
    env = _ENV_LINE.match(cleaned)
    if group.in_env and env:
        if "***" not in env.group(2):
            group.env.append((env.group(1), env.group(2)))
        return
    if not group.shell and not group.coloured and len(group.script) < MAX_SCRIPT_LINES:
        group.script.append(cleaned)  # a log without colours: lines before ``shell:``


def _command(job: str, step: str, group: _Group) -> FailingCommand:
    script = "\n".join(group.script).strip("\n")
    parts = split_commands(script)
    return FailingCommand(
        job=job,
        step=step,
        script=script,
        failing=_failing_line(script, parts, group.output),
        shell=group.shell,
        env=tuple(group.env),
        split=parts,
    )


def _failing_line(script: str, parts: tuple[str, ...], output: list[str]) -> str:
    if len(parts) <= 1:
        return script
    # The tools whose failure signature the output carries, the last printed first. Signatures
    # overlap (black and ``ruff format`` both print "1 file would be reformatted"), so only one
    # the script actually runs counts.
    last: dict[str, int] = {}
    for number, line in enumerate(output):
        for known in TOOLS:
            if known.says.search(line.strip()):
                last[known.name] = number
    for tool in sorted(last, key=last.__getitem__, reverse=True):
        named = [part for part in parts if tool in tools_named(part)]
        if len(named) == 1:
            return named[0]
    return script
