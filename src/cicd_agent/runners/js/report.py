"""jest's and vitest's report on the evidence pipe, and its in-run checks: the JSON report found
once in the run's output, each test's outcome read from it, believed only where the reporter
loaded before any test and each test file's canary agree (:mod:`.runner`'s doc says what each
sees)."""

from __future__ import annotations

import json
import posixpath
import re
from collections.abc import Mapping, Sequence
from itertools import islice
from typing import NamedTuple

from cicd_agent.runners.base import PASSED

CHECK_KEY = "cicd_check"
CHECK_PREFIX = f'{{"{CHECK_KEY}":'
"""How the in-run check's line starts on the pipe (a line starting so is read as one)."""
CANARY_KEY = "cicd_canary"
CANARY_PREFIX = f'{{"{CANARY_KEY}":'
"""How a canary's line starts on the pipe (one per test file, from the test's realm)."""
REPORT_KEY = re.compile(r'"testResults"\s*:')
"""Its report's key, never a JSON string (a test named so): those escape quotes."""


class Watch(NamedTuple):
    """A runner's in-run checks: the arguments that load them, the token the reporter's line
    must carry and the one each canary's line must ("": none)."""

    arguments: tuple[str, ...] = ()
    token: str = ""
    canary: str = ""


class Canary(NamedTuple):
    """What a test file's canary wrote: how many tests it checked, and whether it held at the
    end."""

    tests: int
    held: bool
    runs: tuple[tuple[str, int, int], ...] = ()
    """Each test's full name, passed and failed runs, where the canary counted repetitions."""


def outcomes_of(
    document: Mapping[str, object], root: str, returncode: int, tests: Sequence[str]
) -> tuple[dict[str, str], str]:
    """Each test of the files ``tests`` (every file when empty) a jest or vitest JSON report
    (``document``) shows, by ``file › full name`` relative to
    ``root``, and its status; or why it is no result ("" when it is)."""
    results = document.get("testResults")
    if not isinstance(results, list) or not isinstance(document.get("success"), bool):
        return {}, "no report of jest's or vitest's shape"
    if document["success"] != (returncode == 0):
        said = "every test passed" if document["success"] else "a test failed"
        return {}, f"its report says {said}, but it exited with status {returncode}"
    outcomes: dict[str, str] = {}
    for result in results:
        name = str(result.get("name", "")) if isinstance(result, dict) else ""
        cases = result.get("assertionResults") if isinstance(result, dict) else None
        where = posixpath.relpath(name, root) if name.startswith(f"{root}/") else name
        for case in cases if isinstance(cases, list) and (where in tests or not tests) else []:
            if isinstance(case, dict):
                test = f"{where} › {case.get('fullName', '')}"
                status = str(case.get("status", ""))
                outcomes[test] = (
                    "failed" if test in outcomes and outcomes[test] != status else status
                )
    return outcomes, ""


def the_report(text: str, returncode: int) -> tuple[dict[str, object], str]:
    """The runner's JSON report in ``text``, or why none. A test may print first, so it is the
    one JSON object holding :data:`REPORT_KEY` (both runners name it once), from the start of its
    line, or of the last ``{`` line above it (vitest before 1 indents its report). A second
    report, or one not alone on its lines, is no result: neither can be told from the runner's."""
    if not text.strip():  # its configuration, a setup file or a missing module stopped it
        return {}, f"it exited with status {returncode} before writing a report"
    keys = list(islice(REPORT_KEY.finditer(text), 2))
    if len(keys) > 1:
        return {}, "a second report in its output: a test printed one of its own"
    if not keys:
        return {}, "no report of jest's or vitest's shape"
    key = keys[0].start()
    start = text.rfind("\n", 0, key) + 1
    pretty = not text.startswith("{", start)
    if pretty:  # vitest before 1 indents its report, from a line of "{" alone above its key
        start = text.rfind("\n{\n", 0, key) + 1 or (0 if text.startswith("{\n") else -1)
    if start < 0 or not text.startswith("{", start):
        return {}, "its report does not start its line (a test's output ran into it)"
    try:
        document, end = json.JSONDecoder().raw_decode(text, start)
    except (ValueError, RecursionError) as exc:
        return {}, f"an unreadable report ({type(exc).__name__})"
    if end <= key:
        return {}, "its report does not start its line (a test's output ran into it)"
    if text[end:].split("\n", 1)[0].strip() or (not pretty and "\n" in text[start:end]):
        return (
            {},
            "an unreadable report (text after it on its line)",
        )  # a one-line report is one line
    try:  # the encoder is a few frames deeper than the decoder that read it
        aligned = not pretty or indented(text[start:end], document)
    except RecursionError:
        return {}, "an unreadable report (RecursionError)"
    if not aligned:
        return {}, "its report is not indented as its structure (a test's output ran into it)"
    return (
        (document, "")
        if isinstance(document, dict)
        else ({}, "no report of jest's or vitest's shape")
    )


def indented(text: str, document: object) -> bool:
    """Whether each line of ``text`` (an indented report, read as ``document``) is indented as
    its depth in ``document``: a test's text before the runner's report (an unended line that
    opens an object of its own, a forged key escaped past :data:`REPORT_KEY`) nests the
    runner's report one level deeper than its lines say."""
    lines = text.split("\n")
    wanted = json.dumps(document, indent=2).split("\n")
    return len(lines) == len(wanted) and all(
        len(line) - len(line.lstrip(" ")) == len(want) - len(want.lstrip(" "))
        for line, want in zip(lines, wanted, strict=True)
    )


def split_checks(
    text: str, watch: Watch, root: str
) -> tuple[str, dict[str, str] | None, dict[str, list[Canary]]]:
    """``text`` (a run's pipe) without the in-run checks' lines (whole JSON objects only: a test can
    write a prefix the report then follows on its line); the outcomes of the one reporter's line
    carrying ``watch.token`` (``file › full name`` under ``root``; None when it is missing,
    repeated or of another token, or no in-run check); each file's canary lines carrying ours."""
    if not watch.token and not watch.canary:
        return text, None, {}
    kept: list[str] = []
    found: list[object] = []
    canaries: dict[str, list[Canary]] = {}
    for line in text.split("\n"):
        if not line.startswith((CHECK_PREFIX, CANARY_PREFIX)):
            kept.append(line)
            continue
        try:
            said = json.loads(line)
        except (ValueError, RecursionError):
            said = None
        kept.extend(() if isinstance(said, dict) else (line,))  # a test's text, a report ran into
        if not line.startswith(CANARY_PREFIX):
            found.append(said)
        elif isinstance(said, dict) and said.get(CANARY_KEY) == watch.canary and watch.canary:
            file, tests, held = said.get("file"), said.get("tests"), said.get("held")
            if isinstance(file, str) and type(tests) is int and type(held) is bool:
                where = posixpath.relpath(file, root) if file.startswith(f"{root}/") else file
                canaries.setdefault(where, []).append(
                    Canary(tests, held, counted(said.get("runs")))
                )
    tests = _reported(found, watch, root)
    return "\n".join(kept), None if tests is None else dict(tests), canaries


def named_twice(text: str, watch: Watch, root: str, times: int = 1) -> list[str]:
    """The tests the reporter's line of ``text`` (as :func:`split_checks` reads it) shows
    ending more than ``times`` times (each test's repeats) under one name: jest names a test by
    its titles joined with spaces, so ``describe("a")``'s ``b c`` and a top-level ``a b c`` are
    one name."""
    found = []
    for line in text.split("\n"):
        if line.startswith(CHECK_PREFIX):
            try:
                found.append(json.loads(line))
            except (ValueError, RecursionError):
                found.append(None)
    reported = _reported(found, watch, root) or []
    ended = [test for test, said in reported if said in (PASSED, "failed")]
    return sorted({test for test in ended if ended.count(test) > times})


def _reported(found: Sequence[object], watch: Watch, root: str) -> list[tuple[str, str]] | None:
    """Each test of the one in-run check's line among ``found`` carrying ``watch.token``, as
    ``file › full name`` (under ``root``) and its status, in the reporter's order; None when
    the line is missing, repeated or of another token."""
    said = found[0] if len(found) == 1 else None
    tests = (
        said.get("tests") if isinstance(said, dict) and said.get(CHECK_KEY) == watch.token else None
    )
    if not isinstance(tests, list):
        return None
    seen: list[tuple[str, str]] = []
    for test in tests:
        if isinstance(test, list) and len(test) == 3 and all(isinstance(t, str) for t in test):
            where = posixpath.relpath(test[0], root) if test[0].startswith(f"{root}/") else test[0]
            seen.append((f"{where} › {test[1]}", test[2]))
    return seen


def counted(runs: object) -> tuple[tuple[str, int, int], ...]:
    """A canary line's ``runs`` (each test's full name, passed and failed runs), the entries
    of that shape (counts of at most 12 digits)."""
    if not isinstance(runs, dict):
        return ()
    return tuple(
        (name, won, lost)
        for name, pair in runs.items()
        if isinstance(pair, list)
        and len(pair) == 2
        and all(type(n) is int and 0 <= n < 10**12 for n in pair)
        for won, lost in (pair,)
    )


def changed(
    outcomes: Mapping[str, str],
    canaries: Mapping[str, Sequence[Canary]],
    token: str,
    repeats: Mapping[str, tuple[int, int]] | None = None,
) -> str:
    """Why the report is no result by the files' canaries ("" when it is, or when the runner has
    none: no ``token``): a canary that found a false assertion holding, or a file with a pass
    whose canary did not write one line that held and checked every run the report shows in it
    (each of a repeated test's ``repeats``: the code under test removed it, or ended the file
    before it wrote)."""
    if not token:
        return ""
    for file, lines in canaries.items():
        if not all(line.held for line in lines):
            return (
                f"the code under test changed the assertions in {file[:200]}: a false expect held"
            )
    for file in sorted(
        {test.split(" › ", 1)[0] for test, said in outcomes.items() if said == PASSED}
    ):
        ran = sum(
            sum((repeats or {}).get(test, (1, 0)))
            for test, said in outcomes.items()
            if test.startswith(f"{file} › ") and said in (PASSED, "failed")
        )
        lines = canaries.get(file, ())
        if len(lines) != 1 or lines[0].tests < ran:
            return (
                f"the code under test changed the assertions in {file[:200]}: our canary "
                f"did not run after every test ({len(lines)} lines)"
            )
    return ""


def disagreement(outcomes: Mapping[str, str], seen: Mapping[str, str] | None, token: str) -> str:
    """Why the report's ``outcomes`` are no result by the in-run check's ``seen`` ("" when they are,
    or when the runner has none: no ``token``): its line never came (the process ended before
    the runner reported), or a pass it did not see."""
    if not token:
        return ""
    if seen is None:
        return (
            "the runner's in-run check never wrote its line: the run ended before the runner "
            "reported, so its report is the code under test's"
        )
    for test, outcome in outcomes.items():
        if outcome == PASSED and seen.get(test) != PASSED:
            return f"its report shows {test[:200]} passing where the runner's in-run check did not"
    return ""
