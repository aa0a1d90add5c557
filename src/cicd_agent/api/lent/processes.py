"""Lent to build, and may change with it: a tool process on the host (a container builder,
which isolates what it runs itself): :func:`stream` (its lines as they come, bounded in
time), :func:`runs` (is it there), :func:`host_tool` (where it is)."""

from __future__ import annotations

from cicd_agent.local.processes import host_tool, runs, stream

__all__ = [
    "host_tool",
    "runs",
    "stream",
]
