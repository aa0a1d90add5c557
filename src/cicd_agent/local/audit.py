"""An append-only JSON-lines audit trail: one line per run, so a deploy decision can be traced.

The summary disappears with the run's retention; the file can be kept as an artifact or shipped to a
log store. Each line holds a digest of the inputs (two runs can be shown to have seen the same
thing), the signals, the verdict and the model's usage. Every string of a line is redacted as it
is written (:func:`append`), whatever the caller passed.

Nothing is written unless asked: the file goes where ``audit-file`` names, else under
``$RUNNER_TEMP`` (removed with the job), and off a runner nowhere."""

from __future__ import annotations

import errno
import hashlib
import json
import os
import stat
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cicd_agent import __version__
from cicd_agent.local.checkout_files import write_output

AUDIT_FOLDER = "cicd-agent"


def default_audit_path(environ: Mapping[str, str], mode: str) -> Path | None:
    runner_temp = environ.get("RUNNER_TEMP")
    return Path(runner_temp) / AUDIT_FOLDER / f"{mode}-audit.jsonl" if runner_temp else None


def digest(values: Mapping[str, Any]) -> str:
    """A stable SHA-256 of ``values`` (keys sorted), to show which inputs a verdict saw."""
    canonical = json.dumps(values, sort_keys=True, separators=(",", ":"), default=str)
    return "sha256:" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()


MAX_DIGESTED = 1 << 30
"""The most of a report digested: past it the record says so, never reads on (a file of
``/proc`` says size 0 and may be hundreds of GB)."""


def file_digest(path: Path) -> str:
    """SHA-256 of a report's bytes (reports the verdict rests on), or why it was not read: a
    report may lie in the pull request's checkout, so its last part is never followed as a
    link, only a regular file is read (a FIFO is not waited on), and at most
    :data:`MAX_DIGESTED` of it."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as exc:
        link = exc.errno == errno.ELOOP
        return f"not read ({'a symbolic link' if link else exc.strerror})"
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return "not read (not a regular file)"
        hasher, left = hashlib.sha256(), MAX_DIGESTED + 1
        while left > 0 and (chunk := handle.read(min(left, 1 << 20))):
            hasher.update(chunk)
            left -= len(chunk)
    if left <= 0:
        return f"not read (more than {MAX_DIGESTED:,} bytes)"
    return "sha256:" + hasher.hexdigest()


def stamp() -> str:
    """The time an audit line carries: a record kept to be appended later says when it was made."""
    return datetime.now(tz=UTC).isoformat(timespec="seconds")


def append(
    path: Path, record: Mapping[str, Any], checkout: Path, *, redact: Callable[[str], str]
) -> Path:
    """Append one JSON line (with time and tool version; a ``time`` in ``record`` stands) to
    ``path``, never through a link in ``checkout``. Every string in it, a key as much as a
    value, passes ``redact`` here, the one writer: a record carries words a model or a log
    wrote (a tool's name a model made up) that no caller can be trusted to have redacted
    each. Raises OSError; callers decide whether that is fatal."""
    line = {
        "time": stamp(),
        "tool": f"cicd-agent {__version__}",
        **record,
    }
    text = json.dumps(_redacted(line, redact), sort_keys=True, default=str) + "\n"
    return write_output(checkout, path, text.encode("utf-8"), append=True)


def _redacted(value: object, redact: Callable[[str], str]) -> object:
    """``value`` with every string in it redacted, however deep (JSON's own shapes; any other
    value as the JSON line would show it, ``str``)."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, Mapping):
        return {redact(str(key)): _redacted(item, redact) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_redacted(item, redact) for item in value]
    if value is None or isinstance(value, bool | int | float):
        return value
    return redact(str(value))
