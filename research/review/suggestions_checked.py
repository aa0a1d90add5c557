"""How review's suggestion check fares on real projects: how many of ruff's safe
fixes, offered as suggestions on a real commit's added lines, break the touched files' tests or
ruff itself, how many the check withholds, and the time it adds to a review.

Run: ``python research/review/suggestions_checked.py MIRRORS WORK OUT.json`` where MIRRORS
holds each project's git directory as ``<owner>+<name>/repo``, WORK is a scratch folder and
the environment's ``python`` has pytest and the projects' test dependencies.

The cases are frozen below (:data:`CASES`, :data:`RUFF`, :data:`SETUP`) before any score was
seen. For each commit: its parent, plus one commit of our own (:data:`RUFF` as ``ruff.toml``:
the projects' own selections pass on their own commits, so they would give no fix to check;
and :data:`SETUP`: what an installed package would give the tests), is the base; the commit
cherry-picked onto it is the head. ``cicd-agent review --provider none`` runs twice on it: as
is, and with ``unfixable = ["ALL"]`` added to both sides (ruff then offers no fix, so nothing is
checked). With ``--whole-files`` (a second frozen set, written after the first gave almost no
suggestion: real commits add few lines, and those pass ruff's broad rules), the base also lacks
the commit's changed source files, so the change adds them whole and every safe fix in them is
on an added line: at most 10 a review are checked (review's cap). The check's cost is the
difference: CPU seconds of the review and all its children
(``resource.getrusage``), and its wall seconds from the review's own progress lines.
"""

from __future__ import annotations

import json
import re
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CLI = [sys.executable, "-m", "cicd_agent"]

CASES = (
    ("more-itertools+more-itertools", "237388cc3220bdc7cfacc6f766304a49b42fb8e7"),
    ("more-itertools+more-itertools", "0e6acdf9b60765ecf9634d6f5c132ac1bebc616b"),
    ("more-itertools+more-itertools", "069b30002a985c02f1ab18409290a699fd649376"),
    ("jazzband+prettytable", "fc473a1cf8d91cbb4df8865a756ba664c6542682"),
    ("jazzband+prettytable", "66c884ffed2a2f05f4060604a23ad25ca714365f"),
    ("jazzband+prettytable", "d80f5234a7dc27c72c1c080b6afb76ab131cc89a"),
    ("hukkin+tomli", "9eb2125ef49071e673d42e383b5221a268665193"),
    ("hukkin+tomli", "12314bde5b89a8bdc32de7403a2a4cf786187bbc"),
    ("hukkin+tomli", "2a2aa62f1bc71b89b74d41dd2ab67b5dd24bc129"),
)
RUFF = """\
target-version = "py39"

[lint]
select = ["F", "E", "W", "I", "UP", "SIM", "C4", "RUF", "PIE", "RET", "PERF", "B", "PL", "FURB"]
"""
SETUP = {
    "jazzband+prettytable": {"src/prettytable/_version.py": '__version__ = "0"\n'},
}
CONFTEST = "import sys\nfrom pathlib import Path\n\nsys.path.insert(0, str(Path(__file__).parent / 'src'))\n"


def _git(work: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(work), *args], check=True, capture_output=True,
                          text=True).stdout.strip()  # fmt: skip


def _prepare(
    mirrors: Path, work: Path, project: str, commit: str, unfixable: bool, whole: bool
) -> tuple[str, str, Path]:
    kind = ("off" if unfixable else "on") + ("-whole" if whole else "")
    place = work / f"{project}-{commit[:10]}-{kind}"
    if not place.exists():
        subprocess.run(["git", "clone", "-q", "--no-checkout", str(mirrors / project / "repo"),
                        str(place)], check=True)  # fmt: skip
        _git(place, "-c", "advice.detachedHead=false", "checkout", "-q", f"{commit}^")
        ruff = RUFF + ('unfixable = ["ALL"]\n' if unfixable else "")
        files = {"ruff.toml": ruff, **SETUP.get(project, {})}
        if (place / "src").is_dir():
            files["conftest.py"] = CONFTEST
        for name, text in files.items():
            (place / name).parent.mkdir(parents=True, exist_ok=True)
            (place / name).write_text(text)
        _git(place, "add", "-f", *files)
        if whole:  # the commit's source files (not its tests) come whole with the change
            changed = _git(place, "diff", "--name-only", "--diff-filter=M", commit + "^", commit)
            sources = [p for p in changed.split() if p.endswith(".py") and "test" not in p]
            _git(place, "rm", "-q", *sources)
        _git(place, "-c", "user.name=eval", "-c", "user.email=eval@example.com", "commit", "-q",
             "-m", "eval setup")  # fmt: skip
        if whole:  # the commit's files as it left them (a cherry-pick would meet the removal)
            touched = _git(place, "diff", "--name-only", "--diff-filter=AM", commit + "^", commit)
            _git(place, "checkout", commit, "--", *touched.split())
            _git(place, "-c", "user.name=eval", "-c", "user.email=eval@example.com", "commit",
                 "-q", "-m", "the commit's files")  # fmt: skip
        else:
            _git(place, "-c", "user.name=eval", "-c", "user.email=eval@example.com",
                 "cherry-pick", commit)  # fmt: skip
    return _git(place, "rev-parse", "HEAD^"), _git(place, "rev-parse", "HEAD"), place


def _review(place: Path, base: str, head: str) -> dict[str, object]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.monotonic()
    done = subprocess.run([*CLI, "review", "--provider", "none", "--report-on", "low", "--json",
                           "--repo", str(place), "--base", base, "--head", head],
                          capture_output=True, text=True, check=False)  # fmt: skip
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    document = json.loads(done.stdout) if done.stdout.strip() else {}
    return {"exit": done.returncode, "cpu": round(cpu, 2), "wall": round(time.monotonic() - start, 2),
            "check_wall": _check_wall(done.stderr), "document": document}  # fmt: skip


def _check_wall(progress: str) -> float | None:
    """Seconds from the check's first progress line to the next stage's (publish)."""
    stamps = [(float(m.group(1)), m.group(2)) for m in
              re.finditer(r"\[\s*([\d.]+)s\]\s+(.*)", progress)]  # fmt: skip
    start = next((i for i, (_, what) in enumerate(stamps) if what.startswith("checking ")), None)
    if start is None:
        return None
    end = next((t for t, what in stamps[start:] if what.startswith("publish:")), None)
    return None if end is None else round(end - stamps[start][0], 2)


def _summary(found: dict[str, object]) -> dict[str, object]:
    document = found["document"]
    assert isinstance(document, dict)
    findings = document.get("findings", [])
    return {
        "ruff_findings": sum(1 for f in findings if str(f["rule"]).startswith("ruff/")),
        "posted_suggestions": [
            (f["rule"], f["path"], f["line"], f["checked"])
            for f in findings
            if f.get("suggestion") is not None
        ],
        "notes": [n for n in document.get("notes", []) if "suggestion" in n],
        "tools": document.get("tools", []),
        "exit": found["exit"],
        "cpu": found["cpu"],
        "wall": found["wall"],
        "check_wall": found["check_wall"],
    }


def main() -> None:
    whole = "--whole-files" in sys.argv
    mirrors, work, out = (Path(a) for a in [a for a in sys.argv[1:] if a != "--whole-files"])
    work.mkdir(parents=True, exist_ok=True)
    results = []
    for project, commit in CASES:
        row: dict[str, object] = {"project": project, "commit": commit}
        for label, unfixable in (("checked", False), ("no_fixes", True)):
            base, head, place = _prepare(mirrors, work, project, commit, unfixable, whole)
            row[label] = _summary(_review(place, base, head))
        print(json.dumps(row), flush=True)
        results.append(row)
    out.write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
