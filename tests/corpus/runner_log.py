"""Wrap real tool output in the GitHub runner's log format and the run-logs zip layout.

What the runner adds around a step's output is reproduced from real logs: the ``Set up job``
preamble, one ``##[group]Run …`` header per step (the script echoed in cyan, ``shell:``,
``env:``), ``##[error]Process completed with exit code N.`` after a failing command, the
post-job cleanup of ``actions/checkout`` and the orphan-process sweep, each line with a
``2024-…Z`` timestamp. The zip holds ``<n>_<job>.txt`` per job and ``<job>/<n>_<step>.txt`` per
step, with ``/`` dropped from names as GitHub does; the 2025 form without step files is
reproduced as well.
"""

from __future__ import annotations

import datetime as dt
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

WORKSPACE = "/home/runner/work/app/app"
_CYAN, _RESET = "\x1b[36;1m", "\x1b[0m"


@dataclass
class Step:
    """One step: its header, its output (real bytes) and how the runner ended it."""

    name: str
    run: str | None = None
    uses: str | None = None
    with_: dict[str, str] = field(default_factory=dict)
    output: bytes = b""
    exit_code: int = 0
    runner_errors: tuple[str, ...] = ()
    """Runner verdicts written after the output instead of an exit code (timeout, cancel)."""
    always: bool = False
    """``if: always()``: runs, and logs, after an earlier step failed."""

    @property
    def header(self) -> str:
        return f"Run {self.run.splitlines()[0]}" if self.run else f"Run {self.uses}"


@dataclass
class Job:
    name: str
    steps: list[Step]
    conclusion: str = "failure"


class _Clock:
    def __init__(self) -> None:
        self.now = dt.datetime(2024, 5, 14, 9, 12, 3, 120000, tzinfo=dt.UTC)

    def stamp(self) -> bytes:
        self.now += dt.timedelta(microseconds=1733)
        return (self.now.strftime("%Y-%m-%dT%H:%M:%S.%f") + "0Z ").encode()


def _lines(clock: _Clock, text: str | bytes) -> list[bytes]:
    raw = text.encode() if isinstance(text, str) else text
    if raw.endswith(b"\n"):
        raw = raw[:-1]
    if not raw:
        return []
    return [clock.stamp() + line for line in raw.split(b"\n")]


def _setup_job(clock: _Clock, job: Job) -> list[bytes]:
    actions = sorted({s.uses for s in job.steps if s.uses})
    text = [
        "Current runner version: '2.319.1'",
        "##[group]Operating System",
        "Ubuntu",
        "22.04.5",
        "LTS",
        "##[endgroup]",
        "##[group]Runner Image",
        "Image: ubuntu-22.04",
        "Version: 20240915.1.0",
        "Included Software: https://github.com/actions/runner-images/blob/ubuntu22/20240915.1/"
        "images/ubuntu/Ubuntu2204-Readme.md",
        "##[endgroup]",
        "##[group]Runner Image Provisioner",
        "2.0.384.1",
        "##[endgroup]",
        "##[group]GITHUB_TOKEN Permissions",
        "Contents: read",
        "Metadata: read",
        "##[endgroup]",
        "Secret source: Actions",
        "Prepare workflow directory",
        "Prepare all required actions",
        "Getting action download info",
        *(
            f"Download action repository '{a}' (SHA:692973e3d937129bcbf40652eb9f2f61becf3332)"
            for a in actions
        ),
        f"Complete job name: {job.name}",
    ]
    return _lines(clock, "\n".join(text))


def _step_lines(clock: _Clock, step: Step) -> list[bytes]:
    out = _lines(clock, f"##[group]{step.header}")
    if step.run:
        for line in step.run.splitlines():
            out += _lines(clock, f"{_CYAN}{line}{_RESET}")
        out += _lines(
            clock,
            "shell: /usr/bin/bash -e {0}\nenv:\n"
            "  pythonLocation: /opt/hostedtoolcache/Python/3.11.9/x64\n"
            "  LD_LIBRARY_PATH: /opt/hostedtoolcache/Python/3.11.9/x64/lib",
        )
    else:
        out += _lines(clock, "with:")
        for key, value in step.with_.items():
            out += _lines(clock, f"  {key}: {value}")
    out += _lines(clock, "##[endgroup]")
    out += _lines(clock, step.output)
    if step.exit_code:
        out += _lines(clock, f"##[error]Process completed with exit code {step.exit_code}.")
    for error in step.runner_errors:
        out += _lines(clock, f"##[error]{error}")
    return out


_POST_CHECKOUT = f"""Post job cleanup.
[command]/usr/bin/git version
git version 2.46.0
Temporarily overriding HOME='/home/runner/work/_temp/6cbe3a0e' before making global git config changes
Adding repository directory to the temporary git global config as a safe directory
[command]/usr/bin/git config --global --add safe.directory {WORKSPACE}
[command]/usr/bin/git config --local --name-only --get-regexp core\\.sshCommand
[command]/usr/bin/git submodule foreach --recursive sh -c "git config --local --name-only --get-regexp 'core\\.sshCommand' && git config --local --unset-all 'core.sshCommand' || :"
[command]/usr/bin/git config --local --name-only --get-regexp http\\.https\\:\\/\\/github\\.com\\/\\.extraheader
http.https://github.com/.extraheader
[command]/usr/bin/git config --local --unset-all http.https://github.com/.extraheader
[command]/usr/bin/git submodule foreach --recursive sh -c "git config --local --name-only --get-regexp 'http\\.https\\:\\/\\/github\\.com\\/\\.extraheader' && git config --local --unset-all 'http.https://github.com/.extraheader' || :"
"""  # noqa: E501

_POST_PYTHON = """Post job cleanup.
Cache hit occurred on the primary key setup-python-Linux-python-3.11.9-pip-5b0e4f, not saving cache.
"""

_COMPLETE = """Cleaning up orphan processes
"""


def render(job: Job) -> tuple[bytes, list[tuple[str, bytes]]]:
    """The whole-job log, and the per-step files (display name, bytes) that the zip holds."""
    clock = _Clock()
    files: list[tuple[str, bytes]] = [("Set up job", b"\n".join(_setup_job(clock, job)))]
    failed = False
    for step in job.steps:
        if failed and not step.always:
            continue  # skipped steps leave no log
        lines = _step_lines(clock, step)
        files.append((step.name, b"\n".join(lines)))
        failed = failed or bool(step.exit_code or step.runner_errors)
    for step in reversed(job.steps):
        if step.uses and step.uses.startswith(("actions/checkout", "actions/setup-python")):
            post = _POST_CHECKOUT if "checkout" in step.uses else _POST_PYTHON
            files.append((f"Post {step.name}", b"\n".join(_lines(clock, post))))
    files.append(("Complete job", b"\n".join(_lines(clock, _COMPLETE))))
    whole = b"\xef\xbb\xbf" + b"\n".join(content for _, content in files) + b"\n"
    return whole, [(name, content + b"\n") for name, content in files]


def _safe(name: str) -> str:
    return name.replace("/", "").replace(":", "")


def write_layout(jobs: list[Job], dest: Path, layout: str) -> Path:
    """Write the run in ``layout`` under ``dest``; return the path to pass as ``--logs``."""
    rendered = [(job, *render(job)) for job in jobs]
    if layout == "job_text":
        job, whole, _ = rendered[0]
        path = dest / f"{_safe(job.name)}.txt"
        path.write_bytes(whole)
        return path
    entries: list[tuple[str, bytes]] = []
    for index, (job, whole, steps) in enumerate(rendered):
        entries.append((f"{index}_{_safe(job.name)}.txt", whole))
        if layout in ("zip_steps", "folder"):
            for number, (step, content) in enumerate(steps, start=1):
                entries.append((f"{_safe(job.name)}/{number}_{_safe(step)}.txt", content))
        entries.append((f"{_safe(job.name)}/system.txt", b"Requested labels: ubuntu-latest\n"))
    if layout == "folder":
        root = dest / "logs"
        for name, content in entries:
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            (root / name).write_bytes(content)
        return root
    path = dest / "logs.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in entries:
            archive.writestr(name, content)
    return path


def whole_logs(jobs: list[Job]) -> dict[str, bytes]:
    """Each job's whole log, for the naive last-100-lines baseline."""
    return {job.name: render(job)[0] for job in jobs}
