"""Every page under docs/ is reachable from the README, and every relative link in the README, the
docs, CONTRIBUTING.md, BENCHMARKS.md and the research write-ups resolves: to a file or folder of the
repository, and, with a ``#fragment``, to a heading of that page as GitHub names its anchors."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import pytest

from tests.harness.payloads import REPO_ROOT

ROOT = REPO_ROOT
LINK = re.compile(r"\]\(([^)\s]+)\)")
FENCE = re.compile(r"^```.*?^```", re.M | re.S)


def pages() -> list[Path]:
    return [
        ROOT / "README.md", ROOT / "CONTRIBUTING.md", ROOT / "BENCHMARKS.md",
        *sorted((ROOT / "docs").rglob("*.md")), *sorted((ROOT / "research").rglob("*.md")),
    ]  # fmt: skip


def links(page: Path) -> list[str]:
    """The link targets of a page, code blocks left out."""
    return LINK.findall(FENCE.sub("", page.read_text(encoding="utf-8")))


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


@cache
def anchors(page: Path) -> frozenset[str]:
    seen: dict[str, int] = {}
    found = set()
    for heading in re.findall(
        r"^#{1,6} (.+)$", FENCE.sub("", page.read_text(encoding="utf-8")), re.M
    ):
        base = slug(heading)
        count = seen.get(base, 0)
        found.add(f"{base}-{count}" if count else base)
        seen[base] = count + 1
    return frozenset(found)


def target(page: Path, link: str) -> tuple[Path, str] | None:
    """Where a relative link points (the file, the fragment); None for a web or mail link."""
    if re.match(r"^[a-z][a-z+.-]*:", link):
        return None
    path, _, fragment = link.partition("#")
    return (page.parent / path).resolve() if path else page, fragment


@pytest.mark.parametrize("page", pages(), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_relative_link_resolves(page: Path) -> None:
    broken = []
    for link in links(page):
        found = target(page, link)
        if found is None:
            continue
        path, fragment = found
        exists = path.exists() and path.is_relative_to(ROOT)
        anchored = not fragment or (path.suffix == ".md" and fragment in anchors(path))
        if not (exists and anchored):
            broken.append(link)
    assert broken == []


def test_every_docs_page_is_reachable_from_the_readme() -> None:
    reached = {ROOT / "README.md"}
    todo = [ROOT / "README.md"]
    while todo:
        page = todo.pop()
        for link in links(page):
            found = target(page, link)
            if found is None:
                continue
            path = found[0] / "README.md" if found[0].is_dir() else found[0]
            if path.suffix == ".md" and path.exists() and path not in reached:
                reached.add(path)
                todo.append(path)
    unlinked = sorted(
        str(p.relative_to(ROOT)) for p in (ROOT / "docs").rglob("*.md") if p not in reached
    )
    assert unlinked == []


def test_the_link_checker_sees_a_broken_link_and_an_unknown_anchor(tmp_path: Path) -> None:
    """The checks above can fail: a missing file and a fragment no heading makes are caught."""
    page = tmp_path / "page.md"
    page.write_text(
        "# A title: `with` code\n\n[x](missing.md) [y](#nope) [z](#a-title-with-code)\n"
    )
    assert anchors(page) == {"a-title-with-code"}
    found = [target(page, link) for link in links(page)]
    assert found[0] is not None and not found[0][0].exists()
    assert found[1] is not None and found[1][1] not in anchors(page)
