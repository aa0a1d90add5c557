"""What every process cicd-agent starts is not handed: the scrubbed environment.

At its trusted strength (:func:`scrub_environment` with ``trusted``) it is the least every
process gets (:mod:`cicd_agent.local.processes`): the job's own token and keys
(:func:`is_own`) and every value the run holds as a secret never reach a command, whoever
wrote it. Untrusted, it is what a run in the sandbox gets (:mod:`cicd_agent.sandbox`): also
no secret-named or secret-shaped variable and none of the runner's, git's or the clouds'.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from cicd_agent.actions.masking import is_secret_name
from cicd_agent.analysis.redact import find_secrets, known_secrets_from_env

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
    """``environ`` without anything a command must not see: always cicd-agent's own variables,
    ``secret_names`` and any variable holding a known secret; unless ``trusted``, also every
    secret-named or secret-shaped variable and the runner's, git's and the clouds' (the module's
    docstring)."""
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
