"""Regenerate the README's inputs/outputs tables from action.yml (``--check`` fails on drift).

The README is what users read and action.yml is what the runner reads; the tables between the
``<!-- BEGIN … -->`` / ``<!-- END … -->`` markers are generated so the two cannot disagree.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def _cell(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ").strip()


def inputs_table(action: dict[str, object]) -> str:
    inputs = action["inputs"]
    assert isinstance(inputs, dict)
    rows = ["| input | required | default | description |", "|---|---|---|---|"]
    for name, spec in inputs.items():
        default = spec.get("default", "")
        rows.append(
            f"| `{name}` | {'yes' if spec.get('required') else 'no'} | "
            f"{f'`{_cell(default)}`' if default != '' else ''} | {_cell(spec.get('description', ''))} |"
        )
    return "\n".join(rows)


def outputs_table(action: dict[str, object]) -> str:
    outputs = action["outputs"]
    assert isinstance(outputs, dict)
    rows = ["| output | description |", "|---|---|"]
    rows += [
        f"| `{name}` | {_cell(spec.get('description', ''))} |" for name, spec in outputs.items()
    ]
    return "\n".join(rows)


def render(readme: str, blocks: dict[str, str]) -> str:
    for name, table in blocks.items():
        pattern = re.compile(
            rf"(<!-- BEGIN {name} -->\n)(?:.*?\n)?(<!-- END {name} -->)", re.DOTALL
        )
        if not pattern.search(readme):
            raise SystemExit(f"README.md has no <!-- BEGIN {name} --> … <!-- END {name} --> block")
        readme = pattern.sub(lambda m, t=table: m.group(1) + t + "\n" + m.group(2), readme)
    return readme


def generated_blocks(root: Path = ROOT) -> dict[str, str]:
    action = yaml.safe_load((root / "action.yml").read_text())
    return {"inputs": inputs_table(action), "outputs": outputs_table(action)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="exit 1 when README.md is out of date")
    args = parser.parse_args()
    readme_path = ROOT / "README.md"
    current = readme_path.read_text()
    updated = render(current, generated_blocks())
    if args.check:
        if updated != current:
            print("README.md is out of date: run python tools/readme_tables.py", file=sys.stderr)
            return 1
        return 0
    readme_path.write_text(updated)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
