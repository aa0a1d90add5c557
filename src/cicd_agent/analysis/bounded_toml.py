"""The one TOML reader for text a pull request controls (its ``pyproject.toml``, a manifest):
``tomllib`` recurses once per level of an inline array or table, so a file of a few hundred
kilobytes of ``[[[[`` raises ``RecursionError``, which no caller expected; here it is one
:class:`TomlRefused`, like every other way the text is not TOML."""

from __future__ import annotations

import tomllib
from typing import Any


class TomlRefused(ValueError):
    """The text is not TOML this reader passes on."""


def load(text: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise TomlRefused(str(exc)) from None
    except RecursionError:
        raise TomlRefused("nested too deeply") from None
