"""Where untrusted code runs: bubblewrap, a throw-away copy of the repository, no secrets, limits.

Everything a pull request controls is attacker input, and so is any command of its checkout:
gen-tests runs the suite and model-written tests, analyse-failure re-runs a failed step's
command with and without a candidate fix. Every such run goes through :meth:`Sandbox.run`:

- it runs under `bubblewrap <https://github.com/containers/bubblewrap>`_ (``bwrap``), in new
  user, mount, PID, network, IPC and UTS namespaces (no cgroup one: see
  :data:`.isolation.USER_FLAGS`), with an empty capability set, no
  new privileges, no further user namespaces (so no mount, remount or umount can succeed), a new
  session, and killed with its parent; an agent running as root gives each run ``nobody``
  (65534, no groups) instead, so no file root owns outside is its run's (:mod:`.isolation`);
  every run gets a user namespace of its own (nothing of an earlier run's is there); a
  seccomp filter refuses calls a test run never needs that slip past a measure
  (:mod:`.syscalls`);
- the filesystem is the host's, read-only; ``/tmp``, ``/var/tmp``, ``/run`` and ``/dev/shm`` are
  empty, bounded tmpfs (no host Unix socket is reachable there, and the network namespace hides
  abstract ones; ``/dev/shm`` is writable, for POSIX shared memory);
  the home folder is hidden whole (no list of credential files can be complete), and only what
  runs need comes back read-only (:mod:`.mounts`); the checkout's ``.git`` and the runner's temp
  folder stay hidden;
- the only writable place is the workspace's own folder: its copy of the repository, its
  ``HOME`` and ``TMPDIR`` (runs in one workspace share it, so a test that leaves state behind
  fails its reruns); a run that writes more than the disk limit there is killed (measured
  with its processes stopped, so nothing it renames or moves escapes the walk). Our own files
  (a mode's boot files, scratch files) sit beside it, read-only, the sandbox's other
  workspaces are not there at all, and evidence comes back through a pipe, never from a
  file a run could write;
- the environment is scrubbed (the GitHub token, the model key, ``ACTIONS_*`` runtime tokens,
  the runner's file-command paths, action inputs, secret-named variables, values holding a
  known secret or a credential's shape, and the names the user lists);
- nothing untrusted chooses the host side: ``bwrap`` itself starts with a minimal environment
  of ours (:data:`HOST_ENVIRONMENT`) and gives the run its environment with ``--clearenv`` and
  ``--setenv``; variables borrowed from a log (a failed step's ``env:``) reach only the inside,
  filtered (:func:`borrowable`), and the folders bound back come from our own ``PATH``;
- memory, process-count and file-size limits apply from the run's start (:meth:`Limits.start`),
  and a timeout kills the whole run;
- its output comes back through a pipe, of which only the tail is kept (never a host file
  outside the disk limit), and the command's first step writes one byte to another, so a
  run bwrap could not start (its mounts, its ``--chdir``) is the sandbox's failure, in
  bwrap's words (:attr:`RunResult.sandbox_failure`), never the project's.

Where bubblewrap cannot run, :class:`Isolation` says why; a mode then runs no untrusted code
unless the user opts in (``allow-unsandboxed``), and such runs get only the scrubbed
environment, a temporary copy, the limits and the timeout.

A mode opens one for its run through :func:`cicd_agent.runners.sandboxes.opened`, which hands
it the run's secrets, isolation and toolchains; a runner adds what its runs need (pytest: the
files each run loads first, and coverage) by subclassing :class:`Sandbox` and overriding
:meth:`Sandbox.prepare` and :meth:`Sandbox.python_path`. The job's own test step runs where
:mod:`.step` places it.
"""

from cicd_agent.local.environment import scrub_environment
from cicd_agent.sandbox.environment import borrowable
from cicd_agent.sandbox.isolation import Confinement, Isolation, find_bwrap, probe_isolation
from cicd_agent.sandbox.limits import Limits
from cicd_agent.sandbox.mounts import ToolMount, own_path
from cicd_agent.sandbox.run import RunResult, Sandbox
from cicd_agent.sandbox.workspace import (
    SKIPPED_NAMES,
    TOOL_CACHES,
    Workspace,
    ignored_untracked,
    installed_folders,
    remove_tree,
)

__all__ = [
    "SKIPPED_NAMES",
    "TOOL_CACHES",
    "Confinement",
    "Isolation",
    "Limits",
    "RunResult",
    "Sandbox",
    "ToolMount",
    "Workspace",
    "borrowable",
    "find_bwrap",
    "ignored_untracked",
    "installed_folders",
    "own_path",
    "probe_isolation",
    "remove_tree",
    "scrub_environment",
]
