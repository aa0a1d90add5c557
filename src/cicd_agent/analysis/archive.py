"""Zip archives from outside (a run's logs, an artifact of test reports): every exception reading
a damaged one can raise, in one place, so every reader refuses the same archives alike.
``zipfile`` raises many besides ``BadZipFile`` (``ValueError``, ``EOFError``, ``zlib.error``,
``RuntimeError`` for an encrypted member, ``NotImplementedError``, ``OSError``)."""

from __future__ import annotations

import lzma
import zipfile
import zlib

DAMAGED: tuple[type[Exception], ...] = (
    zipfile.BadZipFile,
    zlib.error,
    lzma.LZMAError,
    EOFError,
    OSError,
    ValueError,
    NotImplementedError,
    RuntimeError,
)
"""Every exception reading a damaged, cut, encrypted or foreign zip archive raises."""
