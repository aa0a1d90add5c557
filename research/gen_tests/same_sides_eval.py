"""Stage 2 (each test asserts something real) alone on every frozen candidate of the gen-tests
sets, nothing run: which candidates it drops. Issue 65, same-sided checks. Run from the
repository root: `.venv/bin/python -m research.gen_tests.same_sides_eval > OUT.tsv`; columns:
set, project, candidate, the stage expected to drop it, DROP or pass, the reason."""

import json
from pathlib import Path

from cicd_agent.modes.gen_tests.assertions import assertion_problems
from cicd_agent.modes.gen_tests.runner_gate import _unasserted
from cicd_agent.runners.cargo.crate import unasserted_test

root = Path("research/gen_tests")
for name in ("runner_gate_set", "runner_gate_set2", "runner_gate_rust"):
    for case in json.loads((root / name / "cases.json").read_text())["cases"]:
        for c in case["candidates"]:
            text = (root / name / c["file"]).read_text()
            path = c["path"]
            try:
                if path.endswith(".py"):
                    said = "; ".join(assertion_problems(text))
                elif path.endswith(".rs"):
                    said = unasserted_test(text)
                else:
                    said = _unasserted(path, text)
            except SyntaxError as error:
                said = f"syntax {error}"
            verdict = "DROP" if said else "pass"
            row = (name, case["repo"], c["name"], c["expect"], verdict, said[:90])
            print("\t".join(row))
