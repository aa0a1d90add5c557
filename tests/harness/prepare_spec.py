"""Prepare GitHub's dereferenced OpenAPI description so PyGithub can talk to Prism serving it.

Why each change is needed (see shared/notes/harness-facts.md):

* every ``https://api.github.com`` becomes a placeholder that each test worker's proxy replaces
  with its own base URL in Prism's answers; PyGithub follows the ``url`` fields of responses
  and refuses URLs on another host than its ``base_url``;
* ``Link`` response headers are dropped, otherwise PyGithub's pagination follows the examples'
  ``page=2`` links into routes Prism does not know;
* where a response offers several media types only ``application/json`` is kept, so Prism never
  answers a JSON request with a diff or SCIM body;
* a parameter declared ``oneOf`` (e.g. ``workflow_id``: integer or string) becomes ``anyOf``:
  parameters arrive as text, so ``159038`` fits both branches and ``oneOf`` would reject every
  numeric id, which GitHub accepts.
* the webhooks' payload descriptions (``x-webhooks``, 13.7 of the description's 29 MB) are left
  out: Prism serves ``paths`` only, and loading them took half its start (14.5 -> 7.4 CPU-s).

Usage: ``python tests/harness/prepare_spec.py SOURCE.json TARGET.json``
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

GITHUB_API = "https://api.github.com"
BASE_URL_PLACEHOLDER = "http://cicd-agent-github-mock.invalid"
JSON_MEDIA_TYPE = "application/json"
HTTP_METHODS = frozenset({"get", "put", "post", "delete", "options", "head", "patch", "trace"})


def _prepare_response(response: dict[str, Any]) -> None:
    headers = response.get("headers")
    if isinstance(headers, dict):
        for name in [n for n in headers if n.lower() == "link"]:
            del headers[name]
    content = response.get("content")
    if isinstance(content, dict) and len(content) > 1 and JSON_MEDIA_TYPE in content:
        response["content"] = {JSON_MEDIA_TYPE: content[JSON_MEDIA_TYPE]}


def _prepare_parameters(parameters: list[dict[str, Any]]) -> None:
    for parameter in parameters:
        schema = parameter.get("schema")
        if isinstance(schema, dict) and "oneOf" in schema:
            schema["anyOf"] = schema.pop("oneOf")


def prepare(spec: dict[str, Any]) -> dict[str, Any]:
    """Apply the header, media-type and parameter preparations in place and return the spec."""
    spec.pop("x-webhooks", None)
    for path_item in spec["paths"].values():
        _prepare_parameters(path_item.get("parameters", []))
        for method, operation in path_item.items():
            if method not in HTTP_METHODS:
                continue
            _prepare_parameters(operation.get("parameters", []))
            for response in operation.get("responses", {}).values():
                _prepare_response(response)
    return spec


def prepare_file(source: Path, target: Path) -> None:
    """Read, prepare and write; the base URL is swapped as text, which is faster than walking."""
    spec = prepare(json.loads(source.read_text(encoding="utf-8")))
    text = json.dumps(spec, ensure_ascii=False, separators=(",", ":"))
    target.parent.mkdir(parents=True, exist_ok=True)
    # A name of this process's own: two test workers preparing at once must not rename each
    # other's half-written file (the replace is atomic, so either complete copy may win).
    tmp = target.with_name(f"{target.name}.{os.getpid()}.tmp")
    tmp.write_text(text.replace(GITHUB_API, BASE_URL_PLACEHOLDER), encoding="utf-8")
    tmp.replace(target)


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: prepare_spec.py SOURCE.json TARGET.json", file=sys.stderr)
        return 2
    prepare_file(Path(argv[0]), Path(argv[1]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
