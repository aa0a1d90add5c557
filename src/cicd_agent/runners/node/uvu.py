"""uvu in the test step, read from what it prints: each file's name on a line, each failed test as
``FAIL  suite  "title"``, and the ``Total:``/``Passed:``/``Skipped:`` counts. uvu selects by file
alone, so a retry runs the failed tests' files, and a retried test no ``FAIL`` line names, in a run
whose counts add up, passed; the ids retried are written beside the run's folder, where its tests
cannot write.

Counts that do not add up (a test printing a ``FAIL`` line of its own), or a printed line that
reads as a file's name twice, make the run unread. A command that passes its own pattern, or an
option whose value we would have to guess, is run as written and not retried: uvu's options that
take a value (``-r esm``, how ESM suites are run) are known, and any other flag followed by a word
might take that word as its value (uvu declares no other option boolean). A retry's folder and
options are the ones uvu's parser read from the command, so no other file runs under a failed
test's name."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path

from cicd_agent.local.checkout_files import CheckoutFileError, read_text
from cicd_agent.runners.node import program
from cicd_agent.runners.step_outcomes import StepOutcomes

SEPARATOR = " › "
RETRIED = "uvu-retried.json"
_COLOUR = re.compile(r"\x1b\[[0-9;]*m")
_FILE = re.compile(r"^(?P<file>[^\s•].*\.[cm]?[jt]sx?)$")
_FAIL = re.compile(r"^\s+FAIL\s+(?:(?P<suite>\S(?:.*?\S)?)\s{2,})?\"(?P<title>.*)\"$")
_COUNT = re.compile(r"^\s+(?P<what>Total|Passed|Skipped):\s+(?P<n>\d{1,9})$")
_VALUED = frozenset({"-r", "--require", "-i", "--ignore", "-C", "--cwd"})
"""uvu's options that take the next word as their value."""
_BOOLEAN = frozenset({"-c", "--color"})
"""uvu's boolean options: the next word is their value only when it is ``true`` or ``false``
(the others might take any: uvu declares no other boolean)."""
_NO = re.compile(r"^-+no-")


def runs(command: Sequence[str]) -> bool:
    """Whether ``command`` runs uvu (``uvu``, ``npx uvu``, ``./node_modules/.bin/uvu``)."""
    return program(command) == "uvu"


def _parts(words: Sequence[str]) -> tuple[list[str], list[str], str]:
    """uvu's ``words`` as its parser (mri) reads them: the folder and pattern given, the options
    with their values (in order), and where a retry would have to guess ("" when nowhere): a
    flag whose next word might be its value, or ``--``, after which every word is positional.
    mri gives a flag the next word whenever it has no value after ``=`` and that word starts
    with no ``-``; a boolean keeps only ``true`` or ``false`` and leaves any other word
    positional, and a ``no-`` flag takes none."""
    own: list[str] = []
    options: list[str] = []
    at = 0
    while at < len(words):
        word = words[at]
        following = words[at + 1] if at + 1 < len(words) else ""
        name, _, value = word.partition("=")
        takes = bool(following) and not following.startswith("-")
        if word == "--":
            return own, options, " ".join(words[at : at + 2])
        if not word.startswith("-"):
            own.append(word)
        elif (
            value
            or not takes
            or _NO.match(word)
            or (name in _BOOLEAN and following not in ("true", "false"))
        ):
            options.append(word)
        elif name in _VALUED or name in _BOOLEAN:
            options += [word, following]
            at += 1
        else:
            return own, options, f"{word} {following}"
        at += 1
    return own, options, ""


def declined(command: Sequence[str]) -> str:
    """Why ``command`` is run once as written ("" when a retry can choose its files, or it is
    no run of uvu): uvu selects tests by its pattern alone, and the command gave one, or a
    flag whose value would leave us guessing where a pattern goes."""
    if not runs(command):
        return ""
    own, _, unsure = _parts(command[2 if command[0] == "npx" else 1 :])
    if unsure.split(" ")[0] == "--":
        return (
            "it passes uvu --, after which uvu reads every word as a folder or a pattern: "
            "drop -- to have the failed tests retried"
        )
    if unsure:
        return (
            f"it passes uvu {unsure}, where uvu may read the word after the flag as its "
            "value: write the flag after the folder to have the failed tests retried"
        )
    if len(own) > 1:
        return (
            f"it gives uvu its own pattern ({own[1]}), the one place a retry chooses the "
            f"failed tests' files: drop {own[1]} to have its failed tests retried"
        )
    return ""


def step_command(
    command: Sequence[str], folder: Path, failed: Sequence[str] | None
) -> list[str] | None:
    """``command`` as written and, on a retry, with the failed tests' files as its pattern (the
    ids retried written beside ``folder`` when it is a real one); None when it is no run of uvu,
    or its arguments leave us unsure where its pattern would go."""
    if not runs(command) or declined(command):
        return None
    if not failed:
        return list(command)
    at = 2 if command[0] == "npx" else 1
    own, options, _ = _parts(command[at:])
    if folder.is_absolute():  # beside the run's folder: its tests can write inside it
        (folder.parent / f"{folder.name}.{RETRIED}").write_text(json.dumps(list(failed)))
    files = dict.fromkeys(test.split(SEPARATOR, 1)[0] for test in failed)
    pattern = "^(" + "|".join(re.escape(file) for file in files) + ")$"
    return [*command[:at], own[0] if own else ".", pattern, *options]


def step_outcomes(folder: Path, output: str, root: Path) -> StepOutcomes:
    """Each failed test ``output`` names (by file, suite and title) and, on a retry, each
    retried test it does not name, passed; none when its counts are missing or do not add
    up."""
    found, ran, counts = StepOutcomes(), list[str](), dict[str, int]()
    file = ""
    for line in _COLOUR.sub("", output).splitlines():
        if (header := _FILE.match(line)) is not None:
            file = header["file"]
            ran.append(file)
        elif (failure := _FAIL.match(line)) is not None:
            titles = [file, *filter(None, [failure["suite"]]), failure["title"]]
            found.add(SEPARATOR.join(titles), False)
        elif (count := _COUNT.match(line)) is not None:
            counts[count["what"]] = int(count["n"])
    if len(counts) < 3 or counts["Total"] - counts["Passed"] - counts["Skipped"] != len(found):
        return StepOutcomes()
    retried = _retried(folder)
    files = {test.split(SEPARATOR, 1)[0] for test in retried} if retried else set(ran)
    if not ran or len(set(ran)) < len(ran) or not files.issuperset(ran):
        return StepOutcomes()  # a file named twice, or none, or on a retry one it did not run
    for test in retried:
        if test not in found and test.split(SEPARATOR, 1)[0] in ran:
            found.add(test, True)
    return found


def _retried(folder: Path) -> list[str]:
    """The ids a retry ran again (written by :func:`step_command`; none on a first run)."""
    try:
        written = json.loads(read_text(folder.parent, f"{folder.name}.{RETRIED}"))
    except (CheckoutFileError, ValueError, RecursionError):
        return []
    return [str(test) for test in written] if isinstance(written, list) else []
