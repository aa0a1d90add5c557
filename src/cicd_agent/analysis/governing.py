"""The files that govern how a pull request is reviewed, and who must approve it.

The settings file, the model's guidance (``AGENTS.md``, Copilot's instructions) and CODEOWNERS.
A run reads them from the base commit, never from the pull request, so a change to one does not
govern its own review, but it governs every review after it is merged. Review therefore flags
such a change (:mod:`cicd_agent.analysis.findings`), and the fix step never makes one.
"""

from __future__ import annotations

CONFIG_PATH = ".github/cicd-agent.yml"
GUIDANCE_PATHS = ("AGENTS.md", ".github/copilot-instructions.md")
CODEOWNERS_PATHS = ("CODEOWNERS", ".github/CODEOWNERS", "docs/CODEOWNERS")
"""Where GitHub looks for the file that says who must approve a change."""
GOVERNING_PATHS = frozenset(
    path.lower()
    for path in (CONFIG_PATH, ".github/cicd-agent.yaml", *GUIDANCE_PATHS, *CODEOWNERS_PATHS)
)
"""Lower-cased, so a case-insensitive file system's spelling of one matches too."""


def governs_review(path: str) -> bool:
    """Whether ``path`` (relative, ``/``-separated) is one of :data:`GOVERNING_PATHS`."""
    return path.lower() in GOVERNING_PATHS
