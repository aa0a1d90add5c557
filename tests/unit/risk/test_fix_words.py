"""What counts as a fix in a mined history (the labels and the FIX feature), on a real git
history: a dependency bot's version bump is not a fix because its footer names the semver
level. On batch K (research/risk/results.md) 251 of mockito's 527 bumps were fixes by the word
"patch" in ``update-type: version-update:semver-patch`` alone, and each blamed the bump before it.
"""

from __future__ import annotations

from pathlib import Path

from cicd_agent.local.gitrepo import GitRepo
from cicd_agent.risk import mining
from tests.git_builder import GitRepoBuilder

BOT = "dependabot[bot] <49699333+dependabot[bot]@users.noreply.github.com>"
BUMP = """Bump versions.bytebuddy from 1.12.13 to 1.12.14 (#2734)

Bumps `versions.bytebuddy` from 1.12.13 to 1.12.14.

---
updated-dependencies:
- dependency-name: net.bytebuddy:byte-buddy
  dependency-type: direct:production
  update-type: version-update:semver-patch
...

Signed-off-by: dependabot[bot] <support@github.com>
"""


def test_a_bots_semver_patch_footer_does_not_make_a_bump_a_fix(tmp_path: Path) -> None:
    repo = GitRepoBuilder(tmp_path / "bumps")
    repo.commit("Add build", {"build.gradle": "bytebuddy = '1.12.13'\n"}, author=BOT)
    repo.commit(BUMP, {"build.gradle": "bytebuddy = '1.12.14'\n"}, author=BOT)
    repo.commit("Fix the parser crash on empty input", {"Parser.java": "class P {}\n"})

    mined = {c.subject: c.fix for c in mining.mine(GitRepo.open(repo.path), "HEAD")}

    assert mined["Fix the parser crash on empty input"] is True  # the words still count
    assert mined["Bump versions.bytebuddy from 1.12.13 to 1.12.14 (#2734)"] is False
