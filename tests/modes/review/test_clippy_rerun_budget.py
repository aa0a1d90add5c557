"""The run clippy gets again with ``--cap-lints=warn`` (a crate whose own code denies clippy's
lints) spends what is left of the one time limit its caller gave, never a second limit: the
judge of a suggestion gives a lint what is left of its budget, and a pull request whose crate
denies its lints and builds slowly must not make that twice as long.

The linter here is a stand-in for cargo printing cargo's JSON, a real process in the real
sandbox: cargo's own build time cannot be set to a second, and it is the limit that is tested."""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

from cicd_agent.modes.review.lint.lint_command import LintCommand, run_lint
from cicd_agent.sandbox import Sandbox
from tests.helpers.gen_tests import path_env
from tests.helpers.sandbox import needs_sandbox

SPAN = {"file_name": "src/lib.rs", "line_start": 2, "is_primary": True, "label": None}


def _said(level: str, built: bool) -> str:
    lint = {"code": {"code": "clippy::manual_range_contains"}, "level": level,
            "message": "manual `RangeInclusive::contains` implementation", "spans": [SPAN]}  # fmt: skip
    lines = [{"reason": "compiler-message", "message": lint},
             {"reason": "build-finished", "success": built}]  # fmt: skip
    return "\n".join(json.dumps(line) for line in lines)


# each run takes SLOW seconds; the capped one (its lints kept as warnings) then finishes
CARGO = (
    "import sys, time\n"
    "capped = '--cap-lints=warn' in sys.argv\n"
    "time.sleep(float(sys.argv[1]))\n"
    f"print({_said('warning', True)!r} if capped else {_said('error', False)!r})\n"
    "sys.exit(0 if capped else 101)\n"
)
SLOW = 2.5
LIMIT = 4.0


@needs_sandbox
def test_attack_the_capped_rerun_spends_only_what_is_left_of_the_limit(tmp_path: Path) -> None:
    python = shutil.which("python3", path=path_env())
    assert python, "python3 is on the test PATH"
    checkout = tmp_path / "checkout"
    (checkout / "src").mkdir(parents=True)
    (checkout / "src/lib.rs").write_text("pub fn two(x: i32) -> bool {\n    x >= 1 && x <= 9\n}\n")
    clippy = LintCommand("clippy", (python, "-c", CARGO, str(SLOW)), "clippy", (".rs",))
    env = {"PATH": path_env(), "HOME": str(tmp_path / "home"), "LANG": "C.UTF-8"}
    with Sandbox(checkout, env) as box:
        started = time.monotonic()
        lint = run_lint(box, box.workspace("lint"), clippy, ["src/lib.rs"], timeout=LIMIT)
        spent = time.monotonic() - started
    assert lint.run is not None and not lint.run.timed_out, lint  # the first run finished
    assert spent < LIMIT + 1.0, (spent, lint)
    assert lint.stopped and not lint.denied, lint  # no capped run finished: no clean result


@needs_sandbox
def test_a_capped_rerun_within_the_limit_is_read(tmp_path: Path) -> None:
    """The other side: with time left for both runs, the capped run's lints are findings."""
    python = shutil.which("python3", path=path_env())
    assert python, "python3 is on the test PATH"
    checkout = tmp_path / "checkout"
    (checkout / "src").mkdir(parents=True)
    (checkout / "src/lib.rs").write_text("pub fn two(x: i32) -> bool {\n    x >= 1 && x <= 9\n}\n")
    clippy = LintCommand("clippy", (python, "-c", CARGO, "0.1"), "clippy", (".rs",))
    env = {"PATH": path_env(), "HOME": str(tmp_path / "home"), "LANG": "C.UTF-8"}
    with Sandbox(checkout, env) as box:
        lint = run_lint(box, box.workspace("lint"), clippy, ["src/lib.rs"], timeout=30)
    assert lint.denied and not lint.stopped, lint
    assert [(h.path, h.line, h.code, h.error) for h in lint.hits] == [
        ("src/lib.rs", 2, "manual_range_contains", True)
    ], lint
