"""Redaction on the frozen samples of three secret scanners, per source.

    python bench/eval_secret_sets.py DATA [--misses N] [--json]

DATA is the folder ``bench/build_secret_eval.py`` froze (``samples.jsonl`` and
``manifest.json``; the samples' SHA-256 is checked against the manifest, so a figure always
names the set it was measured on). For each source (gitleaks, trufflehog, detect-secrets):

- bare: the share of secrets the scanner finds by shape alone that ``Redactor().redact``
  removes when the secret is the whole text;
- keyword: the share of all its true-positive secrets removed when written beside a keyword,
  in each of five assignments (``api_token = "…"``, ``API_TOKEN=…``, JSON, YAML, ``export``);
- as written: the share removed from the scanner's own test text around them;
- must-not-flag intact: the share of the scanner's negative samples that redaction leaves
  unchanged.

A secret counts as removed when no 12-character piece of it (the whole, if shorter) is left.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT / "src"))

from cicd_agent.analysis.redact import Redactor  # noqa: E402

PIECE = 12
TEMPLATES = (
    'api_token = "{s}"',
    "API_TOKEN={s}",
    '{{"api_token": "{s}"}}',
    "api_token: '{s}'",
    'export API_TOKEN="{s}"',
)
SOURCES = ("gitleaks", "trufflehog", "detect-secrets")


def leaked(secret: str, text: str) -> bool:
    if len(secret) <= PIECE:
        return secret in text
    return any(secret[i : i + PIECE] in text for i in range(len(secret) - PIECE + 1))


@dataclass
class Tally:
    hit: int = 0
    total: int = 0
    misses: list[tuple[str, str]] = field(default_factory=list)

    def add(self, ok: bool, family: str, text: str) -> None:
        self.total += 1
        self.hit += ok
        if not ok:
            self.misses.append((family, text[:200]))

    @property
    def share(self) -> float:
        return self.hit / self.total if self.total else 0.0


def load(data: Path) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    manifest = json.loads((data / "manifest.json").read_text())
    body = (data / "samples.jsonl").read_bytes()
    if hashlib.sha256(body).hexdigest() != manifest["samples.jsonl"]["sha256"]:
        raise SystemExit(f"{data}/samples.jsonl differs from its manifest: not the frozen set")
    return [json.loads(line) for line in body.splitlines()], manifest


def evaluate(
    samples: list[dict[str, Any]], redact: Callable[[str], str]
) -> dict[str, dict[str, Tally]]:
    result = {s: {m: Tally() for m in ("bare", "keyword", "as_written", "intact")} for s in SOURCES}
    seen: set[tuple[str, str]] = set()
    for sample in samples:
        tally = result[sample["source"]]
        family, text = sample["family"], sample["text"]
        if sample["kind"] == "fp":
            tally["intact"].add(redact(text) == text, family, text)
            continue
        secret = sample["secret"].strip()
        tally["as_written"].add(not leaked(secret, redact(text)), family, text)
        if (sample["source"], secret) in seen:
            continue
        seen.add((sample["source"], secret))
        if sample["bare"]:
            tally["bare"].add(not leaked(secret, redact(secret)), family, secret)
        for template in TEMPLATES:
            line = template.format(s=secret)
            tally["keyword"].add(not leaked(secret, redact(line)), family, line)
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("data", type=Path)
    parser.add_argument("--misses", type=int, default=0, help="list this many misses a figure")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    samples, manifest = load(args.data)
    result = evaluate(samples, Redactor().redact)
    print(f"set frozen {manifest['frozen']}, sha256 {manifest['samples.jsonl']['sha256'][:16]}")
    print(f"{'source':16}{'bare':>22}{'keyword':>22}{'as written':>22}{'must-not-flag intact':>26}")
    totals = {m: Tally() for m in ("bare", "keyword", "as_written", "intact")}
    for source, tallies in [*result.items(), ("all", totals)]:
        if source != "all":
            for name, tally in tallies.items():
                totals[name].hit += tally.hit
                totals[name].total += tally.total
        cells = [f"{100 * t.share:5.1f} % ({t.hit}/{t.total})" for t in tallies.values()]
        print(f"{source:16}" + "".join(f"{c:>22}" for c in cells[:3]) + f"{cells[3]:>26}")
    if args.misses:
        for source, tallies in result.items():
            for name, tally in tallies.items():
                for family, text in tally.misses[: args.misses]:
                    print(f"miss {source} {name} {family}: {text!r}")
    if args.json:
        print(
            json.dumps(
                {s: {n: [t.hit, t.total] for n, t in ts.items()} for s, ts in result.items()}
            )
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
