"""Ordinary text that redaction must leave alone: changed lines per million on real repositories.

    python research/secrets/redact_intact.py REPO_DIR[@COMMIT]... [--show N] [--json]
    python research/secrets/redact_intact.py --frozen research/secrets/redact_intact_repos.txt --root DIR

Each REPO_DIR is a clone (bare is fine) of a public repository nobody here wrote. Every
tracked text file at COMMIT (HEAD if none; a file with a NUL byte in its first 8 KB is
binary and skipped) goes through ``Redactor().redact`` whole, as a diff or a log reaches it,
with no secrets of a run held. A line counts as changed when the redacted file differs there;
the figure is changed lines per million lines read, per repository and over all.

The changed lines are listed (``--show``) so a person can judge them: a real credential
committed to the repository is a right redaction, not noise, and is named so in the report
rather than removed from the count. ``--frozen FILE`` reads ``owner/name commit`` lines (the
repository set frozen before tuning) and finds each as ``ROOT/owner+name``; a clone whose
commit is missing stops the run, so a figure always names the text it was measured on.

Redaction goals: at most 100 changed lines per million here, while the scanners'
true-positive samples (``research/secrets/eval_secret_sets.py``) are redacted.

Credential material (lead's decision, issue 42 fourth round): a PEM or OpenSSH private-key
block and a signed JWT are credentials by their shape, even as a test fixture, and redaction
keeps masking them. The figure is reported both ways: every changed line, and the changed
lines that are not credential material. The rule is frozen here and reads only the file's
text, never the redactor's own label: a changed line is credential material when

- it lies between a ``-----BEGIN … PRIVATE KEY-----`` marker and the next ``-----END …
  PRIVATE KEY-----`` marker (both lines included; a block cut off before its END marker
  counts up to the file's end), or
- it holds a three-part base64url token (``header.payload.signature``, every part non-empty)
  whose first part decodes to a JSON object with an ``alg`` member: a signed JWT.

Anything else the redactor changed counts as ordinary text, whether or not a reader would
call it a credential.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import json
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO_ROOT / "src"))

from cicd_agent.analysis.redact import Redactor  # noqa: E402
from cicd_agent.analysis.secrets.matcher import find_secrets  # noqa: E402

BINARY_PROBE = 8192
KEY_BEGIN = re.compile(r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----")
KEY_END = re.compile(r"-----END (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----")
JWT = re.compile(r"(?<![A-Za-z0-9_-])(eyJ[A-Za-z0-9_-]+)\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")


def key_block_lines(lines: list[str]) -> set[int]:
    """Indexes of the lines inside a private-key block, markers included."""
    inside: set[int] = set()
    start: int | None = None
    for number, line in enumerate(lines):
        if start is None:
            begin = KEY_BEGIN.search(line)
            if begin is None:
                continue
            start = number
            tail = line[begin.end() :]
        else:
            tail = line
        if KEY_END.search(tail):
            inside.update(range(start, number + 1))
            start = None
    if start is not None:
        inside.update(range(start, len(lines)))
    return inside


def holds_signed_jwt(line: str) -> bool:
    """Whether ``line`` holds a signed JWT: three base64url parts, a JSON header with ``alg``."""
    for match in JWT.finditer(line):
        header = match.group(1)
        try:
            decoded = json.loads(base64.urlsafe_b64decode(header + "=" * (-len(header) % 4)))
        except (binascii.Error, ValueError):
            continue
        if isinstance(decoded, dict) and "alg" in decoded:
            return True
    return False


@dataclass
class Tally:
    name: str
    commit: str
    files: int = 0
    missing: int = 0
    lines: int = 0
    changed: list[tuple[str, int, str, str, bool]] = field(default_factory=list)

    @property
    def per_million(self) -> float:
        return 1e6 * len(self.changed) / self.lines if self.lines else 0.0

    @property
    def ordinary(self) -> int:
        """Changed lines that are not credential material."""
        return sum(1 for *_, material in self.changed if not material)


def _git(repo: Path, *args: str, data: bytes | None = None) -> bytes:
    return subprocess.run(
        ["git", "-C", str(repo), *args], input=data, capture_output=True, check=True
    ).stdout


def tracked_files(repo: Path, commit: str) -> list[tuple[str, str]]:
    """(path, blob id) of each regular file at ``commit`` (links and submodules left out)."""
    out = _git(repo, "ls-tree", "-r", "-z", "--full-tree", commit)
    files = []
    for entry in out.split(b"\0"):
        if not entry:
            continue
        meta, path = entry.split(b"\t", 1)
        mode, kind, blob = meta.split()
        if kind == b"blob" and mode in (b"100644", b"100755"):
            files.append((path.decode("utf-8", "surrogateescape"), blob.decode()))
    return files


def blobs(repo: Path, ids: list[str]) -> list[bytes | None]:
    """The contents of ``ids``, read in one ``git cat-file --batch`` (None: the clone lacks
    that blob, as a snapshot without its largest files does)."""
    out = _git(repo, "cat-file", "--batch", data="".join(f"{i}\n" for i in ids).encode())
    contents: list[bytes | None] = []
    position = 0
    for _ in ids:
        header_end = out.index(b"\n", position)
        header = out[position:header_end].split()
        if header[-1] == b"missing":
            contents.append(None)
            position = header_end + 1
            continue
        size = int(header[2])
        contents.append(out[header_end + 1 : header_end + 1 + size])
        position = header_end + 1 + size + 1
    return contents


def measure(repo: Path, commit: str, name: str) -> Tally:
    commit = _git(repo, "rev-parse", "--verify", f"{commit}^{{commit}}").decode().strip()
    tally = Tally(name, commit)
    redactor = Redactor()
    files = tracked_files(repo, commit)
    for (path, _), body in zip(files, blobs(repo, [blob for _, blob in files]), strict=True):
        if body is None:
            tally.missing += 1
            continue
        if b"\0" in body[:BINARY_PROBE]:
            continue
        text = body.decode("utf-8", "surrogateescape")
        tally.files += 1
        tally.lines += text.count("\n") + (not text.endswith("\n") and bool(text))
        if redactor.redact(text) == text:
            continue
        # The redactor changed this file: its hits (the same search it runs) say which lines.
        lines = text.splitlines()
        starts = [0]
        for line in lines:
            starts.append(starts[-1] + len(line) + 1)
        seen: set[int] = set()
        in_key = key_block_lines(lines)
        for hit in find_secrets(text, broad=True):
            first = _line_of(starts, hit.start)
            last = _line_of(starts, max(hit.start, hit.end - 1))
            for number in range(first, last + 1):
                if number not in seen and number < len(lines):
                    seen.add(number)
                    material = number in in_key or holds_signed_jwt(lines[number])
                    tally.changed.append((path, number + 1, hit.kind, lines[number], material))
    return tally


def _line_of(starts: list[int], offset: int) -> int:
    low, high = 0, len(starts) - 1
    while low < high:
        middle = (low + high + 1) // 2
        if starts[middle] <= offset:
            low = middle
        else:
            high = middle - 1
    return low


def _targets(args: argparse.Namespace) -> list[tuple[Path, str, str]]:
    targets = []
    for spec in args.repos:
        where, _, commit = spec.partition("@")
        targets.append((Path(where), commit or "HEAD", Path(where).name))
    if args.frozen:
        for line in args.frozen.read_text().splitlines():
            if line.strip() and not line.startswith("#"):
                name, commit = line.split()
                targets.append((args.root / name.replace("/", "+"), commit, name))
    return targets


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("repos", nargs="*", help="REPO_DIR or REPO_DIR@COMMIT")
    parser.add_argument("--frozen", type=Path, help="file of 'owner/name commit' lines")
    parser.add_argument("--root", type=Path, default=Path("."), help="where owner+name clones are")
    parser.add_argument("--show", type=int, default=-1, help="changed lines to list (all: -1)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    targets = _targets(args)
    if not targets:
        parser.error("name a repository, or --frozen FILE")
    tallies = []
    for repo, commit, name in targets:
        try:
            tallies.append(measure(repo, commit, name))
        except subprocess.CalledProcessError as error:
            reason = error.stderr.decode().strip()
            raise SystemExit(f"{repo}: commit {commit} not readable ({reason}); fetch it") from None
    total_lines = sum(t.lines for t in tallies)
    total_changed = sum(len(t.changed) for t in tallies)
    total_ordinary = sum(t.ordinary for t in tallies)
    print(
        f"{'repository':34}{'commit':>14}{'files':>8}{'absent':>8}{'lines':>11}{'changed':>9}{'per M':>9}"
        f"{'not key':>9}{'per M':>9}"
    )
    for t in tallies:
        ordinary = 1e6 * t.ordinary / t.lines if t.lines else 0.0
        print(
            f"{t.name:34}{t.commit[:12]:>14}{t.files:>8}{t.missing:>8}{t.lines:>11}{len(t.changed):>9}{t.per_million:>9.1f}"
            f"{t.ordinary:>9}{ordinary:>9.1f}"
        )
    overall = 1e6 * total_changed / total_lines if total_lines else 0.0
    overall_ordinary = 1e6 * total_ordinary / total_lines if total_lines else 0.0
    print(
        f"{'all':34}{'':>14}{sum(t.files for t in tallies):>8}"
        f"{sum(t.missing for t in tallies):>8}{total_lines:>11}{total_changed:>9}{overall:>9.1f}"
        f"{total_ordinary:>9}{overall_ordinary:>9.1f}"
    )
    print(
        "not key: changed lines that are not credential material (a private-key block, a signed JWT)"
    )
    shown = 0
    for t in tallies:
        for path, number, kind, line, material in t.changed:
            if 0 <= args.show <= shown:
                break
            mark = " (key material)" if material else ""
            print(f"changed {t.name}:{path}:{number} [{kind}]{mark} {line.strip()[:160]!r}")
            shown += 1
    if args.json:
        print(json.dumps({t.name: [len(t.changed), t.ordinary, t.lines] for t in tallies}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
