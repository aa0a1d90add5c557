"""An append-only JSON-lines audit trail: one line per run, so a deploy decision can be traced.

Why a file and not only the summary: the summary is per job and disappears with the run's
retention; the file can be uploaded as an artifact or shipped to a log store. Each line holds
a digest of the inputs (so two runs can be shown to have seen the same thing), the signals,
the verdict, and the model and its usage. Secrets never enter it: callers pass only values
that are already outputs or redacted.

The default location never dirties the user's checkout: ``$RUNNER_TEMP/cicd-agent/`` on a
runner, else inside the repository's git directory (``.git/cicd-agent/``), which git never
lists as a change.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cicd_agent import __version__
from cicd_agent.local.checkout_files import write_output
from cicd_agent.local.gitrepo import GitRepo
from cicd_agent.runner.errors import UsageError

AUDIT_FOLDER = "cicd-agent"


def default_audit_path(environ: Mapping[str, str], mode: str, checkout: Path) -> Path:
    """Where the audit file goes when the ``audit-file`` input is not given (module docstring).

    The git directory is asked of git, not guessed as ``checkout/.git``: in a worktree or a
    submodule ``.git`` is a file, and the audit must not land in the working tree."""
    name = f"{mode}-audit.jsonl"
    runner_temp = environ.get("RUNNER_TEMP")
    if runner_temp:
        return Path(runner_temp) / AUDIT_FOLDER / name
    try:
        return GitRepo.open(checkout).shared_dir / AUDIT_FOLDER / name
    except UsageError:
        return Path(tempfile.gettempdir()) / AUDIT_FOLDER / name


def digest(values: Mapping[str, Any]) -> str:
    """A stable SHA-256 of ``values`` (keys sorted), to show which inputs a verdict saw."""
    canonical = json.dumps(values, sort_keys=True, separators=(",", ":"), default=str)
    return "sha256:" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def file_digest(path: Path) -> str:
    """SHA-256 of a file's bytes (reports the verdict rests on)."""
    with path.open("rb") as handle:
        return "sha256:" + hashlib.file_digest(handle, "sha256").hexdigest()


def append(path: Path, record: Mapping[str, Any], checkout: Path) -> Path:
    """Append one JSON line (with time and tool version) to ``path``, creating its folder
    (never through a link in ``checkout``).

    Raises OSError when the file cannot be written; callers decide whether that is fatal.
    """
    line = {
        "time": datetime.now(tz=UTC).isoformat(timespec="seconds"),
        "tool": f"cicd-agent {__version__}",
        **record,
    }
    text = json.dumps(line, sort_keys=True, default=str) + "\n"
    return write_output(checkout, path, text.encode("utf-8"), append=True)
