"""The code and the docs speak plain words: no tracker numbers or attack nicknames (the history
is in git and the CHANGELOG), and none of the house words a newcomer would have to learn first."""

from __future__ import annotations

import re
from pathlib import Path

from tests.harness.payloads import REPO_ROOT

READ = ("src", "docs")
SUFFIXES = frozenset({".py", ".md", ".toml", ".yml", ".yaml", ".json", ".txt", ".cfg", ".ini"})

PRIVATE = {
    "a tracker number (say what the code does; the history is in git)": re.compile(
        r"\bissues? #?\d+", re.IGNORECASE
    ),
    "an attack nickname (say what the attack does)": re.compile(r"\batk ?\d+", re.IGNORECASE),
    '"no word" (say "no result")': re.compile(r"\bno word\b(?! character)", re.IGNORECASE),
    '"the floor" (say "the deterministic verdict")': re.compile(
        r"\b(?:the|deterministic) floor\b", re.IGNORECASE
    ),
    '"told" as a name (say "rules", "handed", "given")': re.compile(r"\btold(?:_of)?\s*[(=]"),
}


_CONTINUED = re.compile(r"^\s*(?:#|//|\*|>)?\s*")
"""What starts a wrapped line of prose: indentation and a comment's or a quote's marker."""


def private_words(text: str) -> list[str]:
    """``"line: why"`` for each line of ``text`` holding a private word, on that line alone or
    across its wrap onto the next (``(issue`` at the end of one line, ``66)`` on the next)."""
    lines = text.splitlines()
    found = []
    for number, line in enumerate(lines, 1):
        wrapped = (
            line.rstrip() + " " + _CONTINUED.sub("", lines[number]) if number < len(lines) else ""
        )
        for why, pattern in PRIVATE.items():
            if pattern.search(line) or (
                pattern.search(wrapped) and not pattern.search(lines[number])
            ):
                found.append(f"{number}: {why}")
    return found


def _files() -> list[Path]:
    return sorted(
        path
        for folder in READ
        for path in (REPO_ROOT / folder).rglob("*")
        if path.suffix in SUFFIXES and "__pycache__" not in path.parts and path.is_file()
    )


def test_the_check_sees_each_kind_of_private_word() -> None:
    text = (
        "# closed in issue 64\n"
        "x = 1  # (Issue #16)\n"
        "a folder named mutant (atk12)\n"
        "the report is no word\n"
        "merged with the floor under guardrails\n"
        "    told = fit(ctx)\n"
        '"""What the hunt found (issue\n'
        '66) stays."""\n'
        "# closed in\n"
        "#   issue #12\n"
    )
    assert [line.split(":")[0] for line in private_words(text)] == [
        "1",
        "2",
        "3",
        "4",
        "5",
        "6",
        "7",
        "10",
    ]


def test_plain_english_is_no_private_word() -> None:
    text = (
        "GitHub links a mention where @ follows no word character\n"
        "a secret spelled from no words; its issue is found by marker\n"
        "``#12`` and ``GH-12`` are broken; a score floor of 0.4\n"
        "lines that cannot be told apart; the model is told not to obey\n"
    )
    assert private_words(text) == []


def test_no_private_words_in_the_code_or_the_docs() -> None:
    found = [
        f"{path.relative_to(REPO_ROOT)}:{where}"
        for path in _files()
        for where in private_words(path.read_text(encoding="utf-8", errors="replace"))
    ]
    assert found == [], "\n".join(found)
