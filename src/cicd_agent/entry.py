"""Console-script entry point, kept import-free so ``cicd-agent --version`` costs almost nothing.

Workflows call the CLI on every job; the version check is the one call that must not pay for
argparse, pydantic or the SDKs, and ``--help`` pays for argparse and the chosen mode's options
alone (:mod:`cicd_agent.plugins`), not for the run's machinery.
"""

import os
import sys

HELP = frozenset({"-h", "--help"})


def main() -> int:
    """Answer ``--version`` and ``--help`` at once; hand everything else to
    :func:`cicd_agent.cli.main`."""
    argv = sys.argv[1:]
    if argv == ["--version"]:
        from cicd_agent import __version__

        sys.stdout.write(f"cicd-agent {__version__}\n")
        return 0
    if HELP.intersection(argv):
        from cicd_agent.actions.errors import UsageError
        from cicd_agent.plugins import build_parser, selected_mode

        try:
            build_parser(selected_mode(argv)).parse_args(argv)
        except SystemExit as done:  # the help was printed
            return int(done.code or 0)
        except UsageError:
            pass  # a bad option before --help: the full path reports it, outputs and all
    from cicd_agent.cli import main as cli_main

    sys.stdout = _ReaderMayLeave(sys.stdout)
    return cli_main()


class _ReaderMayLeave:
    """Standard output whose reader may stop reading (``cicd-agent review | head``): what is
    left is dropped, the run goes on and exits as it would have (no internal error, no
    Python complaint at exit), since its outputs and summary are written elsewhere."""

    def __init__(self, stream: object) -> None:
        self._stream = stream
        self._gone = False

    def write(self, text: str) -> int:
        if not self._gone:
            try:
                return int(self._stream.write(text))  # type: ignore[attr-defined]
            except BrokenPipeError:
                self._left()
        return len(text)

    def flush(self) -> None:
        if not self._gone:
            try:
                self._stream.flush()  # type: ignore[attr-defined]
            except BrokenPipeError:
                self._left()

    def _left(self) -> None:
        self._gone = True
        # The interpreter flushes standard output once more at exit: into nothing now.
        os.dup2(os.open(os.devnull, os.O_WRONLY), self._stream.fileno())  # type: ignore[attr-defined]

    def __getattr__(self, name: str) -> object:
        return getattr(self._stream, name)
