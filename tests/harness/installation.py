"""An installation of cicd-agent of a test's own: a virtual environment whose site-packages
adds the suite's (the project and its dependencies), so a distribution installed into it is
installed beside cicd-agent as ``pip install`` in the action's environment would put it, and
nothing else the suite runs sees it."""

from __future__ import annotations

import subprocess
import sys
import sysconfig
from pathlib import Path


def installation(folder: Path) -> Path:
    """The Python of a new environment in ``folder`` that runs this checkout's cicd-agent; its
    site-packages is :func:`site_packages` of it."""
    subprocess.run(
        [sys.executable, "-m", "venv", "--without-pip", str(folder)],
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    python = folder / "bin" / "python"
    ours = sysconfig.get_paths()["purelib"]
    (site_packages(python) / "_suite.pth").write_text(
        f"import site; site.addsitedir({ours!r})\n", encoding="utf-8"
    )
    return python


def site_packages(python: Path) -> Path:
    """Where ``python``'s environment installs distributions."""
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    return python.parent.parent / "lib" / version / "site-packages"
