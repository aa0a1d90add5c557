"""What every judge of a patch does: fresh copies of the checkout in the sandbox, the patch
applied to one, runs within one time budget, the patched files read back. The engines
(analyse-failure's fix judge, review's ``keeps_passing``) add only their own runs
and readings.

``git apply`` runs inside the sandbox (the patch is the model's or a linter's, the copy the pull
request's), with nobody's configuration and no repository above the copy to find; it is atomic
(all hunks or none), so no ``--check`` run comes first.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from cicd_agent.local import git_ops
from cicd_agent.local.checkout_files import CheckoutFileError, read_bytes
from cicd_agent.runners.patched_lines import PatchedLines
from cicd_agent.sandbox import RunResult, Sandbox, Workspace, remove_tree

APPLY_TIMEOUT = 60.0
READ_BACK_BYTES = 64 << 20
"""A patched file larger than this is an error, never a deletion."""


def _unheard(line: str) -> None:
    """Progress nobody reads: a caller that gave no ``said``."""


class JudgedCopies:
    """Copies of ``sandbox``'s checkout, judged within ``budget`` seconds from now;
    ``code_is_proof``: the code under test came from someone who can push (otherwise no pass is
    proof); ``said``: where a line of progress goes."""

    def __init__(
        self,
        sandbox: Sandbox,
        *,
        budget: float,
        code_is_proof: bool,
        said: Callable[[str], None] | None = None,
    ) -> None:
        self.sandbox = sandbox
        self.budget = budget
        self.ends = time.monotonic() + budget
        self.code_is_proof = code_is_proof
        self.said = said or _unheard

    @property
    def cannot_run(self) -> str:
        """Why no command may run here ("" when runs may go ahead): nothing from the checkout
        runs outside the sandbox, whoever opened this judge."""
        if self.sandbox.isolation.sandboxed:
            return ""
        return f"no sandbox on this runner ({self.sandbox.isolation.detail})"

    def left(self) -> float:
        """Seconds left of the budget (0 or less: spent)."""
        return self.ends - time.monotonic()

    @contextmanager
    def copy(self, kind: str, *, at: str = "") -> Iterator[Workspace]:
        """A fresh copy of the checkout, removed when done; ``at``: the one folder name such
        copies take in turn (any copy there before is removed)."""
        space = self.sandbox.workspace(kind)
        if at:
            place = space.root.with_name(at)
            remove_tree(place)
            space = Workspace(space.root.rename(place))
        try:
            yield space
        finally:
            remove_tree(space.root)

    def changed(self, space: Workspace, patched: Iterable[tuple[str, str | None]]) -> PatchedLines:
        """The lines a patch changed in ``space`` (each path with its patched text), which the
        in-run check's guard keeps from running before the tests."""
        return PatchedLines.of(
            space.repo,
            ((path, text_of(self.sandbox.checkout, path), after) for path, after in patched),
        )

    def applied(self, space: Workspace, diff: str) -> RunResult | None:
        """``git apply`` of ``diff`` in ``space``, inside the sandbox: None when it applied, or
        the failed run."""
        patch_file = space.scratch("patch", ".diff")
        patch_file.write_text(diff, encoding="utf-8", errors="surrogateescape")
        argv, git_env = git_ops.sandboxed_apply(patch_file)
        git_env["GIT_CEILING_DIRECTORIES"] = str(space.live)
        result = self.sandbox.run(argv, space, timeout=APPLY_TIMEOUT, extra_env=git_env)
        return None if result.ok else result


def text_of(root: Path, path: str, *, lenient: bool = True) -> str | None:
    """The text of ``path`` below ``root`` (a checkout or a patched copy); None for none (a link
    anywhere on the way reads as none) and, ``lenient``, for any file it cannot read. Otherwise
    a folder, a FIFO or a huge file where a file was raises :class:`CheckoutFileError`."""
    try:
        data = read_bytes(root, path, READ_BACK_BYTES)
    except CheckoutFileError as exc:
        if not lenient and exc.problem not in ("link", "missing"):
            raise
        return None
    return data.decode("utf-8", "surrogateescape")
