"""What a checkout's ``package.json`` files say, read through the checkout's one reader (no
link followed, bounded): one reader for the JavaScript runners and review's eslint alike, so a
package's version is read the same way wherever it is asked."""

from __future__ import annotations

import json
import re
from pathlib import Path

from cicd_agent.local.checkout_files import CheckoutFileError, read_text


def package_json(checkout: Path, path: str = "package.json") -> dict[str, object]:
    """The object in the checkout's ``path`` (a ``package.json``); empty when it is missing,
    too large or no object."""
    try:
        document = json.loads(read_text(checkout, path))
    except (CheckoutFileError, ValueError, RecursionError):
        return {}
    return document if isinstance(document, dict) else {}


def installed(checkout: Path, package: str) -> tuple[int, ...]:
    """The major and minor version of ``package`` in the checkout's ``node_modules`` (``()``:
    none read)."""
    version = package_json(checkout, f"node_modules/{package}/package.json").get("version")
    # at most 12 digits: a longer number is no version, and int() would throw
    match = re.match(r"(\d{1,12})\.(\d{1,12})\b", version) if isinstance(version, str) else None
    return (int(match[1]), int(match[2])) if match else ()
