"""The README's pictures show today's output: the HTML pages ``tools/render_pictures.py`` makes
from fresh offline runs equal the committed ones its PNGs were taken of (run the tool when
not), and the README shows every picture."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from tests.harness.payloads import REPO_ROOT

IMAGES = REPO_ROOT / "docs" / "images"


def _tool() -> object:
    spec = importlib.util.spec_from_file_location(
        "render_pictures", REPO_ROOT / "tools/render_pictures.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_pictures_pages_are_what_the_product_writes_today(tmp_path: Path) -> None:
    made: dict[str, str] = _tool().pages(tmp_path)  # type: ignore[attr-defined]
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
