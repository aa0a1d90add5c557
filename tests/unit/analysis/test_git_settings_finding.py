"""A pull request that adds or changes a file git reads as settings gets a finding.

This run reads none of them from the pull request (``local/git.py``), but once merged they
apply to every clone, to GitHub's diff view and to every later run: ``* -diff`` folds every
later change away on GitHub, a ``.mailmap`` renames authors, a ``.gitmodules`` URL decides what
a recursive checkout fetches.
"""

from __future__ import annotations

from cicd_agent.analysis.diff import parse_diff
from cicd_agent.analysis.severity import Severity
from tests.helpers.diffs import added_file, all_findings


def _flagged(*paths: str) -> dict[str, str]:
    diff = parse_diff("".join(added_file(path, "* -diff\n") for path in paths))
    return {
        finding.path: finding.title
        for finding in all_findings(diff, {})
        if finding.rule == "git-settings" and finding.severity is Severity.MEDIUM
    }


def test_each_git_settings_file_is_flagged_at_the_depth_git_reads_it() -> None:
    flagged = _flagged(
        ".gitattributes",
        "vendor/lib/.gitattributes",
        ".mailmap",
        ".gitmodules",
        "docs/.mailmap",
        "src/.gitmodules",
        "src/app.py",
    )
    assert flagged == {
        ".gitattributes": "Changes git's settings (.gitattributes)",
        "vendor/lib/.gitattributes": "Changes git's settings (.gitattributes)",
        ".mailmap": "Changes git's settings (.mailmap)",
        ".gitmodules": "Changes git's settings (.gitmodules)",
    }


def test_a_deleted_settings_file_is_flagged_too() -> None:
    text = (
        "diff --git a/.mailmap b/.mailmap\ndeleted file mode 100644\nindex 1111111..0000000\n"
        "--- a/.mailmap\n+++ /dev/null\n@@ -1 +0,0 @@\n-A <a@b> <c@d>\n"
    )
    [finding] = [
        f for f in all_findings(parse_diff(text), {}) if f.rule == "git-settings"
    ]
    assert "deletes `.mailmap`" in finding.body


def test_another_spelling_and_git_lfs_settings_are_flagged() -> None:
    """On a case-insensitive file system (macOS and Windows clones) git opens
    ``.GitAttributes`` as ``.gitattributes``; git-lfs reads ``.lfsconfig`` (``lfs.url``: where
    every large file is fetched from and pushed to)."""
    flagged = _flagged(".GitAttributes", "src/.GITATTRIBUTES", ".MailMap", ".lfsconfig")
    assert flagged == {
        ".GitAttributes": "Changes git's settings (.gitattributes)",
        "src/.GITATTRIBUTES": "Changes git's settings (.gitattributes)",
        ".MailMap": "Changes git's settings (.mailmap)",
        ".lfsconfig": "Changes git's settings (.lfsconfig)",
    }


def test_a_settings_file_renamed_away_is_flagged() -> None:
    """Moving ``.gitattributes`` elsewhere drops every attribute it set, as deleting it does."""
    text = (
        "diff --git a/.gitattributes b/docs/old-attributes\nsimilarity index 100%\n"
        "rename from .gitattributes\nrename to docs/old-attributes\n"
    )
    [finding] = [
        f for f in all_findings(parse_diff(text), {}) if f.rule == "git-settings"
    ]
    assert finding.path == "docs/old-attributes" and "`.gitattributes`" in finding.body
