"""Zip archives from outside (a run's logs, an artifact of test reports): what reading one can
raise when it is damaged, in one place, so every reader refuses the same archives the same way.

``zipfile`` reports a damaged archive with many exceptions besides ``BadZipFile``: a directory
whose offsets point before the file's start (``ValueError``), a member cut short (``EOFError``,
``zlib.error``, ``lzma.LZMAError``), an encrypted member (``RuntimeError``), a compression
method it does not read (``NotImplementedError``), a read past the end (``OSError``).
"""

from __future__ import annotations

import lzma
import zipfile
import zlib

DAMAGED: tuple[type[Exception], ...] = (
    zipfile.BadZipFile, zlib.error, lzma.LZMAError, EOFError, OSError, ValueError,
    NotImplementedError, RuntimeError,
)  # fmt: skip
"""Every exception reading a damaged, cut, encrypted or foreign zip archive raises."""
