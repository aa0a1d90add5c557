"""Console-script entry point, kept import-free so ``cicd-agent --version`` costs almost nothing.

Workflows call the CLI on every job; the version check is the one call that must not pay for
argparse, pydantic or the SDKs, and ``--help`` pays for argparse and the chosen mode's options
alone (:mod:`cicd_agent.arguments`), not for the run's machinery.
"""

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
        from cicd_agent.arguments import build_parser, selected_mode
        from cicd_agent.runner.errors import UsageError

        try:
            build_parser(selected_mode(argv)).parse_args(argv)
        except SystemExit as done:  # the help was printed
            return int(done.code or 0)
        except UsageError:
            pass  # a bad option before --help: the full path reports it, outputs and all
    from cicd_agent.cli import main as cli_main

    return cli_main()
