"""Regenerate the JSON Schema of ``.github/cicd-agent.yml`` from the CLI (``--check`` fails on drift).

The schema ships in the package (``cicd_agent/data/cicd-agent.schema.json``) so editors can
validate the file as it is written (``# yaml-language-server: $schema=…``). It is generated from
each mode's own options, those the file may set (``section_keys``: each option says whether it
may), so the descriptions are the flags' help texts.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from cicd_agent.job.repo_config import QUARANTINE_KEY, section_keys  # noqa: E402
from cicd_agent.plugins import Option, declared_options, keeps_quarantine, own_modes  # noqa: E402

SCHEMA = ROOT / "src" / "cicd_agent" / "data" / "cicd-agent.schema.json"
_GLOBS = {"type": "array", "items": {"type": "string", "minLength": 1}}
_QUARANTINE = {
    "type": "array",
    "maxItems": 200,
    "description": "quarantined tests: a run whose only failures are these is reported as "
    "quarantined_flaky until the entry expires",
    "items": {
        "type": "object",
        "additionalProperties": False,
        "required": ["test", "owner", "expires"],
        "properties": {
            "test": {
                "type": "string",
                "minLength": 1,
                "maxLength": 300,
                "pattern": "^[^*?]+$",
                "description": "the test id exactly as the runner prints it",
            },
            "owner": {"type": "string", "description": "GitHub login or org/team who fixes it"},
            "expires": {
                "type": "string",
                "format": "date",
                "description": "YYYY-MM-DD; from that day the test counts again",
            },
        },
    },
}


def _property(option: Option) -> dict[str, Any]:
    described: dict[str, Any] = {"description": option.help.replace("%%", "%")}
    if option.switch:
        return {**described, "type": "boolean"}
    if option.choices is not None:
        return {**described, "enum": [str(choice) for choice in option.choices]}
    if option.kind is int or getattr(option.kind, "__name__", "") == "parse":
        return {**described, "type": "integer"}
    if option.kind is float:
        return {**described, "type": "number"}
    return {**described, "type": ["string", "number", "boolean"]}


def _section(mode: str) -> dict[str, Any]:
    properties: dict[str, Any] = {}
    options = declared_options(mode)
    keys = section_keys(options)
    for option in options:
        if option.name in keys:
            properties[option.name] = _property(option)
    properties["paths"] = {**_GLOBS, "description": "only files matching these globs"}
    properties["paths-ignore"] = {
        **_GLOBS,
        "description": "files left out (secrets are still reported in them)",
    }
    properties["path-instructions"] = {
        "type": "object",
        "additionalProperties": {"type": "string"},
        "description": "glob → guidance given to the model for matching files",
    }
    if keeps_quarantine(mode):
        properties[QUARANTINE_KEY] = _QUARANTINE
    return {"type": "object", "additionalProperties": False, "properties": properties}


def schema() -> dict[str, Any]:
    return {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "$id": "https://cicd-agent.invalid/cicd-agent.schema.json",
        "title": "cicd-agent repository settings (.github/cicd-agent.yml)",
        "description": "Read from the base commit; workflow inputs take precedence.",
        "type": "object",
        "additionalProperties": False,
        "properties": {mode: _section(mode) for mode in own_modes()},
    }


def main(argv: list[str]) -> int:
    text = json.dumps(schema(), indent=2, sort_keys=True) + "\n"
    if "--check" in argv:
        if not SCHEMA.is_file() or SCHEMA.read_text(encoding="utf-8") != text:
            print(f"{SCHEMA.relative_to(ROOT)} is out of date: run tools/config_schema.py")
            return 1
        return 0
    SCHEMA.parent.mkdir(parents=True, exist_ok=True)
    SCHEMA.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
