"""Every path CONTRIBUTING.md names in backticks exists (it named `gen_tests/confine`
long after that module was gone). A path under ``modes/`` or ``analysis/`` is the package's
(``src/cicd_agent/…``); one under ``src/``, ``tests/``, ``tools/``, ``bench/``, ``research/`` or
``install/`` is the repository's. A module may be named without ``.py``; a placeholder
(``modes/<name>/``) is not a path."""

from __future__ import annotations

import re

from tests.harness.payloads import REPO_ROOT

PACKAGE_PREFIXES = ("modes/", "analysis/", "verify/", "runners/")
REPOSITORY_PREFIXES = ("src/", "tests/", "tools/", "bench/", "research/", "install/")
FENCED = re.compile(r"^```.*?^```", re.MULTILINE | re.DOTALL)
SPAN = re.compile(r"`([^`\n]+)`")


def named_paths(markdown: str) -> list[str]:
    """The path-like words of the backtick spans outside fenced blocks, in order."""
    words = (
        word.rstrip(".,:;)")
        for span in SPAN.findall(FENCED.sub("", markdown))
        for word in span.split()
    )
    return [
        word
        for word in words
        if word.startswith(PACKAGE_PREFIXES + REPOSITORY_PREFIXES) and "<" not in word
    ]


def exists(path: str) -> bool:
    root = REPO_ROOT / "src" / "cicd_agent" if path.startswith(PACKAGE_PREFIXES) else REPO_ROOT
    target = root / path
    return target.exists() or target.with_name(target.name + ".py").exists()


def test_the_reader_finds_paths_in_spans_and_commands_but_not_placeholders() -> None:
    text = (
        "Run `python tools/readme_tables.py`, see `analysis/known_tools.py`'s table "
        "and `analysis/file_names`, not `modes/<name>/` or `github/comments.is_ours`.\n"
        "```\nmodes/inside/a/fence.py\n```\n"
    )
    assert named_paths(text) == [
        "tools/readme_tables.py",
        "analysis/known_tools.py",
        "analysis/file_names",
    ]
    assert exists("analysis/file_names") and exists("tools/readme_tables.py")
    assert not exists("modes/gen_tests/confine") and not exists("tests/no_such_file.py")


def test_every_path_contributing_names_exists() -> None:
    paths = named_paths((REPO_ROOT / "CONTRIBUTING.md").read_text(encoding="utf-8"))
    assert len(paths) > 20  # the reader still finds them
    assert [path for path in paths if not exists(path)] == []
