"""The mark for tests that need bubblewrap: skipped on a machine without it, never on CI.

Where ``CI`` is set (GitHub sets it; so does the fresh-clone run of ``.ci/run``), a missing
sandbox fails these tests instead: a skipped sandbox test counted as a pass would hide exactly
the guarantee it checks.
"""

from __future__ import annotations

import os

import pytest

from cicd_agent.sandbox import find_bwrap, probe_isolation

ISOLATION = probe_isolation(find_bwrap(os.environ))
needs_sandbox = pytest.mark.skipif(
    not ISOLATION.sandboxed and not os.environ.get("CI"),
    reason=f"no sandbox here: {ISOLATION.detail}",
)
