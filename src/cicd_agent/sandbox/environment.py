"""What a run's environment holds, and what the host-side ``bwrap`` process starts with.

A run never sees the job's secrets (:func:`scrub_environment`); variables borrowed from a log
(a failed step's ``env:``) are filtered before they reach the inside (:func:`borrowable`); and
the host side starts with :data:`HOST_ENVIRONMENT` alone, which nothing untrusted chose.

The same scrubber, at its trusted strength, is the least every process cicd-agent starts gets
(:mod:`cicd_agent.local.processes`): the job's own token and keys (:func:`is_own`) and every
value the run holds as a secret never reach a command, whoever wrote it.
"""

from __future__ import annotations

import ctypes
import os
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path

from cicd_agent.analysis.redact import find_secrets, known_secrets_from_env
from cicd_agent.runner.masking import is_secret_name

# Variables a generated test never sees. Prefixes cover the runner's tokens and file-command
# paths (GITHUB_ENV/GITHUB_OUTPUT would let a test steer later steps), action inputs, model
# and cloud credentials, git's credential helpers, and our own coverage switch.
_DROPPED_PREFIXES = (
    "GITHUB_",
    "RUNNER_",
    "ACTIONS_",
    "INPUT_",
    "CICD_AGENT_",
    "CICD_GENTESTS_",
    "OPENAI_",
    "AZURE_",
    "AWS_",
    "GOOGLE_",
    "GH_",
    "GIT_",
    "SSH_",
    "GPG_",
    "COVERAGE_",
)

_DROPPED_NAMES = frozenset({"DBUS_SESSION_BUS_ADDRESS", "KUBECONFIG", "NETRC", "DOCKER_CONFIG"})

_KEPT_NAMES = frozenset({"GITHUB_ACTIONS"})

_OWN_NAMES = frozenset({"GITHUB_TOKEN", "GH_TOKEN", "GH_ENTERPRISE_TOKEN", "OPENAI_API_KEY"})
_OWN_PREFIXES = ("INPUT_", "ACTIONS_", "CICD_AGENT_")
"""What cicd-agent itself was given: the job's token (and the GitHub CLI's names for it), the
model's key, the action's inputs (``INPUT_*`` and their JSON, ``CICD_AGENT_INPUTS``) and the
runner's own tokens (``ACTIONS_RUNTIME_TOKEN``, ``ACTIONS_ID_TOKEN_REQUEST_TOKEN``)."""

HOST_ENVIRONMENT = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"}
"""The whole environment of the host-side ``bwrap`` process: nothing a run, a log or the job
chose (``LD_PRELOAD``, ``GCONV_PATH`` and the like would run code there, beside our secrets)."""

# Borrowed variables (a log's ``env:``) a run never gets: the places we set ourselves, and the
# variables that make a loader, a shell or an interpreter run code it was not asked to run.
# Inside the sandbox the step's own script could set them too, so dropping them costs nothing;
# it keeps our own launches there (``git apply``, gen-tests' boot files) as we start them.
_BORROW_OURS = frozenset(
    {"PATH", "HOME", "TMPDIR", "TMP", "TEMP", "PWD", "OLDPWD", "SHELL", "USER", "LOGNAME"}
)

_BORROW_HIJACKS = frozenset(
    {
        "GCONV_PATH", "GLIBC_TUNABLES", "LOCPATH", "NLSPATH", "HOSTALIASES", "RES_OPTIONS",
        "LOCALDOMAIN", "MALLOC_CHECK_", "MALLOC_TRACE", "BASH_ENV", "ENV", "SHELLOPTS",
        "BASHOPTS", "PS4", "PROMPT_COMMAND", "IFS", "CDPATH", "GLOBIGNORE", "PERL5LIB",
        "PERL5OPT", "PERLLIB", "PERL5DB", "RUBYOPT", "RUBYLIB", "NODE_OPTIONS", "NODE_PATH",
        "JAVA_TOOL_OPTIONS", "_JAVA_OPTIONS", "JDK_JAVA_OPTIONS", "CLASSPATH",
    }
)  # fmt: skip

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


def _relative_entries(search_path: str) -> bool:
    entries = search_path.split(os.pathsep)
    return all(
        entry and not entry.startswith(("/", "~")) and ".." not in Path(entry).parts
        for entry in entries
    )


def is_own(name: str) -> bool:
    """Whether a variable is one cicd-agent itself was given (:data:`_OWN_NAMES`)."""
    upper = name.upper()
    return upper in _OWN_NAMES or upper.startswith(_OWN_PREFIXES)


def own_secrets(environ: Mapping[str, str]) -> list[str]:
    """The secret values among cicd-agent's own variables (the token, the key, the secret
    inputs), to be found under whatever other name a workflow copied them to."""
    return known_secrets_from_env({name: value for name, value in environ.items() if is_own(name)})


def scrub_environment(
    environ: Mapping[str, str],
    *,
    known_secrets: Iterable[str] = (),
    secret_names: Iterable[str] = (),
    trusted: bool = False,
) -> dict[str, str]:
    """``environ`` without anything a command must not see.

    Always gone: cicd-agent's own variables (:func:`is_own`), the names in ``secret_names``,
    and every variable whose value holds one of ``known_secrets`` or of :func:`own_secrets`.
    Unless ``trusted`` (code GitHub vouches for, or a program of ours), also every
    secret-named or secret-shaped variable and the runner's, git's and the clouds' (see the
    module doc): what a generated test, a fork's tests or anything in the sandbox gets."""
    extra = {name.strip().upper() for name in secret_names if name.strip()}
    known = [value for value in (*known_secrets, *own_secrets(environ)) if value]
    kept: dict[str, str] = {}
    for name, value in environ.items():
        upper = name.upper()
        if upper in _KEPT_NAMES:
            kept[name] = value
        elif is_own(name) or upper in extra or any(secret in value for secret in known):
            continue
        elif trusted or not (
            upper.startswith(_DROPPED_PREFIXES)
            or upper in _DROPPED_NAMES
            or is_secret_name(name)
            or find_secrets(f"{name}={value}")
        ):
            kept[name] = value
    return kept


def protect_own_environment() -> None:
    """Without a sandbox, stop same-user processes reading our environment in /proc."""
    if not sys.platform.startswith("linux"):
        return
    pr_set_dumpable = 4
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(pr_set_dumpable, 0, 0, 0, 0)
