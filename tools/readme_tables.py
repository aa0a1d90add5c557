"""Regenerate the docs' inputs/outputs tables from action.yml (``--check`` fails on drift).

The README and the pages under ``docs/`` are what users read and action.yml is what the runner
reads; the tables between the ``<!-- BEGIN … -->`` / ``<!-- END … -->`` markers are generated so
the two cannot disagree. Each block lives in one page: the full ``inputs`` and ``outputs``
tables in ``docs/inputs-outputs.md``, and each mode's page (``docs/modes/MODE.md``) has
its own ``inputs:MODE`` and ``outputs:MODE`` blocks (``MODE:canary`` for deploy-gate's canary
phase). A description says which modes it belongs to by its prefix, ``review: …`` or
``deploy-gate, review: …``; a prefix that looks like modes but names an unknown one is an error,
so a typo cannot silently drop an input from its mode's table.

The ``settings:MODE`` blocks list each section of the settings file (``.github/cicd-agent.yml``)
from its JSON Schema, on the mode's page.

The ``reliability`` block is the fault matrix of ``tests/e2e/reliability/matrix.py``, the
same data ``tests/e2e/reliability/test_matrix.py`` drives every mode through.
"""

from __future__ import annotations

import argparse
import importlib.util
import re
import sys
from pathlib import Path
from types import ModuleType

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from cicd_agent.plugins import installed_modes  # noqa: E402  (after the path: runs without an install)

PHASES = ("canary",)
_SCOPE_ITEM = re.compile(r"[a-z]+(?:-[a-z]+)*(?: [a-z]+)?")


# A default stated in an option's --help: ``(default 25)``, ``(default: now)``, or a quoted
# value ``(default 'python -m pytest')``. Only literal values are shown in the tables; a default
# that is a phrase ("from the event") stays in the description.
_STATED_DEFAULT = re.compile(r"\(default:? (?:'([^']+)'|([^()\s]+))\)")
_LITERAL = re.compile(r"^(?!now$)(?:\d[\d,]*(?:\.\d+)?|[a-z][\w.-]*|[A-Z]{3})$")


def cli_defaults() -> dict[str, str]:
    """Each option's default as its ``--help`` states it (a flag's is ``false``), by input name:
    what the CLI does when the input is left empty."""
    from cicd_agent.plugins import declared_options

    found: dict[str, str] = {}
    for mode in installed_modes():
        for option in declared_options(mode):
            name = option.name
            if option.switch:
                found[name] = "false"
                continue
            stated = _STATED_DEFAULT.search(option.help)
            if stated and (stated.group(1) or _LITERAL.match(stated.group(2))):
                value = stated.group(1) or stated.group(2)
                found[name] = re.sub(r"(?<=\d),(?=\d{3})", "", value)
    return found


def _default(name: str, spec: dict[str, object], cli: dict[str, str]) -> str:
    """The default a table shows: action.yml's own, else the CLI's."""
    default = str(spec.get("default", "") or cli.get(name, ""))
    return f"`{_cell(default)}`" if default else ""


def _cell(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ").strip()


def inputs_table(action: dict[str, object]) -> str:
    inputs = action["inputs"]
    assert isinstance(inputs, dict)
    rows = ["| input | required | default | description |", "|---|---|---|---|"]
    cli = cli_defaults()
    for name, spec in inputs.items():
        rows.append(
            f"| `{name}` | {'yes' if spec.get('required') else 'no'} | "
            f"{_default(name, spec, cli)} | {_cell(spec.get('description', ''))} |"
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


def scopes(description: str) -> tuple[list[str], str]:
    """The blocks a description belongs to (``review``, ``deploy-gate:canary``…) and its text
    without the prefix; ``([], description)`` for a common input or output."""
    prefix, sep, rest = description.partition(":")
    items = [item.strip() for item in prefix.split(",")]
    if not sep or not all(_SCOPE_ITEM.fullmatch(item) for item in items):
        return [], description
    found = []
    for item in items:
        mode, _, phase = item.partition(" ")
        if mode not in installed_modes() or (phase and phase not in PHASES):
            if any(m in item for m in installed_modes()):
                raise SystemExit(f"action.yml: unknown mode or phase {item!r} in {description!r}")
            return [], description
        found.append(f"{mode}:{phase}" if phase else mode)
    return found, rest.strip()


def mode_tables(action: dict[str, object]) -> dict[str, str]:
    """``inputs:SCOPE`` and ``outputs:SCOPE`` blocks: each mode's own inputs and outputs."""
    inputs, outputs = action["inputs"], action["outputs"]
    assert isinstance(inputs, dict) and isinstance(outputs, dict)
    rows: dict[str, list[str]] = {}
    cli = cli_defaults()
    for name, spec in inputs.items():
        found, text = scopes(str(spec.get("description", "")))
        shown = _default(name, spec, cli)
        for scope in found:
            rows.setdefault(f"inputs:{scope}", []).append(f"| `{name}` | {shown} | {_cell(text)} |")
    for name, spec in outputs.items():
        found, text = scopes(str(spec.get("description", "")))
        for scope in found:
            rows.setdefault(f"outputs:{scope}", []).append(f"| `{name}` | {_cell(text)} |")
    heads = {"inputs": "| input | default | description |\n|---|---|---|",
             "outputs": "| output | description |\n|---|---|"}  # fmt: skip
    return {
        block: "\n".join([heads[block.split(":")[0]], *lines])
        for block, lines in sorted(rows.items())
    }


def settings_tables(root: Path = ROOT) -> dict[str, str]:
    """``settings:MODE`` blocks: the keys of each section of ``.github/cicd-agent.yml``, from the
    JSON Schema that ships in the package (itself generated from the flags), with the CLI's
    defaults. The lists and mappings (``paths``, ``quarantine``…) are described in prose."""
    import json

    schema = json.loads((root / "src/cicd_agent/data/cicd-agent.schema.json").read_text())
    cli = cli_defaults()
    blocks = {}
    for section, body in schema["properties"].items():
        rows = ["| setting | default | description |", "|---|---|---|"]
        for key, spec in body["properties"].items():
            if spec.get("type") in ("array", "object"):
                continue
            shown = f"`{_cell(cli[key])}`" if key in cli else ""
            text = _unrepeated(str(spec.get("description", "")), str(cli.get(key, "")))
            rows.append(f"| `{key}` | {shown} | {_cell(text)} |")
        blocks[f"settings:{section}"] = "\n".join(rows)
    return blocks


def _unrepeated(description: str, default: str) -> str:
    """``description`` without its own "(default X)" where the default column shows X."""
    said = re.search(r"\s*\(default:? '?([^()']*)'?\)", description)
    if said is None or not default or said[1].strip() != default:
        return description
    return (description[: said.start()] + description[said.end() :]).strip()


def doc_pages(root: Path = ROOT) -> list[Path]:
    """Every page a user reads: the README and the Markdown under ``docs/``."""
    return [root / "README.md", *sorted((root / "docs").rglob("*.md"))]


def _pattern(name: str) -> re.Pattern[str]:
    marker = re.escape(name)
    return re.compile(rf"(<!-- BEGIN {marker} -->\n)(?:.*?\n)?(<!-- END {marker} -->)", re.DOTALL)


def render(text: str, blocks: dict[str, str]) -> str:
    """``text`` with every block it holds regenerated (blocks it does not hold are left alone)."""
    for name, table in blocks.items():
        text = _pattern(name).sub(lambda m, t=table: m.group(1) + t + "\n" + m.group(2), text)
    return text


def render_pages(pages: dict[Path, str], blocks: dict[str, str]) -> dict[Path, str]:
    """Each page regenerated; a block no page holds is an error, so none is silently dropped."""
    for name in blocks:
        if not any(_pattern(name).search(text) for text in pages.values()):
            raise SystemExit(f"no page has a <!-- BEGIN {name} --> … <!-- END {name} --> block")
    return {path: render(text, blocks) for path, text in pages.items()}


def load_fault_matrix(root: Path = ROOT) -> ModuleType:
    """``tests/e2e/reliability/matrix.py``, loaded by path: it is plain data (standard library only),
    and the README must not need the test tree importable."""
    path = root / "tests" / "e2e" / "reliability" / "matrix.py"
    spec = importlib.util.spec_from_file_location("cicd_agent_fault_matrix", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while being built
    spec.loader.exec_module(module)
    return module


def reliability_table(matrix: ModuleType) -> str:
    """The fault matrix: a row per fault, a column per mode, each cell the exit code and what
    the run does; a cell whose test is a known failure says so. Faults of one group that every
    mode meets alike (the model's seven ways to fail) share a row: seven equal rows are read as
    one anyway."""
    modes = matrix.MODES
    rows = [
        "| fault | " + " | ".join(f"`{mode}`" for mode in modes) + " |",
        "|---|" + "---|" * len(modes),
    ]
    shared: list[tuple[str, list[str], list[str]]] = []  # group, labels, cells
    for fault in matrix.FAULTS:
        cells = []
        for mode in modes:
            cell = matrix.MATRIX[(mode, fault.key)]
            if not cell.applies:
                cells.append(f"— ({_cell(cell.behaviour)})")
                continue
            text = f"**{cell.exit_code}** {_cell(cell.behaviour)}"
            cells.append(f"{text} ⚠ *open bug*" if cell.xfail else text)
        if shared and shared[-1][0] == fault.group and shared[-1][2] == cells:
            shared[-1][1].append(_cell(fault.label))
        else:
            shared.append((fault.group, [_cell(fault.label)], cells))
    alike = []
    for group, labels, cells in shared:
        name = f"{group}: {labels[0]}" + (f" (and {len(labels) - 1} more)" if labels[1:] else "")
        rows.append(f"| {name} | " + " | ".join(cells) + " |")
        if labels[1:]:
            alike.append(f"{name}: {', '.join(labels)}")
    tested = [cell for cell in matrix.CELLS if cell.applies]
    known = [cell for cell in tested if cell.xfail]
    bugs = "; ".join(f"`{c.mode}` × {c.fault}: {_cell(c.xfail)}" for c in known)
    rows += [
        "",
        *(f"- One row for faults met alike: {row}." for row in alike),
        *([""] if alike else []),
        f"{len(matrix.CELLS)} cells: {len(tested)} tested, {len(matrix.CELLS) - len(tested)} "
        f"that the fault cannot reach; {len(known)} open bug(s){': ' + bugs if bugs else ''}.",
    ]
    return "\n".join(rows)


def generated_blocks(root: Path = ROOT) -> dict[str, str]:
    action = yaml.safe_load((root / "action.yml").read_text())
    return {
        "inputs": inputs_table(action),
        "outputs": outputs_table(action),
        **mode_tables(action),
        **settings_tables(root),
        "reliability": reliability_table(load_fault_matrix(root)),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="exit 1 when a page is out of date")
    args = parser.parse_args()
    current = {path: path.read_text() for path in doc_pages()}
    updated = render_pages(current, generated_blocks())
    stale = [path for path in current if updated[path] != current[path]]
    if args.check:
        for path in stale:
            print(f"{path.relative_to(ROOT)} is out of date: run python tools/readme_tables.py",
                  file=sys.stderr)  # fmt: skip
        return 1 if stale else 0
    for path in stale:
        path.write_text(updated[path])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
