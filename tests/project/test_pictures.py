"""The README's pictures show today's output: the HTML pages ``tools/render_pictures.py`` makes
from fresh offline runs equal the committed ones its PNGs were taken of (run the tool when
not), and the README shows every picture."""

from __future__ import annotations

from pathlib import Path

from tools import render_pictures

from tests.harness.payloads import REPO_ROOT

IMAGES = REPO_ROOT / "docs" / "images"


def test_the_pictures_pages_are_what_the_product_writes_today(tmp_path: Path) -> None:
    made: dict[str, str] = render_pictures.pages(tmp_path)
    assert sorted(made) == ["check-run.png", "failure-comment.png", "job-summary.png", "review.png"]
    stale = [
        name for name, page in made.items()
        if (IMAGES / name.replace(".png", ".html")).read_text(encoding="utf-8") != page
    ]  # fmt: skip
    assert stale == [], "the output changed: run python tools/render_pictures.py"


def test_the_readme_shows_every_picture() -> None:
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    for png in sorted(IMAGES.glob("*.png")):
        assert f"](docs/images/{png.name})" in readme, png.name
