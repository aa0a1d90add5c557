"""The test command's set-up (tests/harness/setup.sh) waits for another process's apt or dpkg
lock instead of stopping: seen on a fresh machine where an unattended upgrade held it, the
script exited 100 and the README's ``&&`` ended there."""

from __future__ import annotations

import re

from tests.harness.payloads import REPO_ROOT


def test_every_apt_get_of_the_set_up_waits_for_the_lock() -> None:
    text = (REPO_ROOT / "tests" / "harness" / "setup.sh").read_text(encoding="utf-8")
    calls = [line for line in text.splitlines() if re.search(r"\bapt-get\b", line)
             and not line.lstrip().startswith("#")]  # fmt: skip
    assert calls
    assert [line for line in calls if "DPkg::Lock::Timeout=" not in line] == []
