"""The files that govern how a pull request is reviewed: matched whatever the case, since a
case-insensitive file system opens ``agents.md`` for ``AGENTS.md``."""

from __future__ import annotations

import pytest

from cicd_agent.analysis.governing import GIT_SETTINGS, governs_review


@pytest.mark.parametrize(
    "path",
    [".github/cicd-agent.yml", ".github/cicd-agent.yaml", "AGENTS.md", "agents.md",
     ".github/copilot-instructions.md", "CODEOWNERS", ".github/CODEOWNERS", "docs/codeowners"],
)  # fmt: skip
def test_settings_guidance_and_codeowners_govern_the_review(path: str) -> None:
    assert governs_review(path)


@pytest.mark.parametrize("path", ["src/AGENTS.md", "README.md", ".github/workflows/ci.yml", ""])
def test_other_files_and_other_places_do_not(path: str) -> None:
    assert not governs_review(path)


def test_gits_own_settings_files_are_named_by_their_lower_case_name() -> None:
    assert set(GIT_SETTINGS) == {".gitattributes", ".mailmap", ".gitmodules", ".lfsconfig"}
    assert all(name == name.lower() and text for name, text in GIT_SETTINGS.items())
