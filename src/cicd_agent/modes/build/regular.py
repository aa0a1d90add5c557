"""The one way the build mode opens a file it reads: an image layout's index, manifests and
layers, an image tar, OSV records, an OpenVEX file.

Such a file may be anything by the time it is opened, whatever a check before said: a FIFO
(whose open waits for a writer that never comes), a device, a link. :func:`regular` opens
without following a link at the last part and without waiting (``O_NONBLOCK``), and reads only
when what it opened is a regular file; anything else is refused unread.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import BinaryIO

FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC


class NotRegular(OSError):
    """The path is not a regular file (a FIFO, a device, a folder, a link); not read."""


def regular(path: Path) -> BinaryIO:
    """``path`` opened for reading, refused (:class:`NotRegular`) unless a regular file that is
    no link."""
    try:
        descriptor = os.open(path, FLAGS)
    except OSError as exc:
        if exc.errno == 40:  # ELOOP: the last part is a link
            raise NotRegular(f"{path.name} is a link; not read") from None
        raise
    found = os.fstat(descriptor)
    if not stat.S_ISREG(found.st_mode):
        os.close(descriptor)
        raise NotRegular(f"{path.name} is not a regular file; not read")
    os.set_blocking(descriptor, True)
    return os.fdopen(descriptor, "rb")
