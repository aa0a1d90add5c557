"""Running zizmor, the one part of the workflow audit that starts a process: offline,
``--no-config`` and ``--no-ignores`` (which ``# zizmor: ignore`` comments count is
:mod:`cicd_agent.analysis.workflows.ignores`' call, which knows who wrote them), a scrubbed
environment, a time limit."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import sysconfig
import tempfile
from collections.abc import Mapping
from pathlib import Path

from cicd_agent.analysis.workflows.auditor import TIMED_OUT, ZizmorResults
from cicd_agent.local import processes

ZIZMOR_TIMEOUT_SECONDS = 60.0
"""zizmor audits a typical workflow in milliseconds; a minute means something is wrong."""

_REFUSED = re.compile(r"failed to validate file://(\S+) as (workflow|action)")
_SCHEMA = "zizmor's schema check"
MISSING = "zizmor is not installed (it comes with cicd-agent: reinstall it, or put zizmor on PATH)"


class WorkflowAuditError(RuntimeError):
    """zizmor could not run or gave output we cannot read; the message says which."""


def zizmor_binary() -> str | None:
    """The zizmor installed with this package (the wheel's script), else one on PATH that no
    repository put there (:func:`cicd_agent.local.processes.host_tool`)."""
    beside = Path(sysconfig.get_path("scripts")) / "zizmor"
    if beside.is_file():
        return str(beside)
    near_python = Path(sys.executable).parent / "zizmor"
    return str(near_python) if near_python.is_file() else processes.host_tool("zizmor", os.environ)


def audit_each_if_needed(
    files: Mapping[str, str], timeout: float = ZIZMOR_TIMEOUT_SECONDS
) -> tuple[list[dict[str, object]], dict[str, str]]:
    """All files in one zizmor run; when that run fails, each file alone, so one file zizmor
    cannot read does not leave the others unaudited. Returns (findings, path -> why not)."""
    try:
        return run_zizmor(files, timeout=timeout)
    except WorkflowAuditError as error:
        # Out of time once is enough: N more runs could each take as long.
        if len(files) == 1 or str(error).startswith(TIMED_OUT):
            return [], dict.fromkeys(files, str(error))
    results: list[dict[str, object]] = []
    refused: dict[str, str] = {}
    for path, text in files.items():
        try:
            found, skipped = run_zizmor({path: text}, timeout=timeout)
        except WorkflowAuditError as error:
            refused[path] = str(error)
            continue
        results += found
        refused.update(skipped)
    return results, refused


class ZizmorAudit:
    """:func:`audit_each_if_needed` as one run's auditor, remembering whether zizmor ran:
    ``ran`` is None until a file needs it; ``could_not_run`` says why not, when no file was
    audited for a reason of zizmor's own (a file its schema check refused was audited). The
    same files asked again get the first answer: zizmor runs once on them per run."""

    def __init__(self) -> None:
        self.ran: bool | None = None
        self.could_not_run = ""
        self._answered: tuple[dict[str, str], ZizmorResults] | None = None

    def __call__(self, files: Mapping[str, str]) -> ZizmorResults:
        if not files:
            return [], {}
        if self._answered is not None and self._answered[0] == files:
            results, refused = self._answered[1]
            return list(results), dict(refused)
        results, refused = audit_each_if_needed(files)
        self._answered = (dict(files), (list(results), dict(refused)))
        failed = [why for why in refused.values() if not why.startswith(_SCHEMA)]
        self.ran = results != [] or len(failed) < len(files)
        self.could_not_run = "" if self.ran else failed[0]
        return results, refused


def run_zizmor(
    files: Mapping[str, str], *, timeout: float = ZIZMOR_TIMEOUT_SECONDS
) -> tuple[list[dict[str, object]], dict[str, str]]:
    """zizmor's JSON findings for ``files`` (path → text), and those its schema check refused
    (path → why). The files are written to a fresh folder, so zizmor sees nothing else of the
    checkout."""
    binary = zizmor_binary()
    if binary is None:
        raise WorkflowAuditError(f"{MISSING}, so workflow files were not audited")
    with tempfile.TemporaryDirectory(prefix="cicd-agent-zizmor-") as folder:
        root = Path(folder)
        for path, text in files.items():
            target = root / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
        command = [
            binary,
            "--offline",
            "--no-config",
            "--no-ignores",
            "--no-exit-codes",
            "--no-progress",
            "--color",
            "never",
            "--format",
            "json",
            "--persona",
            "regular",
            "--",
            *sorted(files),
        ]
        # No token, no proxy, no GITHUB_* variable: zizmor needs none of them offline.
        env = {"PATH": os.defpath, "HOME": folder, "NO_COLOR": "1", "LC_ALL": "C.UTF-8"}
        try:
            done = processes.run(
                command, cwd=folder, env=env, capture_output=True, timeout=timeout, check=False
            )
        except subprocess.TimeoutExpired:
            raise WorkflowAuditError(
                f"{TIMED_OUT} within {timeout:g} s, so workflow files were not audited"
            ) from None
        except OSError as error:
            raise WorkflowAuditError(f"zizmor could not be started: {error}") from None
    log = done.stderr.decode("utf-8", "replace")
    refused = {
        match.group(1): f"{_SCHEMA} refused it as a {match.group(2)}"
        for match in _REFUSED.finditer(log)
        if match.group(1) in files
    }
    if done.returncode != 0:
        if refused and "no inputs collected" in log:
            return [], refused
        last = [line.strip() for line in log.strip().splitlines() if line.strip()][-1:]
        reason = last[0][:200] if last else "no output"
        raise WorkflowAuditError(f"zizmor failed (exit {done.returncode}): {reason}")
    try:
        results = json.loads(done.stdout)
    except ValueError:
        raise WorkflowAuditError("zizmor's output was not JSON") from None
    if not isinstance(results, list):
        raise WorkflowAuditError("zizmor's output was not a list of findings")
    return [result for result in results if isinstance(result, dict)], refused
