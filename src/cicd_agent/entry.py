"""Console-script entry point, kept import-free so ``cicd-agent --version`` costs almost nothing.

Workflows call the CLI on every job; the version check is the one call that must not pay for
argparse, pydantic or the SDKs.
"""

import sys


def main() -> int:
    """Answer ``--version`` at once; hand everything else to :func:`cicd_agent.cli.main`."""
    if sys.argv[1:] == ["--version"]:
        from cicd_agent import __version__

        sys.stdout.write(f"cicd-agent {__version__}\n")
        return 0
    from cicd_agent.cli import main as cli_main

    return cli_main()
