"""jest's and vitest's part of the test step: their JSON report written into the
step's own folder for each run, and a retry that names the failed tests again by their full
names (``-t``: jest's ``--testNamePattern``, vitest's filter) within their files."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path

from cicd_agent.local.checkout_files import CheckoutFileError, read_text
from cicd_agent.runners.step_outcomes import StepOutcomes

MAX_STEP_REPORT = 64 << 20
SEPARATOR = " › "


def step_outcomes(folder: Path, root: Path) -> StepOutcomes:
    """Each test's ``file › full name`` (the file relative to ``root`` where it lies under it)
    and whether it passed, from the JSON report in ``folder``; {} when it is unreadable. The
    full name joins describe titles and the test's own with spaces: a name two tests bear
    (``calc broken`` beside ``calc`` › ``broken``) is unsure."""
    try:
        document = json.loads(read_text(folder, "report.json", MAX_STEP_REPORT))
    except (CheckoutFileError, ValueError, RecursionError):
        return StepOutcomes()
    found = StepOutcomes()
    results = document.get("testResults", []) if isinstance(document, dict) else []
    for result in results if isinstance(results, list) else []:
        if not isinstance(result, dict):
            continue
        file = Path(str(result.get("name", "")))
        shown = file.relative_to(root).as_posix() if file.is_relative_to(root) else file.name
        for test in result.get("assertionResults", []) or []:
            status = test.get("status") if isinstance(test, dict) else None
            if status in ("passed", "failed"):
                found.add(f"{shown}{SEPARATOR}{test.get('fullName', '')}", status == "passed")
    return found


def step_retry(failed: Sequence[str]) -> list[str]:
    """The arguments that run only ``failed`` (ids of :func:`step_outcomes`) again: their full
    names as one anchored pattern, their files by path."""
    files = dict.fromkeys(test.split(SEPARATOR, 1)[0] for test in failed)
    names = [test.split(SEPARATOR, 1)[-1] for test in failed]
    pattern = "^(" + "|".join(re.escape(name) for name in names) + ")$"
    return [f"--testNamePattern={pattern}", *(f"./{file}" for file in files)]


def with_options(command: Sequence[str], options: Sequence[str]) -> list[str]:
    """``command`` with ``options`` among its own: before its ``--``, where there is one. jest
    and vitest read every word after ``--`` as a test path or filter, so options put after it
    (``--no-bail``, the report's) would be read as paths."""
    end = command.index("--") if "--" in command else len(command)
    return [*command[:end], *options, *command[end:]]


def without(command: Sequence[str], names: Sequence[str]) -> list[str]:
    """``command`` without the options ``names`` (``NAME=X``, or ``NAME`` and the word after
    it) before its ``--``: options of the command's that the step's runs give their own value."""
    end = command.index("--") if "--" in command else len(command)
    given = tuple(f"{name}=" for name in names)
    return [
        word
        for at, word in enumerate(command)
        if at >= end
        or (
            word not in names
            and not word.startswith(given)
            and not (at and command[at - 1] in names)
        )
    ]
