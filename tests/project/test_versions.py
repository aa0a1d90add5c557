"""One version story across the package, the release notes, the README and the examples.

The scheme (README, "Versioning"): 0.x releases tagged ``vX.Y.Z`` from ``pyproject.toml``, no
moving tag, pins by full SHA with the release in a comment; until the first tag exists the
examples pin a commit of ``main`` commented ``# main, before vX.Y.Z``.
"""

from __future__ import annotations

import re
import tomllib

from tests.harness.payloads import REPO_ROOT
from tests.harness.workflows import EXAMPLES

ROOT = REPO_ROOT
USES = re.compile(r"org/cicd-agent@(\S+)(?:[ \t]+#[ \t]*(.*))?$", re.MULTILINE)
MOVING_TAG = re.compile(r"(?:cicd-agent@|cicd-agent:)v\d+(?![.\d])|`v\d+`(?! *,)")


def version() -> str:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return str(project["version"])


def released(changelog: str, number: str) -> bool:
    """The release notes have a section for ``number``; else it is the [Unreleased] one."""
    headings = re.findall(r"^## \[([^\]]+)\]", changelog, re.MULTILINE)
    assert headings and headings[0] in ("Unreleased", number), headings[:1]
    return number in headings


def pin_comment(number: str, changelog: str) -> str:
    return f"v{number}" if released(changelog, number) else f"main, before v{number}"


def test_package_version_is_the_one_in_pyproject() -> None:
    init = (ROOT / "src/cicd_agent/__init__.py").read_text()
    assert re.search(r'^__version__ = "([^"]+)"', init, re.MULTILINE)[1] == version()  # type: ignore[index]
    assert re.fullmatch(r"0\.\d+\.\d+", version()), "the scheme is 0.x until a 1.0 is decided"


def test_changelog_names_the_next_release_or_has_it() -> None:
    changelog = (ROOT / "CHANGELOG.md").read_text()
    if not released(changelog, version()):
        unreleased = changelog.split("## [Unreleased]", 1)[1].split("\n## ", 1)[0]
        assert f"to be tagged `v{version()}`" in unreleased


def test_readme_changelog_and_examples_agree_on_tags_and_pins() -> None:
    changelog = (ROOT / "CHANGELOG.md").read_text()
    readme = (ROOT / "README.md").read_text()
    expected = pin_comment(version(), changelog)
    texts = {"README.md": readme, "CHANGELOG.md": changelog}
    texts.update(
        {str(p.relative_to(ROOT)): p.read_text() for p in sorted(ROOT.glob("docs/**/*.md"))}
    )
    texts.update({f"examples/{p.name}": p.read_text() for p in sorted(EXAMPLES.glob("*.yml"))})
    pins = 0
    for name, text in texts.items():
        assert not MOVING_TAG.findall(text.replace("no `v0`, no `v1`", "")), name
        for tag in re.findall(r"ghcr\.io/org/cicd-agent:(\S+?)[`\s]", text):
            assert tag == f"v{version()}", (name, tag)
        for ref, comment in USES.findall(text):
            if ref.startswith("<"):  # the README's placeholder: any release's SHA
                assert comment == f"v{version()}", (name, comment)
                continue
            assert re.fullmatch(r"[0-9a-f]{40}", ref), (name, ref)
            assert comment == expected, (name, ref, comment)
            pins += 1
    assert pins >= 9  # the README's snippet and every cicd-agent step of the examples
