"""A job log held in memory, as the tests hand one to the log reader (the mode reads logs from
files and archives alone)."""

from __future__ import annotations

import io

from cicd_agent.modes.analyse_failure.logs.sources import JobLog, LogPart


def job_log(name: str, data: bytes, *, conclusion: str | None = None) -> JobLog:
    return JobLog(name, (LogPart(lambda: io.BytesIO(data), source=name),), conclusion)
