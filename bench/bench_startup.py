"""Start-up: `cicd-agent --version`, `--help` and each `MODE --help`, against `python -c pass`.

Run: ``python bench/bench_startup.py`` (``--runs N``, ``--inner N``, ``--json``).

Each run alternates the command with ``python -c pass`` ``--inner`` times and keeps the ratio of
the two medians, so machine load moves both sides alike. Target: ≤ 3× for start-up.
`--version` and `--help` must not import openai, github or git; that count is a figure too.
Importing review's wiring, what every review pays before its first step, is timed in CPU
seconds against a goal of 0.15 s.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
from collections import defaultdict

from common import VENV_BIN, Figure, figure, timed_main, wall_time

TARGET = 3.0
REVIEW_IMPORT_TARGET = 0.15
"""CPU seconds for the imports on review's path."""
HEAVY = ("openai", "github", "git")


def ratios(command: list[str], runs: int, inner: int) -> list[float]:
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


def cpu_seconds(command: list[str]) -> float:
    """CPU seconds (user + system) of one run of ``command``, which load does not inflate."""
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, _, usage = os.wait4(process.pid, 0)
    return usage.ru_utime + usage.ru_stime


def cpu_ratios(command: list[str], runs: int, inner: int) -> list[float]:
    """As :func:`ratios`, with CPU time instead of wall time."""
    reference = [sys.executable, "-c", "pass"]
    values = []
    for _ in range(runs):
        ours, base = [], []
        for _ in range(inner):
            base.append(cpu_seconds(reference))
            ours.append(cpu_seconds(command))
        values.append(statistics.median(ours) / statistics.median(base))
    return values


def heavy_modules_imported(argv: list[str]) -> list[str]:
    """Which of the heavy SDKs ``cicd-agent ARGV`` imports (it should import none of them)."""
    probe = (
        "import sys, io, contextlib\n"
        "from cicd_agent.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()): main(sys.argv[1:])\n"
        f"print(','.join(m for m in {HEAVY!r} if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe, *argv], check=False, capture_output=True, text=True
    )
    return [m for m in out.stdout.strip().split(",") if m]


def heaviest_imports(module: str, top: int = 3) -> str:
    """The packages that cost ``import module`` the most, from ``python -X importtime``."""
    out = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", f"import {module}"],
        check=True,
        capture_output=True,
        text=True,
    ).stderr
    by_package: dict[str, int] = defaultdict(int)
    for line in out.splitlines():
        parts = line.removeprefix("import time:").split("|")
        if len(parts) != 3 or not parts[0].strip().isdigit():
            continue
        by_package[parts[2].strip().split(".")[0]] += int(parts[0])
    ranked = sorted(by_package.items(), key=lambda item: -item[1])[:top]
    return ", ".join(f"{name} {micros / 1000:.0f} ms" for name, micros in ranked)


def measure(runs: int, inner: int) -> list[Figure]:
    cli = str(VENV_BIN / "cicd-agent")
    note = f"each run: median of {inner} alternated timings, ratio to `python -c pass`"
    figures = [
        figure(
            "`cicd-agent --version` / `python -c pass`",
            "×",
            ratios([cli, "--version"], runs, inner),
            f"≤ {TARGET:g}×",
            lambda m: m <= TARGET,
            note,
            "imports it needs before it can print: " + heaviest_imports("cicd_agent.cli"),
        ),
        figure(
            "`cicd-agent --help` / `python -c pass`",
            "×",
            ratios([cli, "--help"], runs, inner),
            note=f"{note}; no target: it lists every mode, importing none of them",
        ),
    ]
    for mode in ("review", "gen-tests", "analyse-failure", "deploy-gate", "command"):
        figures.append(
            figure(
                f"`cicd-agent {mode} --help` / `python -c pass`, CPU",
                "×",
                cpu_ratios([cli, mode, "--help"], runs, inner),
                f"≤ {TARGET:g}×",
                lambda m: m <= TARGET,
                f"each run: median of {inner} alternated runs, CPU seconds (wait4); imports "
                "argparse and the mode's options alone (the parser of cicd_agent/plugins.py)",
                "argparse and the help it formats are about 2.4× on their own",
            )
        )
    floor = ratios([sys.executable, "-c", "from pydantic import BaseModel"], runs, inner)
    figures.append(
        figure(
            "import pydantic's BaseModel alone / `python -c pass`",
            "×",
            floor,
            note=f"{note}; the results and model schemas are pydantic models, imported when a "
            "mode runs: the CLI loads a mode's module only once its flags parse, so neither "
            "`--help` nor a bad flag pays for it",
        )
    )
    review = [sys.executable, "-c", "import cicd_agent.modes.review.mode"]
    count = [
        sys.executable,
        "-c",
        "import sys, cicd_agent.modes.review.mode; print(len(sys.modules))",
    ]
    modules = subprocess.run(count, check=True, capture_output=True, text=True).stdout.strip()
    figures.append(
        figure(
            "import review mode, CPU",
            "s",
            [statistics.median(cpu_seconds(review) for _ in range(inner)) for _ in range(runs)],
            f"≤ {REVIEW_IMPORT_TARGET:g} s",
            lambda s: s <= REVIEW_IMPORT_TARGET,
            f'each run: median of {inner} runs, CPU seconds (wait4) of `python -c "import '
            f'cicd_agent.modes.review.mode"`; {modules} modules in sys.modules after it',
            "review's wiring loads no pydantic (its results, findings and risk are dataclasses), "
            "nor does an offline review without an event file (the model settings are validated "
            "only when one is given); what is left is the modules every review runs: making "
            "their 115 dataclasses is about two fifths of it on Python 3.11, compiling their "
            "270 regular expressions a sixth (the Actions output, the plugins, the risk model, "
            "unidiff)",
        )
    )
    for flag in ("--version", "--help"):
        heavy = heavy_modules_imported([flag])
        figures.append(
            figure(
                f"heavy SDKs imported by `cicd-agent {flag}`",
                "",
                [len(heavy)],
                "0",
                lambda m: m == 0,
                f"of {', '.join(HEAVY)}: {', '.join(heavy) or 'none'}",
            )
        )
    return figures


def main() -> None:
    timed_main(__doc__, "Start-up", measure, runs=5, inner=10)


if __name__ == "__main__":
    main()
