"""Start-up: `cicd-agent --version`, `--help` and each mode's import, against `python -c pass`.

Target (issue 9): `--version` ≤ 3× `python -c pass`. `--help` must not import openai, github or git.
"""

from __future__ import annotations

import argparse
import subprocess
import sys

from common import VENV_BIN, Figure, figure, print_table, wall_time

MODES = {
    "review": "cicd_agent.modes.review",
    "gen-tests": "cicd_agent.modes.gen_tests",
    "analyse-failure": "cicd_agent.modes.analyse_failure",
    "deploy-gate": "cicd_agent.modes.deploy_gate",
}


def ratios(command: list[str], runs: int, inner: int = 10) -> list[float]:
    """Per run: median of ``inner`` alternated timings of command vs the reference, as a ratio."""
    reference = [sys.executable, "-c", "pass"]
    values = []
    for _ in range(runs):
        ours, base = [], []
        for _ in range(inner):
            base.append(wall_time(reference))
            ours.append(wall_time(command))
        values.append(sorted(ours)[inner // 2] / sorted(base)[inner // 2])
    return values


def heavy_modules_imported(argv: list[str]) -> list[str]:
    probe = (
        "import sys, runpy; sys.argv=['cicd-agent', *sys.argv[1:]];"
        "from cicd_agent.cli import main\n"
        "import io, contextlib\n"
        "with contextlib.redirect_stdout(io.StringIO()): main(sys.argv[1:])\n"
        "print(','.join(m for m in ('openai','github','git') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe, *argv], check=False, capture_output=True, text=True
    )
    return [m for m in out.stdout.strip().split(",") if m]


def main() -> list[Figure]:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    cli = str(VENV_BIN / "cicd-agent")
    figures = [
        figure(
            "`cicd-agent --version` / `python -c pass`",
            "×",
            ratios([cli, "--version"], args.runs),
            "≤ 3×",
            lambda m: m <= 3,
        ),
        figure("`cicd-agent --help` / `python -c pass`", "×", ratios([cli, "--help"], args.runs)),
    ]
    for name, module in MODES.items():
        figures.append(
            figure(
                f"import {module} ({name}) / `python -c pass`",
                "×",
                ratios([sys.executable, "-c", f"import {module}"], args.runs),
            )
        )
    print_table("Start-up", figures)
    for argv in (["--version"], ["--help"]):
        heavy = heavy_modules_imported(argv)
        print(f"`cicd-agent {' '.join(argv)}` imports heavy SDKs: {heavy or 'none'}")
    return figures


if __name__ == "__main__":
    main()
