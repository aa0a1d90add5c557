"""What a run's environment holds, and what the host-side ``bwrap`` process starts with.

A run never sees the job's secrets (:func:`~cicd_agent.local.environment.scrub_environment`,
the scrubber every process cicd-agent starts goes through, here at its untrusted strength);
variables borrowed from a log (a failed step's ``env:``) are filtered before they reach the
inside (:func:`borrowable`); and the host side starts with :data:`HOST_ENVIRONMENT` alone,
which nothing untrusted chose.
"""

from __future__ import annotations

import ctypes
import os
import shlex
import stat
import sys
from collections.abc import Mapping
from pathlib import Path

HOST_ENVIRONMENT = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"}
"""The whole environment of the host-side ``bwrap`` process: nothing a run, a log or the job
chose (``LD_PRELOAD``, ``GCONV_PATH`` and the like would run code there, beside our secrets)."""


def system_program(name: str) -> str | None:
    """``name`` in the system's own folders (:data:`HOST_ENVIRONMENT`'s ``PATH``, never a ``PATH``
    a job or a checkout extends), a file root owns and no one else may write: what the sandbox
    runs on the host before a run's own program (its limits, its user namespace). None: none."""
    for folder in HOST_ENVIRONMENT["PATH"].split(os.pathsep):
        path = Path(folder, name)
        try:
            found = path.stat()
        except OSError:
            continue
        owned = found.st_uid == 0 and not found.st_mode & (stat.S_IWGRP | stat.S_IWOTH)
        if stat.S_ISREG(found.st_mode) and owned and os.access(path, os.X_OK):
            return str(path)
    return None


# Borrowed variables (a log's ``env:``) a run never gets: the places we set ourselves, and the
# variables that make a loader, a shell or an interpreter run code it was not asked to run.
# Inside the sandbox the step's own script could set them too, so dropping them costs nothing;
# it keeps our own launches there (``git apply``, gen-tests' boot files) as we start them.
_BORROW_OURS = frozenset(
    {"PATH", "HOME", "TMPDIR", "TMP", "TEMP", "PWD", "OLDPWD", "SHELL", "USER", "LOGNAME"}
)

_BORROW_HIJACKS = frozenset(
    {
        "GCONV_PATH",
        "GLIBC_TUNABLES",
        "LOCPATH",
        "NLSPATH",
        "HOSTALIASES",
        "RES_OPTIONS",
        "LOCALDOMAIN",
        "MALLOC_CHECK_",
        "MALLOC_TRACE",
        "BASH_ENV",
        "ENV",
        "SHELLOPTS",
        "BASHOPTS",
        "PS4",
        "PROMPT_COMMAND",
        "IFS",
        "CDPATH",
        "GLOBIGNORE",
        "PERL5LIB",
        "PERL5OPT",
        "PERLLIB",
        "PERL5DB",
        "RUBYOPT",
        "RUBYLIB",
        "NODE_OPTIONS",
        "NODE_PATH",
        "JAVA_TOOL_OPTIONS",
        "_JAVA_OPTIONS",
        "JDK_JAVA_OPTIONS",
        "CLASSPATH",
    }
)

_BORROW_HIJACK_PREFIXES = ("LD_", "DYLD_", "PYTHON", "BASH_FUNC_", "XDG_", "CICD_")


def borrowable(borrowed: Mapping[str, str]) -> dict[str, str]:
    """The variables of a log's ``env:`` a run may get (inside the sandbox only).

    Dropped: the places we set ourselves (``PATH``, ``HOME``, temp folders), the loader's,
    the shells' and the interpreters' hooks (``LD_*``, ``GCONV_PATH``, ``BASH_ENV``,
    ``PYTHON*``, ``NODE_OPTIONS``, ...). ``PYTHONPATH`` alone is kept when every entry is a
    relative folder of the repository (``src``): it goes after our own entries. A NUL byte
    (which no environment can hold, and no argv either) drops the variable.
    """
    return {
        name: value
        for name, value in borrowed.items()
        if "\0" not in name + value
        and (
            (name.upper() == "PYTHONPATH" and _relative_entries(value))
            or not (
                name.upper() in _BORROW_OURS
                or name.upper() in _BORROW_HIJACKS
                or name.upper().startswith(_BORROW_HIJACK_PREFIXES)
            )
        )
    }


def with_pytest_cache(addopts: str, folder: Path) -> str:
    """``PYTEST_ADDOPTS`` (``addopts``, a run's value) with pytest's cache in ``folder``, last.

    pytest reads its settings' ``addopts``, then this variable, then its command line, and the
    last ``-o`` of a setting wins over the one before and over the settings file: so the
    project's ``cache_dir`` (a folder of the checkout, shipped with a forged ``lastfailed``)
    is never the cache, while the cache plugin, which ``--failed-first`` and
    ``--last-failed`` need, stays loaded. Only a command line of the project's own choosing
    (the fix step's failing command) could name another cache, as it could name the tests."""
    return f"{addopts} {shlex.join(['-o', f'cache_dir={folder}'])}".strip()


def _relative_entries(search_path: str) -> bool:
    entries = search_path.split(os.pathsep)
    return all(
        entry and not entry.startswith(("/", "~")) and ".." not in Path(entry).parts
        for entry in entries
    )


def protect_own_environment() -> None:
    """Without a sandbox, stop same-user processes reading our environment in /proc."""
    if not sys.platform.startswith("linux"):
        return
    pr_set_dumpable = 4
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(pr_set_dumpable, 0, 0, 0, 0)
