"""Builds the stable controls' cases (``RULE.md``): each project's test functions that passed
in one plain run at its head, in the sandbox, with gen-tests' own pytest command.

Usage: ``nice -n 15 .venv/bin/python research/flaky/controls/prepare.py --mirrors MIRRORS
--data DATA``; writes ``research/flaky/controls/cases.json`` and prints what it left out.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT))

from research.flaky.projects import PROJECTS  # noqa: E402
from research.gen_tests import flaky_detect as first  # noqa: E402

from cicd_agent.modes.gen_tests.gate import PLUGIN  # noqa: E402
from cicd_agent.modes.gen_tests.suite import ProjectCommand  # noqa: E402
from cicd_agent.runners.pytest.runner import PytestSandbox  # noqa: E402

first.PROJECTS.update(PROJECTS)
CHOSEN = {
    "pytest-dev/pluggy": ("e382e72789f8d791991c489d4322aa04e660b952",
                          tuple(f"testing/test_{name}.py" for name in (
                              "details", "helpers", "hookcaller", "invocations", "multicall",
                              "pluginmanager", "result", "tracer", "warnings"))),
    "more-itertools/more-itertools": ("2fe1b2eeb9d75f994113fe3ac76d14b6bcd6fb10",
                                      ("tests/test_more.py", "tests/test_recipes.py")),
}  # fmt: skip
PLAIN_TIMEOUT = 900.0
"""The plain run's seconds (the hunt's runs keep gen-tests' 120 s)."""
PARAMETERS = re.compile(r"\[.*\]$")


def kept(repo: str, head: str, files: tuple[str, ...], mirrors: Path, data: Path) -> dict:
    """The case of ``repo``: its functions whose every id passed in one plain run."""
    mirror = mirrors / first.slug(repo) / "repo"
    venv = first.venv_for(repo, data, mirror)
    checkout = data / "checkouts" / f"{first.slug(repo)}-{head[:12]}"
    first.export(mirror, head, checkout)
    environ = {"PATH": f"{venv / 'bin'}:/usr/bin:/bin", "HOME": "/nonexistent", "LANG": "C.UTF-8"}
    if (checkout / "src").is_dir():
        environ["PYTHONPATH"] = "src"
    pytest = (*ProjectCommand.parse("python -m pytest").pytest, "-q", *PLUGIN)
    with PytestSandbox(checkout, environ) as sandbox:
        result, evidence = sandbox.session([*pytest, *files], sandbox.workspace("plain"),
                                          timeout=PLAIN_TIMEOUT)  # fmt: skip
    if evidence.outcomes is None:
        raise SystemExit(f"{repo}: no report from the plain run: {result.output[-800:]}")
    outcomes: dict[str, list[str]] = {}
    for test, outcome in evidence.outcomes.tests.items():
        outcomes.setdefault(PARAMETERS.sub("", test), []).append(outcome)
    passed = sorted(f for f, seen in outcomes.items() if set(seen) == {"passed"})
    left = {f: sorted(set(seen)) for f, seen in outcomes.items() if set(seen) != {"passed"}}
    print(f"{repo}: {len(outcomes)} functions ({len(evidence.outcomes.tests)} ids), "
          f"{len(passed)} passed every id; left out: {json.dumps(left)}", file=sys.stderr)  # fmt: skip
    return {"cases": [{"fix": head, "parent": head, "tests": [], "controls": passed,
                       "left_out": left}]}  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mirrors", type=Path, required=True)
    parser.add_argument("--data", type=Path, required=True)
    args = parser.parse_args()
    cases = {repo: kept(repo, head, files, args.mirrors, args.data)
             for repo, (head, files) in CHOSEN.items()}  # fmt: skip
    out = Path(__file__).with_name("cases.json")
    out.write_text(json.dumps({"repositories": cases}, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
