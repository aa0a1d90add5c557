"""Slips a reader trips on that no linter sees: a module-level function nothing names (dead
code ruff cannot tell from an API), a module too long to take in, and the formatter turned off
to pack one in. They read the files as text: cheap."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CALLERS = ("src", "tests", "bench", "tools")


def _texts(folder: str) -> dict[Path, str]:
    return {path: path.read_text(encoding="utf-8") for path in (ROOT / folder).rglob("*.py")}


def test_every_module_level_function_is_named_somewhere_else() -> None:
    """``def name`` at the top of a module in ``src/`` is called or named by some other line
    (``src/``, its tests, the benches or the tools); pytest's hooks are called by name."""
    source = _texts("src")
    words = Counter(
        word
        for folder in CALLERS
        for text in (source if folder == "src" else _texts(folder)).values()
        for word in re.findall(r"\w+", text)
    )
    unnamed = [
        f"{path.relative_to(ROOT)}: {name}"
        for path, text in source.items()
        for name in re.findall(r"(?m)^(?:async )?def ([A-Za-z]\w*)\(", text)
        if words[name] < 2 and not name.startswith("pytest_")
    ]
    assert unnamed == []


MODULE_LINES = 450


def test_no_module_is_over_the_length_a_reader_takes_in() -> None:
    """CONTRIBUTING: a module over 450 lines is split along a seam a reader would guess."""
    long = {
        str(path.relative_to(ROOT)): lines
        for path, text in _texts("src").items()
        if (lines := text.count("\n")) > MODULE_LINES
    }
    assert long == {}


def test_no_line_of_src_is_kept_from_the_formatter() -> None:
    """The module cap is met by splitting, never by packing lines past ``ruff format``: a
    formatter marker lets a module hold more than the cap allows."""
    marker = "fmt: " + "skip"
    packed = [
        f"{path.relative_to(ROOT)}:{number}"
        for path, text in _texts("src").items()
        for number, line in enumerate(text.splitlines(), start=1)
        if marker in line or "fmt: " + "off" in line
    ]
    assert packed == []
