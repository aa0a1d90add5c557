"""Outcomes read from results files another tool wrote, counted as that tool counts them.

- promptfoo's ``-o results.json``: each row a sample (``--repeat`` gives a row per repeat); a
  case is the test (its description, else its variables), its prompt and its provider, named
  as the config reader names them; a row passes when ``success`` is true, and an error row is a
  failure, as in ``results.stats`` (successes over all rows).
- inspect's JSON log: each sample id a case and each epoch a sample; a score passes when it is
  ``C`` (correct), true or 1; the headline scorer is read.
- JUnit XML: each test case (class and name) a case, a repeated name its samples; one with a
  failure or error fails, a skipped one is not counted.

Each file is untrusted data: read within a size, JSON through the bounded reader, XML through
junitparser over the standard library's expat (no external entities, no network).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from cicd_agent.actions.bounded_json import JsonRefused
from cicd_agent.actions.bounded_json import load as load_json
from cicd_agent.actions.errors import UsageError
from cicd_agent.modes.eval.config import named
from cicd_agent.modes.eval.judge import Outcome

MAX_RESULTS_BYTES = 64 * 1024 * 1024


def read_results(path: Path, kind: str) -> list[Outcome]:
    """The outcomes in ``path``, one a case, each with the samples the file holds."""
    try:
        size = path.stat().st_size
    except OSError as why:
        raise UsageError(f"the results file {path} cannot be read: {why.strerror}.") from None
    if size > MAX_RESULTS_BYTES:
        raise UsageError(f"the results file {path} is over {MAX_RESULTS_BYTES >> 20} MB.")
    if kind == "junit":
        return list(junit(path))
    try:
        document = load_json(path.read_bytes())
    except JsonRefused as why:
        raise UsageError(f"the results file {path} is not JSON: {why}.") from None
    if not isinstance(document, dict):
        raise UsageError(f"the results file {path} is not a {kind} results document.")
    try:
        grouped = promptfoo(document, path) if kind == "promptfoo" else inspect(document, path)
    except (TypeError, ValueError):  # a field of another type than the tool writes
        raise _shape(path, kind) from None
    return [Outcome(key, ("", 0), tuple(passes)) for key, passes in grouped.items()]


def _shape(path: Path, kind: str) -> UsageError:
    return UsageError(
        f"{path} is not a {kind} results file.",
        hint="Write it with promptfoo eval -o FILE.json, inspect eval --log-format json, or a "
        "runner's JUnit XML report.",
    )


def promptfoo(document: dict[str, Any], path: Path) -> dict[str, list[bool]]:
    body = document.get("results")
    if not isinstance(body, dict) or not isinstance(body.get("results"), list):
        raise _shape(path, "promptfoo")
    rows: list[Any] = body["results"]
    prompts = _listed(body.get("prompts"))
    providers = {
        json.dumps(row.get("provider"), sort_keys=True) for row in rows if isinstance(row, dict)
    }
    grouped: dict[str, list[bool]] = {}
    for row in rows:
        if not isinstance(row, dict):
            raise _shape(path, "promptfoo")
        test = _mapping(row.get("testCase"))
        parts = [
            named(test.get("description") or json.dumps(row.get("vars") or {}, sort_keys=True))
        ]
        if len(prompts) > 1:
            parts.append(f"prompt {int(row.get('promptIdx') or 0) + 1}")
        provider = _mapping(row.get("provider"))
        if len(providers) > 1:
            parts.append(named(provider.get("label") or provider.get("id") or "?"))
        grouped.setdefault(" · ".join(parts), []).append(row.get("success") is True)
    return grouped


def _mapping(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _listed(value: object) -> list[Any]:
    return value if isinstance(value, list) else []


def _passed(score: Any) -> bool:
    value = score.get("value") if isinstance(score, dict) else None
    return value in ("C", True) or (isinstance(value, int | float) and value >= 1)


def inspect(document: dict[str, Any], path: Path) -> dict[str, list[bool]]:
    samples = document.get("samples")
    if not isinstance(samples, list):
        raise _shape(path, "inspect")
    scorer = _mapping(_mapping(document.get("results")).get("headline")).get("scorer")
    grouped: dict[str, list[bool]] = {}
    for sample in samples:
        scores = sample.get("scores") if isinstance(sample, dict) else None
        if not isinstance(scores, dict) or not scores:
            raise _shape(path, "inspect")
        score = scores.get(scorer) if scorer in scores else next(iter(scores.values()))
        grouped.setdefault(str(sample.get("id")), []).append(_passed(score))
    return grouped


def junit(path: Path) -> Iterator[Outcome]:
    from xml.etree.ElementTree import ParseError

    from junitparser import Error, Failure, JUnitXml, JUnitXmlError, Skipped, TestSuite

    try:
        xml = JUnitXml.fromfile(str(path))
    except (OSError, ParseError, ValueError, JUnitXmlError) as why:
        raise UsageError(f"{path} is not JUnit XML: {str(why)[:200]}.") from None
    grouped: dict[str, list[bool]] = {}
    suites = [xml] if isinstance(xml, TestSuite) else list(xml)
    for suite in suites:
        for case in suite:
            results = list(case.result)
            if any(isinstance(result, Skipped) for result in results):
                continue
            failed = any(isinstance(result, Failure | Error) for result in results)
            key = f"{case.classname}.{case.name}" if case.classname else str(case.name)
            grouped.setdefault(key, []).append(not failed)
    for key, passes in grouped.items():
        yield Outcome(key, ("", 0), tuple(passes))
