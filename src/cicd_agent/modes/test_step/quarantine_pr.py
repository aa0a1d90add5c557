"""A flaky test the step did not fix, quarantined by a draft pull request (``quarantine-pr``):
its entry (the test as its runner prints it, the first owner CODEOWNERS gives its file, an
expiry 30 days on) added to the settings file's ``analyse-failure.quarantine`` on a new branch,
never on the pushed one. The file is edited as text, so its comments and order stay; the edit is
kept only when the file reads back as the old one with exactly these entries added, and the
settings reader accepts it."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Sequence
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from cicd_agent.actions.errors import UsageError
from cicd_agent.actions.markdown import code_span, commit_message, posted
from cicd_agent.analysis.bounded_yaml import load_text
from cicd_agent.analysis.codeowners import owners_of
from cicd_agent.analysis.governing import CONFIG_PATH
from cicd_agent.job.draft_pull import open_draft_pull
from cicd_agent.job.repo_config import QuarantineEntry, codeowners, parse, settings_text

if TYPE_CHECKING:
    from cicd_agent.github.client import GitHubClient

SECTION = "analyse-failure"
EXPIRES_IN = timedelta(days=30)
_SECTION_LINE = re.compile(rf"\ufeff?{SECTION}:[ \t]*(#.*)?\r?\n?")
_QUARANTINE_LINE = re.compile(r"([ \t]+)quarantine:[ \t]*(#.*)?\r?\n?")


def propose(
    client: GitHubClient,
    *,
    checkout: Path,
    commit: str,
    into: str,
    tests: Sequence[str],
    today: date,
    file_of: Callable[[str], str],
    body: Callable[[QuarantineEntry], str],
) -> str:
    """A draft pull request into ``into`` adding an entry for each of ``tests`` (the runner's
    ids) to the settings file as ``commit`` has it: the summary's line, its address or why none
    (``body``: what each entry's row of the description says of its test)."""
    entries, ownerless = entries_for(tests, codeowners(checkout, commit), file_of, today)
    alone = (
        (
            f"; not proposed, as CODEOWNERS names no owner of its file: "
            f"{', '.join(code_span(test, 120) for test in ownerless)}"
        )
        if ownerless
        else ""
    )
    if not entries:
        return f"No quarantine pull request{alone}."
    try:
        edited = with_entries(settings_text(checkout, commit), entries, today)
    except UsageError as error:
        return f"No quarantine pull request: {error}{alone}."
    drafted = open_draft_pull(
        client,
        parent=commit,
        into=into,
        branch=branch_for(entries),
        checkout=checkout,
        files={CONFIG_PATH: edited},
        message=commit_message(f"Quarantine {len(entries)} flaky test(s)"),
        title=posted(f"Quarantine {len(entries)} flaky test(s) for 30 days"),
        body=posted(
            f"cicd-agent found these tests flaky and could not fix them. Merging this "
            f"quarantines each in {CONFIG_PATH} until its expiry, its owner named:\n\n"
            + "\n".join(body(entry) for entry in entries)
        ),
    )
    if not drafted.url:
        return f"No quarantine pull request: {drafted.why_not}{alone}."
    return f"Quarantine proposed by a draft pull request: {drafted.url}{alone}."


def entries_for(
    tests: Sequence[str], codeowners: str, file_of: Callable[[str], str], today: date
) -> tuple[list[QuarantineEntry], list[str]]:
    """An entry for each of ``tests`` whose file CODEOWNERS gives an owner; and the tests
    without one (an entry must name who fixes it: those are quarantined by hand)."""
    made, ownerless = [], []
    for test in tests:
        owners = owners_of(codeowners, file_of(test)).names
        if owners:
            made.append(QuarantineEntry(test, owners[0].removeprefix("@"), today + EXPIRES_IN))
        else:
            ownerless.append(test)
    return made, ownerless


def with_entries(text: str, entries: Sequence[QuarantineEntry], today: date) -> str:
    """``text`` (the settings file, "" when there is none) with ``entries`` added to the end of
    ``analyse-failure.quarantine``. Raises :class:`UsageError` naming why when the file's layout
    cannot be extended so that it reads back right (a list written inline, say)."""
    # Both texts through the settings reader first: the file is the pushed commit's, not the
    # trusted one this run's settings came from, so it may be one no run reads (a UsageError).
    parse(text, SECTION, today)
    edited = _edited(text, entries)
    try:
        parse(edited, SECTION, today)
    except UsageError as error:  # the file is read: it is the edit the reader refuses
        raise UsageError(
            f"{CONFIG_PATH} with the new entries added as text would be refused "
            f"({error.message.rstrip('.')}); add them by hand"
        ) from None
    old = load_text(text)  # None: no file, or comments only
    if load_text(edited) != _appended({} if old is None else old, entries):
        raise UsageError(
            f"{CONFIG_PATH}'s layout could not be extended as text so that it "
            "reads back with only the new entries added; add them by hand"
        )
    return edited


def branch_for(entries: Sequence[QuarantineEntry]) -> str:
    """One branch per set of tests: a later run that finds the same ones finds it taken."""
    names = "\n".join(sorted(entry.test for entry in entries))
    return f"cicd-agent/quarantine-{hashlib.sha256(names.encode()).hexdigest()[:12]}"


def _block(entries: Sequence[QuarantineEntry], pad: str) -> str:
    # Characters as themselves: JSON escapes one beyond the basic plane as a surrogate pair,
    # which YAML reads as two broken characters.
    return "".join(
        f'{pad}- test: {json.dumps(e.test, ensure_ascii=False)}\n{pad}  owner: "@{e.owner}"\n'
        f'{pad}  expires: "{e.expires.isoformat()}"\n'
        for e in entries
    )


def _edited(text: str, entries: Sequence[QuarantineEntry]) -> str:
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    start = next((i for i, line in enumerate(lines) if _SECTION_LINE.fullmatch(line)), None)
    if start is None:
        return "".join(lines) + f"{SECTION}:\n  quarantine:\n" + _block(entries, "    ")
    end = next(
        (i for i in range(start + 1, len(lines)) if lines[i].strip() and lines[i][0] not in " \t#"),
        len(lines),
    )
    found = next((i for i in range(start + 1, end) if _QUARANTINE_LINE.fullmatch(lines[i])), None)
    if found is None:
        child = next((_indent(lines[i]) for i in range(start + 1, end) if _content(lines[i])), "  ")
        lines.insert(start + 1, f"{child}quarantine:\n" + _block(entries, child + "  "))
        return "".join(lines)
    key, last, pad = _indent(lines[found]), found, ""
    for i in range(found + 1, end):
        if not _content(lines[i]):
            continue
        inner = _indent(lines[i])
        if len(inner) > len(key) or (inner == key and lines[i].lstrip().startswith("- ")):
            last, pad = i, pad or (inner if lines[i].lstrip().startswith("- ") else "")
            continue
        break
    lines.insert(last + 1, _block(entries, pad or key + "  "))
    return "".join(lines)


def _appended(document: object, entries: Sequence[QuarantineEntry]) -> object:
    """What the file should read as: ``document`` with the entries at the list's end."""
    if not isinstance(document, dict):
        return None  # not a mapping: no edit reads back as one
    section = document.get(SECTION) or {}
    if not isinstance(section, dict):
        return None
    listed = section.get("quarantine") or []
    if not isinstance(listed, list):
        return None
    added = [
        {"test": e.test, "owner": f"@{e.owner}", "expires": e.expires.isoformat()} for e in entries
    ]
    return {**document, SECTION: {**section, "quarantine": [*listed, *added]}}


def _indent(line: str) -> str:
    return line[: len(line) - len(line.lstrip(" \t"))]


def _content(line: str) -> bool:
    return bool(line.strip()) and not line.lstrip().startswith("#")
