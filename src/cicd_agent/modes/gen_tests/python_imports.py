"""Python modules by name: a source file's dotted name, as a test written for it imports it."""

from __future__ import annotations

from pathlib import PurePosixPath


def module_name(path: str) -> str:
    """The dotted import name of a source file, for ``src/``-layout and flat projects alike."""
    parts = list(PurePosixPath(path).with_suffix("").parts)
    if len(parts) > 1 and parts[0] in ("src", "lib", "python"):
        parts = parts[1:]
    if parts and parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)
