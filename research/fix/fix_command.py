"""How often the fix step can read the failed step's command from a run's logs, and which tool
it names as the failing one, over folders of run-logs zips (one case per sub-folder).

    python research/fix/fix_command.py .harness/corpus/cases /work/data/failure/cases ...

Each case folder holds ``logs.zip`` as GitHub serves it. Prints one line per case (the failing
command, the tool the output names, whether the floor has a fixing form for it) and the totals.
"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

from cicd_agent.analysis.known_tools import tools_named
from cicd_agent.modes.analyse_failure.fix.command import failing_command
from cicd_agent.modes.analyse_failure.fix.fixers import fixing_command
from cicd_agent.modes.analyse_failure.logs.analyse import scan_jobs
from cicd_agent.modes.analyse_failure.logs.sources import load_logs


def main(folders: list[str]) -> int:
    totals: Counter[str] = Counter()
    for folder in folders:
        for case in sorted(Path(folder).iterdir()):
            logs = case / "logs.zip"
            if not logs.is_file():
                continue
            totals["cases"] += 1
            scans = scan_jobs(load_logs(logs))
            commands = [c for scan in scans if (c := failing_command(scan)) is not None]
            if not commands:
                print(f"{case.name:32} -")
                continue
            command = commands[0]
            totals["command read"] += 1
            single = command.failing != command.script
            totals["failing line singled out"] += single
            fixable = fixing_command(command.failing)
            totals["floor has a fixing form"] += fixable is not None
            tools = ",".join(tools_named(command.failing)) or "-"
            line = command.failing.replace("\n", "⏎")[:60]
            print(f"{case.name:32} {tools:12} {'fix' if fixable else '   '} {line}")
    print()
    for key, value in totals.items():
        print(f"{key}: {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
