"""The code and the docs speak plain words: no tracker numbers or attack nicknames (the history
is in git and the CHANGELOG), and none of the house words a newcomer would have to learn first.
The tests say what they guard in plain words too: no tracker numbers or attack nicknames."""

from __future__ import annotations

import re
from pathlib import Path

from tests.harness.payloads import REPO_ROOT

READ = ("src", "docs")
SUFFIXES = frozenset({".py", ".md", ".toml", ".yml", ".yaml", ".json", ".txt", ".cfg", ".ini"})

IN_TESTS = {
    "a tracker number (say what the code does; the history is in git)": re.compile(
        r"\bissues? #?\d+", re.IGNORECASE
    ),
    "an attack nickname (say what the attack does)": re.compile(r"\batk ?\d+", re.IGNORECASE),
}
"""What the tests may not say either; the house words below they may use in their own text."""

PRIVATE = {
    **IN_TESTS,
    '"no word" (say "no result")': re.compile(r"\bno word\b(?! character)", re.IGNORECASE),
    '"the floor" (say "the deterministic verdict")': re.compile(
        r"\b(?:the|deterministic) floor\b", re.IGNORECASE
    ),
    '"told" as a name (say "rules", "handed", "given")': re.compile(r"\btold(?:_of)?\s*[(=]"),
}


_CONTINUED = re.compile(r"^\s*(?:#|//|\*|>)?\s*")
"""What starts a wrapped line of prose: indentation and a comment's or a quote's marker."""


def private_words(text: str, kinds: dict[str, re.Pattern[str]] = PRIVATE) -> list[str]:
    """``"line: why"`` for each line of ``text`` holding a private word, on that line alone or
    across its wrap onto the next (``(issue`` at the end of one line, ``66)`` on the next)."""
    lines = text.splitlines()
    found = []
    for number, line in enumerate(lines, 1):
        wrapped = (
            line.rstrip() + " " + _CONTINUED.sub("", lines[number]) if number < len(lines) else ""
        )
        for why, pattern in kinds.items():
            if pattern.search(line) or (
                pattern.search(wrapped) and not pattern.search(lines[number])
            ):
                found.append(f"{number}: {why}")
    return found


TESTS = "tests"

KEPT_IN_TESTS = {
    # The sample text this check must catch.
    "tests/project/test_plain_words.py": None,
    # The line GitHub's flaky-issue writer logs, asserted word for word ("issue #4321" is the
    # number GitHub gave the issue it closes, not one of ours).
    "tests/unit/github/test_github_flaky_issues.py": ("closing issue #4321",),
    # The folder of 11 frozen real runs keeps its name here: renaming files is a change of its
    # own; until then its path is data this test reads, not prose.
    "tests/modes/analyse_failure/test_root_cause_attacks.py": (
        "fixtures/logs/atk11",
        '"logs" / "atk11"',
    ),
}
"""What the check on the tests leaves: a file as a whole (``None``) or the exact texts named."""


def _files(*folders: str) -> list[Path]:
    return sorted(
        path
        for folder in folders
        for path in (REPO_ROOT / folder).rglob("*")
        if path.suffix in SUFFIXES
        and not {"__pycache__", "node_modules"} & set(path.parts)
        and path.is_file()
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
        for path in _files(*READ)
        for where in private_words(path.read_text(encoding="utf-8", errors="replace"))
    ]
    assert found == [], "\n".join(found)


def _without_kept(name: str, text: str) -> str:
    for kept in KEPT_IN_TESTS.get(name) or ():
        text = text.replace(kept, "")
    return text


def test_no_tracker_numbers_or_attack_nicknames_in_the_tests() -> None:
    found = [
        f"{name}:{where}"
        for path in _files(TESTS)
        if (name := path.relative_to(REPO_ROOT).as_posix()) not in KEPT_IN_TESTS
        or KEPT_IN_TESTS[name] is not None
        for where in private_words(
            _without_kept(name, path.read_text(encoding="utf-8", errors="replace")), IN_TESTS
        )
    ]
    assert found == [], "\n".join(found)


def test_each_text_the_tests_keep_is_still_there() -> None:
    """An exception outlives its reason only as long as its text is in its file."""
    for name, kept in KEPT_IN_TESTS.items():
        text = (REPO_ROOT / name).read_text(encoding="utf-8")
        assert all(each in text for each in kept or ()), name


def test_the_check_on_the_tests_sees_numbers_and_nicknames_only() -> None:
    text = (
        '    """Issue 68: the README was long."""\n'
        '@pytest.mark.xfail(reason="atk17: an expect failing")\n'
        "# the floor of the report is no word\n"
    )
    assert private_words(text, IN_TESTS) == [
        "1: a tracker number (say what the code does; the history is in git)",
        "2: an attack nickname (say what the attack does)",
    ]
    assert (
        _without_kept(
            "tests/unit/github/test_github_flaky_issues.py", "closing issue #4321: updated"
        )
        == ": updated"
    )
