"""How stable and how distinct finding fingerprints are on a real repository's history.

Run: ``python research/review/fingerprint_stability.py GIT_DIR [--commits N]`` (a clone or bare git
directory; nothing from it is kept).

For each of the last N non-merge commits that modify Python files, every non-blank line of each
modified file's parent version stands in for a finding (rule ``sim``, the same title for all,
as a rule's findings have). Lines the commit leaves unchanged (matched by difflib) are the
findings a later push must recognise. Three schemes are compared, computed by the same code
paths review uses (:func:`cicd_agent.analysis.findings.fingerprint_findings`):

- ``content``: ours (rule, path, normalised line text, occurrence index);
- ``title``: the previous scheme (rule, path, title);
- ``line``: rule, path and line number (what a tool without fingerprints effectively does).

Stability: the share of unchanged lines whose fingerprint is the same after the commit.
Distinctness: the share of findings in a file whose fingerprint no other finding shares (a
shared fingerprint merges two findings into one: one is never posted).
"""

from __future__ import annotations

import argparse
import difflib
import hashlib
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "src"))

from cicd_agent.analysis.finding import Finding  # noqa: E402
from cicd_agent.analysis.findings import fingerprint_findings  # noqa: E402
from cicd_agent.analysis.severity import Severity  # noqa: E402


def _git(repo: str, *args: str) -> str:
    return subprocess.run(
        ["git", "--git-dir", repo, *args],
        capture_output=True,
        text=True,
        errors="replace",
        check=True,
    ).stdout


def _findings(path: str, lines: list[str]) -> list[Finding]:
    return [
        Finding(rule="sim", severity=Severity.MEDIUM, category="other", path=path, line=n,
                title="Simulated finding", body="b")
        for n, text in enumerate(lines, 1) if text.strip()
    ]  # fmt: skip


def _prints(path: str, lines: list[str]) -> dict[int, dict[str, str]]:
    """Line → fingerprint under each scheme."""
    found = fingerprint_findings(
        _findings(path, lines), lambda _p, n: lines[n - 1] if 0 < n <= len(lines) else None, str
    )
    line_based = {
        f.line: hashlib.sha256(f"sim\0{path}\0{f.line}".encode()).hexdigest()[:32] for f in found
    }
    title = {f.line: f.model_copy(update={"anchor": ""}).fingerprint for f in found}
    return {
        f.line: {"content": f.fingerprint, "title": title[f.line], "line": line_based[f.line]}
        for f in found
        if f.line is not None
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("git_dir")
    parser.add_argument("--commits", type=int, default=300)
    args = parser.parse_args()
    shas = _git(args.git_dir, "log", "--no-merges", "--format=%H", f"-n{args.commits}").split()
    kept = {"content": 0, "title": 0, "line": 0}
    distinct = {"content": 0, "title": 0, "line": 0}
    unchanged = total = files = commits = 0
    for sha in shas:
        listing = _git(
            args.git_dir, "diff-tree", "--no-commit-id", "-r", "--name-status", f"{sha}^", sha
        )
        changed = [
            line.split("\t")[1]
            for line in listing.splitlines()
            if line.startswith("M\t") and line.endswith(".py")
        ]
        if not changed:
            continue
        commits += 1
        for path in changed:
            old = _git(args.git_dir, "show", f"{sha}^:{path}").splitlines()
            new = _git(args.git_dir, "show", f"{sha}:{path}").splitlines()
            before, after = _prints(path, old), _prints(path, new)
            files += 1
            total += len(before)
            for scheme in distinct:
                values = [p[scheme] for p in before.values()]
                distinct[scheme] += sum(1 for v in values if values.count(v) == 1)
            matcher = difflib.SequenceMatcher(a=old, b=new, autojunk=False)
            for block in matcher.get_matching_blocks():
                for offset in range(block.size):
                    i, j = block.a + offset + 1, block.b + offset + 1
                    if i not in before or j not in after:
                        continue
                    unchanged += 1
                    for scheme in kept:
                        kept[scheme] += before[i][scheme] == after[j][scheme]
    print(f"{commits} commits, {files} modified Python files, {total} simulated findings, "
          f"{unchanged} on lines the commit left unchanged")  # fmt: skip
    print("scheme    stable    distinct")
    for scheme in kept:
        print(
            f"{scheme:8}  {kept[scheme] / max(unchanged, 1):7.1%}  {distinct[scheme] / max(total, 1):9.1%}"
        )


if __name__ == "__main__":
    main()
