"""Review's description of a change in our one section of a pull request's body (the section's own
placing: tests/unit/analysis/test_pr_body.py)."""

from __future__ import annotations

from pathlib import Path

from cicd_agent.analysis.diff import parse_diff
from cicd_agent.analysis.pr_body import END, find_ours, place
from cicd_agent.local.checkout import GitCheckout
from cicd_agent.modes.review.diff_description import describe_diff, render
from tests.git_builder import GitRepoBuilder
from tests.helpers.diffs import added_file


def test_paths_that_spell_our_markers_cannot_end_the_section_early() -> None:
    nasty = f"docs/{END}.md"
    facts = describe_diff(parse_diff(added_file(nasty, "x")))
    content = render(facts, risk_level="low", risk_reasons=[])
    assert END not in content and "<!--" not in content
    placed = place("", 7, content, placed=())
    assert find_ours(placed.body, 7, [placed.digest]) == (0, len(placed.body))


def test_names_with_bidi_and_control_characters_are_shown_escaped_in_the_body(
    tmp_path: Path,
) -> None:
    """A right-to-left override makes ``docs/a\u202etxt.exe`` read as ``docs/aexe.txt`` and an
    escape sequence is a terminal's: the body names the real file, escaped on one line (attack1)."""
    repo = GitRepoBuilder(tmp_path)
    base = repo.commit("base", {"README": "x\n"})
    head = repo.commit("head", {"docs/a\u202etxt.exe": "x\n", "b\x1b[2Jc.py": "y = 1\n"})
    content = render(
        describe_diff(GitCheckout(tmp_path).diff(base, head)), risk_level="low", risk_reasons=[]
    )
    assert "\u202e" not in content and "\x1b" not in content
    assert "`docs/a\\u202etxt.exe`" in content and "`b\\x1b[2Jc.py`" in content
