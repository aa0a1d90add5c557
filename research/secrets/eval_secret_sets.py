"""Redaction on the frozen samples of three secret scanners, per source.

    python research/secrets/eval_secret_sets.py DATA [--misses N] [--json]

DATA is the folder ``research/secrets/build_secret_eval.py`` froze (``samples.jsonl`` and
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

Each figure is also split by :func:`placeholder_sample`: samples a person would not call a
secret (placeholders, documentation examples, counting or repeated filler, UUIDs, a
placeholder word as the credential) and the rest, which for must-not-flag samples are mostly
real-looking credentials a character off a vendor's format, code and host names. The
scanners' true-positive samples hold such placeholders too (``AP6xxxxxxxxxx``,
``AKIAZZZZZZZZZZZZZZZZ``), so the split is shown for them as well. The test is written here,
apart from the redactor's own, from what a reader sees in the sample.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]
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
FIGURES = ("bare", "keyword", "as_written", "intact")
_MARKS = re.compile(
    r"(?i)x{4,}|\*{3,}|#{4,}|\.{3}|…|<[^<>\s]+>|\$\{|\{\{|\[(?:PASSWORD|TOKEN|SECRET|KEY|API_KEY)\]|example(?!\.(?:com|org|net))|sample|dummy|fake"
    r"|placeholder|your[-_ ]|here\b|changeme|redacted"
    r"|(?:^|[:=]\s*['\"]?)(?:test|pass(?:word)?|token|secret|yyy)(?:\b|$)"
)
_UUID = re.compile(r"(?i)\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b")
_RUN = re.compile(r"[A-Za-z0-9]{8,}")


def _filler(run: str) -> bool:
    """One character for half of the run, at most half of its 3-character pieces distinct, or
    half of its neighbours counting up (``ZZZZ…``, ``abcd1234abcd1234``, ``abcdefgh``)."""
    pieces = [run[i : i + 3] for i in range(len(run) - 2)]
    steps = sum(ord(b) - ord(a) == 1 for a, b in pairwise(run))
    return (
        max(Counter(run).values()) * 2 >= len(run)
        or len(set(pieces)) * 2 <= len(pieces)
        or steps * 2 >= len(run) - 1
    )


def placeholder_sample(text: str) -> bool:
    """Whether a reader would call ``text`` a placeholder or example rather than a secret."""
    return bool(_MARKS.search(text) or _UUID.search(text) or any(map(_filler, _RUN.findall(text))))


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


def _add(
    tallies: dict[str, Tally], figure: str, ok: bool, family: str, shown: str, of: str
) -> None:
    part = "/placeholder" if placeholder_sample(of) else "/real"
    tallies[figure].add(ok, family, shown)
    tallies[figure + part].add(ok, family, shown)


def evaluate(
    samples: list[dict[str, Any]], redact: Callable[[str], str]
) -> dict[str, dict[str, Tally]]:
    """Per source, each figure whole (``bare``…) and split (``bare/placeholder``,
    ``bare/real``…) by :func:`placeholder_sample` of the secret (or, for must-not-flag
    samples, of the text)."""
    names = [f"{m}{part}" for m in FIGURES for part in ("", "/placeholder", "/real")]
    result = {s: {m: Tally() for m in names} for s in SOURCES}
    seen: set[tuple[str, str]] = set()
    for sample in samples:
        tally = result[sample["source"]]
        family, text = sample["family"], sample["text"]

        if sample["kind"] == "fp":
            _add(tally, "intact", redact(text) == text, family, text, text)
            continue
        secret = sample["secret"].strip()
        _add(tally, "as_written", not leaked(secret, redact(text)), family, text, secret)
        if (sample["source"], secret) in seen:
            continue
        seen.add((sample["source"], secret))
        if sample["bare"]:
            _add(tally, "bare", not leaked(secret, redact(secret)), family, secret, secret)
        for template in TEMPLATES:
            line = template.format(s=secret)
            _add(tally, "keyword", not leaked(secret, redact(line)), family, line, secret)
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
    totals = {m: Tally() for m in result[SOURCES[0]]}
    for source, tallies in [*result.items(), ("all", totals)]:
        if source != "all":
            for name, tally in tallies.items():
                totals[name].hit += tally.hit
                totals[name].total += tally.total
        cells = [
            f"{100 * tallies[m].share:5.1f} % ({tallies[m].hit}/{tallies[m].total})"
            for m in FIGURES
        ]
        print(f"{source:16}" + "".join(f"{c:>22}" for c in cells[:3]) + f"{cells[3]:>26}")
    print("\nsplit by placeholder_sample: placeholder | real-looking")
    for source, tallies in [*result.items(), ("all", totals)]:
        cells = [
            " | ".join(
                f"{100 * tallies[m + p].share:5.1f} % ({tallies[m + p].hit}/{tallies[m + p].total})"
                for p in ("/placeholder", "/real")
            )
            for m in FIGURES
        ]
        print(f"{source:16}" + "".join(f"{c:>44}" for c in cells))
    if args.misses:
        for source, tallies in result.items():
            for name in FIGURES:
                for family, text in tallies[name].misses[: args.misses]:
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
