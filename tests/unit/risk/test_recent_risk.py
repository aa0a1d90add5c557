"""At a glance: when a repository's recent commits really are riskier than its past (a
vendoring wave), deploy-gate says so in a sentence a person checks instead of every level
rising with the wave; a steady history says nothing of the kind. Both are built on
a real project's history (pypa/twine's 1,050 commits, ``tests/helpers/real_history.py``),
continued by 30 commits of each kind, and scored through the CLI as a user runs it."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

from cicd_agent.risk.model import RECENT, RECENT_WINDOW, level_window
from tests.helpers.real_history import build
from tests.unit.risk.test_common_sense import deploy_gate_json

DAY = 86_400
SENTENCE = "recent commits are riskier than its past"


def _git(repo: Path, *args: str, when: int | None = None, who: str = "author-1") -> str:
    env = {"PATH": "/usr/bin:/bin", "HOME": str(repo.parent)}
    if when is not None:
        stamp = f"@{when} +0000"
        env |= {
            "GIT_AUTHOR_NAME": who, "GIT_AUTHOR_EMAIL": f"{who}@example.org",
            "GIT_COMMITTER_NAME": who, "GIT_COMMITTER_EMAIL": f"{who}@example.org",
            "GIT_AUTHOR_DATE": stamp, "GIT_COMMITTER_DATE": stamp,
        }  # fmt: skip
    done = subprocess.run(
        ["git", *args], cwd=repo, check=True, capture_output=True, text=True, env=env
    )
    return done.stdout.strip()


def _commit(
    repo: Path,
    files: dict[str, str],
    message: str,
    when: int,
    who: str = "author-1",
    *,
    replace: bool = False,
) -> str:
    """Commit ``files`` (appended to, or replacing the file's text) at ``when`` by ``who``."""
    for name, text in files.items():
        target = repo / name
        target.parent.mkdir(parents=True, exist_ok=True)
        with target.open("w" if replace else "a", encoding="utf-8") as handle:
            handle.write(text)
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "--no-verify", "-m", message, when=when, who=who)
    return _git(repo, "rev-parse", "HEAD")


def _lines(count: int, tag: str) -> str:
    return "".join(f"{tag}_{i} = {i}\n" for i in range(count))


def _continued(root: Path, vendoring: bool) -> tuple[Path, str, str]:
    """twine's history, then 30 commits a day apart (each by a new contributor re-vendoring
    the project's own Python files, each rewritten as 300 new lines, as a vendored tree is
    replaced wholesale; or a few lines in one module by the maintainer), then a quiet commit
    a week later (the base, so its weekly fit has the 30 in its past) and a routine change on
    top: (repo, base, head)."""
    repo = root / ("wave" if vendoring else "steady")
    build(repo, "twine.json.gz")
    start = int(_git(repo, "log", "-1", "--format=%ct")) + DAY
    tracked = [p for p in _git(repo, "ls-files").splitlines() if p.endswith(".py")]
    for day in range(RECENT):
        if vendoring:
            files = {path: _lines(300, f"v{day}") for path in tracked}
            message, who = f"Update the vendored tree ({day})", f"contributor-{day}"
        else:
            files = {"twine/utils.py": _lines(3, f"steady{day}")}
            message, who = f"Tidy the utilities ({day})", "author-1"
        _commit(repo, files, message, start + day * DAY, who, replace=vendoring)
    base = _commit(repo, {"CHANGELOG.md": "- tidied\n"}, "Note it", start + (RECENT + 8) * DAY)
    head = _commit(repo, {"twine/utils.py": _lines(20, "new")}, "Tidy", start + (RECENT + 9) * DAY)
    return repo, base, head


@pytest.fixture(scope="module")
def scored(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    root = tmp_path_factory.mktemp("recent-risk")
    scored = {}
    for kind in ("wave", "steady"):
        repo, base, head = _continued(root, vendoring=kind == "wave")
        scored[kind] = deploy_gate_json(repo, base, head, root / f"{kind}-cache", root)
    return scored


def test_a_vendoring_wave_is_said_in_a_sentence_a_person_checks(
    scored: dict[str, dict[str, Any]],
) -> None:
    said = [r["message"] for r in scored["wave"]["reasons"] if SENTENCE in r["message"]]
    assert len(said) == 1, scored["wave"]["reasons"]
    assert f"of the last {RECENT} before the fit" in said[0]
    assert f"ranked against the {RECENT_WINDOW} newest commits" in said[0]
    assert "check those commits" in said[0]
    # The sentence sits with the lead, where the summary shows it first.
    assert SENTENCE in scored["wave"]["reasons"][1]["message"]


def test_a_steady_history_says_nothing_of_the_kind(scored: dict[str, dict[str, Any]]) -> None:
    assert not any(SENTENCE in r["message"] for r in scored["steady"]["reasons"])
    # Ranked against the newer half of its past (at most 1,000): twine's first commits had no
    # past of their own, so against them every recent change would look risky.
    lead = scored["steady"]["reasons"][0]["message"]
    fitted = re.search(r"fitted on ([\d,]+) past commits", lead)
    assert fitted, lead
    window = level_window(int(fitted[1].replace(",", "")))
    assert f"of the {window:,} most recent past commits" in lead
    assert window < int(fitted[1].replace(",", "")) / 2 + 1
