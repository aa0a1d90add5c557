"""The one way a mode opens the sandbox for its run's untrusted code, so none can leave out what
its run knows: the job's environment, every secret the run holds (its redactor's) and the
runners' toolchain folders. Beside the runners because those folders are theirs; the sandbox
package imports none of this folder."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from cicd_agent.runners.lookups import tool_mounts
from cicd_agent.runners.sessions import SessionSandbox
from cicd_agent.runners.table import PYTEST
from cicd_agent.sandbox import Isolation, Sandbox, find_bwrap, probe_isolation

if TYPE_CHECKING:
    from cicd_agent.job.run import Run

SandboxT = TypeVar("SandboxT", bound=Sandbox)

PYTEST_SESSION_SANDBOX: type[SessionSandbox] = PYTEST.sessions.sandbox
"""pytest's session sandbox: a plain :class:`Sandbox` that can also start pytest's sessions,
whose in-run check a pytest run needs (it refuses any other sandbox). Any other runner's runs
are made in it as in a plain one, so one sandbox serves runs of several languages (review's
suggestions share one). Open it wherever a run may be pytest's, whatever the language; a plain
:class:`Sandbox` where none can be."""


def isolation_of(run: Run) -> Isolation:
    """Whether and how the sandbox confines on this runner (probed once a process): asked
    before opening one, so a mode that cannot confine copies no checkout for nothing."""
    return probe_isolation(find_bwrap(run.environ))


def opened(
    run: Run,
    checkout: Path,
    kind: type[SandboxT],
    *,
    left_out: Iterable[str] = (),
    secret_names: Iterable[str] = (),
) -> SandboxT:
    """A sandbox of ``kind`` (:class:`Sandbox`, or a runner's own that starts its sessions)
    over ``checkout`` for ``run``, closed by its ``with`` block; ``left_out``: paths of the
    checkout no run needs, never copied; ``secret_names``: variables the user names secret."""
    return kind(
        checkout,
        run.environ,
        known_secrets=run.redactor.known,
        isolation=isolation_of(run),
        secret_names=secret_names,
        left_out=left_out,
        tools=tool_mounts(run.environ),
    )
