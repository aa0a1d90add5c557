"""The files that govern how a pull request is reviewed, and who must approve it: the settings
file, the model's guidance and CODEOWNERS (and git's own settings files). A run reads them from
the base, so a change to one does not govern its own review, but governs every review after it is
merged: review flags such a change, and the fix step never makes one."""

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


GIT_SETTINGS = {
    ".gitattributes": "how git and GitHub read each file: binary or text, which diff driver or "
    "filter runs on it, whether GitHub folds it away as generated",
    ".mailmap": "which name and address every commit's author is shown under",
    ".gitmodules": "which repositories are fetched into this one, and from where",
    ".lfsconfig": "where Git LFS fetches and pushes every large file",
}
"""Files of the tree that git (and git-lfs) read as their own settings, by lower-case name: a
case-insensitive file system opens ``.GitAttributes`` for ``.gitattributes``. This run reads
none of them from the pull request (:mod:`cicd_agent.local.git`), but other tools, people and
later runs on the merged branch do."""
