"""The mark for tests that run real buildah builds of ``FROM scratch`` images with Debian's
static busybox copied in: skipped on a machine without the two, never on CI.

``tests/harness/setup.sh`` installs both; where ``CI`` is set (GitHub sets it; so does the
fresh-clone run of ``.ci/run``) a missing one fails these tests instead, as
``tests.helpers.sandbox``'s mark does for bubblewrap: a skipped build counted as a pass would
hide what it checks.
"""

from __future__ import annotations

import os
import shutil

import pytest

BUSYBOX = shutil.which("busybox")
"""Debian's static busybox: the image's shell and tools."""
needs_buildah = pytest.mark.skipif(
    (shutil.which("buildah") is None or BUSYBOX is None) and not os.environ.get("CI"),
    reason="needs buildah and busybox-static (tests/harness/setup.sh installs them)",
)
