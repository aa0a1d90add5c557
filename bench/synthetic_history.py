"""A realistic synthetic git history, written with ``git fast-import`` (10,000 commits in seconds).

Used by ``bench_risk.py`` (scoring time per commit) and ``history_eval.py`` (does the risk score
rank later-reverted changes above the others?). No real long history is reachable from this
machine, so the evaluation rests on this generative process, which is documented here in full
because the figures mean only as much as it does.

The process (seeded, deterministic):

* a project of 10 subsystems (``src/api``, ``src/core``, ``src/db``, ``src/auth``, ``src/web``,
  ``src/jobs``, ``infra``, ``docs``, ``tests``, ``.github``) with migrations under
  ``src/db/migrations`` and dependency files at the root; files appear as the project grows;
* 60 developers with Zipf-distributed activity, a home subsystem, and a latent skill ~ N(0, 1)
  that the scorer cannot see;
* each commit has a kind (feature, fix, refactor, docs, tests, deps, migration, infra, ci), an
  author, files mostly from the author's home subsystem, and log-normally distributed line
  counts; subjects carry a unique ``(#N)`` like squash-merged pull requests;
* whether a commit is defective is drawn from a logistic model whose *directions* follow the
  JIT-defect literature (Kamei et al. 2013, McIntosh & Kamei 2018): more lines and files, fixes,
  migrations, infrastructure and auth changes, inexperience in the subsystem, files with recent
  defects and many past authors raise the odds; docs and tests lower them. Its functional form
  (log terms, an interaction, a hidden per-author skill, per-file fragility and N(0, 0.8) noise)
  differs from the scorer's, and the scorer never sees the latent variables;
* 60 % of defective commits are reverted 1–40 commits later with git's own message
  (``Revert "<subject>"`` / ``This reverts commit …``), restoring the files' earlier content.

What this can and cannot show: an AUC here says the scorer recovers relationships the
literature reports, from git data alone, through noise and hidden causes. It does not show the
effect sizes of a real project; treat it as a consistency check, not a validation.
"""

from __future__ import annotations

import math
import random
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

SUBSYSTEMS = (
    "src/api",
    "src/core",
    "src/db",
    "src/auth",
    "src/web",
    "src/jobs",
    "infra",
    "docs",
    "tests",
    ".github",
)
KINDS = (
    ("feature", 0.36),
    ("fix", 0.22),
    ("refactor", 0.10),
    ("docs", 0.08),
    ("tests", 0.09),
    ("deps", 0.05),
    ("migration", 0.04),
    ("infra", 0.04),
    ("ci", 0.02),
)
VERBS = {
    "feature": ("Add", "Support", "Implement", "Introduce"),
    "fix": ("Fix", "Fix bug in", "Hotfix for", "Fix crash in"),
    "refactor": ("Refactor", "Simplify", "Clean up", "Rename helpers in"),
    "docs": ("Document", "Update docs for", "Clarify"),
    "tests": ("Test", "Add tests for", "Cover"),
    "deps": ("Bump dependencies for", "Upgrade libraries for"),
    "migration": ("Add migration for", "Change schema of"),
    "infra": ("Tune deployment of", "Update container for"),
    "ci": ("Update CI for", "Speed up CI of"),
}
NOUNS = ("users", "orders", "invoices", "search", "sessions", "reports", "exports", "cache")


@dataclass
class Developer:
    email: str
    name: str
    home: str
    skill: float
    commits_in: dict[str, int] = field(default_factory=dict)


@dataclass
class FileState:
    lines: list[str]
    fragility: float
    authors: set[str] = field(default_factory=set)
    recent_defects: float = 0.0


@dataclass
class GeneratedHistory:
    """Where the repository is and what the generator knows (ground truth for checks)."""

    path: Path
    commits: int
    defective: int
    reverted: int
    seconds: float


def _pick(rng: random.Random, weighted: tuple[tuple[str, float], ...]) -> str:
    roll = rng.random() * sum(weight for _, weight in weighted)
    for value, weight in weighted:
        roll -= weight
        if roll <= 0:
            return value
    return weighted[-1][0]


def _file_name(rng: random.Random, subsystem: str, kind: str, serial: int) -> str:
    noun = rng.choice(NOUNS)
    if kind == "migration":
        return f"src/db/migrations/{serial:05d}_{noun}.py"
    if subsystem == "docs":
        return f"docs/{noun}_{serial % 40}.md"
    if subsystem == "tests":
        return f"tests/test_{noun}_{serial % 60}.py"
    if subsystem == ".github":
        return f".github/workflows/{noun}.yml"
    if subsystem == "infra":
        return rng.choice(
            (f"infra/k8s/{noun}.yaml", f"infra/terraform/{noun}.tf", "infra/Dockerfile")
        )
    return f"{subsystem}/{noun}_{serial % 25}.py"


def generate(path: Path, commits: int = 10_000, seed: int = 7) -> GeneratedHistory:
    """Write the history into a new repository at ``path`` and return its ground truth."""
    import time

    started = time.perf_counter()
    rng = random.Random(seed)
    developers = [
        Developer(
            f"dev{i}@example.com",
            f"Developer {i}",
            rng.choice(SUBSYSTEMS[:6]) if i % 5 else rng.choice(SUBSYSTEMS),
            rng.gauss(0.0, 1.0),
        )
        for i in range(60)
    ]
    activity = [1.0 / (rank + 1) ** 1.1 for rank in range(len(developers))]
    files: dict[str, FileState] = {}
    pending_reverts: list[tuple[int, str, dict[str, list[str] | None]]] = []
    stream: list[bytes] = []
    clock = 1_500_000_000
    defective = reverted = 0
    for serial in range(1, commits + 1):
        clock += rng.randint(600, 5 * 3600)
        due = [item for item in pending_reverts if item[0] <= serial]
        if due:
            _, subject, before = due[0]
            pending_reverts.remove(due[0])
            author = rng.choices(developers, weights=activity)[0]
            changes = {}
            for name, old in before.items():
                if old is None:
                    files.pop(name, None)
                    changes[name] = None
                else:
                    files.setdefault(name, FileState([], 1.0)).lines = list(old)
                    changes[name] = "\n".join(old) + "\n"
            message = f'Revert "{subject}"\n\nThis reverts a change that broke production.\n'
            stream.append(_commit(author, clock, message, changes, serial))
            reverted += 1
            continue
        author = rng.choices(developers, weights=activity)[0]
        kind = _pick(rng, KINDS)
        subsystem = {
            "docs": "docs",
            "tests": "tests",
            "migration": "src/db",
            "infra": "infra",
            "ci": ".github",
        }.get(kind, author.home if rng.random() < 0.8 else rng.choice(SUBSYSTEMS[:6]))
        count = max(1, round(rng.lognormvariate(0.4, 0.8)))
        if rng.random() < 0.01:
            count = rng.randint(40, 300)
        touched: dict[str, list[str] | None] = {}
        changes: dict[str, str | None] = {}
        lines_changed = 0
        for _ in range(count):
            if kind == "deps":
                name = rng.choice(("requirements.txt", "poetry.lock", "pyproject.toml"))
            else:
                existing = [n for n in files if n.startswith(subsystem + "/")]
                reuse = existing and rng.random() < 0.75 and kind != "migration"
                name = rng.choice(existing) if reuse else _file_name(rng, subsystem, kind, serial)
            state = files.get(name)
            touched.setdefault(name, list(state.lines) if state else None)
            if state is None:
                state = files[name] = FileState([], rng.lognormvariate(0.0, 0.6))
            edit = max(1, round(rng.lognormvariate(2.6, 1.2)))
            lines_changed += _edit(rng, state.lines, edit, serial)
            changes[name] = "\n".join(state.lines) + "\n"
        fix = kind == "fix"
        home_commits = author.commits_in.get(subsystem, 0)
        fragility = sum(files[n].fragility for n in touched) / len(touched)
        recent = sum(files[n].recent_defects for n in touched)
        ndev = len(set().union(*(files[n].authors for n in touched)))
        logit = (
            -5.4
            + 0.45 * math.log1p(lines_changed)
            + 0.30 * math.log(len(touched))
            + 0.55 * fix
            + 1.0 * (kind == "migration")
            + 0.7 * (kind == "infra")
            + 0.6 * (subsystem == "src/auth")
            + 0.3 * (kind == "deps")
            - 1.6 * (kind in ("docs", "tests"))
            - 0.30 * math.log1p(home_commits)
            + 0.45 * math.log1p(recent)
            + 0.20 * math.log1p(ndev)
            + 0.35 * fragility
            - 0.45 * author.skill
            + 0.10 * fix * math.log1p(lines_changed)
            + rng.gauss(0.0, 0.8)
        )
        is_defective = rng.random() < 1.0 / (1.0 + math.exp(-logit))
        verb = rng.choice(VERBS[kind])
        subject = f"{verb} {rng.choice(NOUNS)} in {subsystem.split('/')[-1]} (#{serial})"
        stream.append(_commit(author, clock, subject + "\n", changes, serial))
        author.commits_in[subsystem] = home_commits + 1
        for name in touched:
            state = files[name]
            state.authors.add(author.email)
            state.recent_defects *= 0.9
            if is_defective:
                state.recent_defects += 1.0
        if is_defective:
            defective += 1
            if rng.random() < 0.6:
                pending_reverts.append((serial + rng.randint(1, 40), subject, touched))
    path.mkdir(parents=True, exist_ok=True)
    subprocess.run(["git", "init", "-q", "-b", "main", str(path)], check=True)
    subprocess.run(
        ["git", "-C", str(path), "fast-import", "--quiet"], input=b"".join(stream), check=True
    )
    return GeneratedHistory(path, commits, defective, reverted, time.perf_counter() - started)


def _edit(rng: random.Random, lines: list[str], amount: int, serial: int) -> int:
    """Change about ``amount`` lines: some rewritten, some added, some removed."""
    changed = 0
    for step in range(amount):
        roll = rng.random()
        if lines and roll < 0.35:
            lines[rng.randrange(len(lines))] = f"value_{serial}_{step} = {rng.random():.6f}"
            changed += 2
        elif lines and roll < 0.5:
            lines.pop(rng.randrange(len(lines)))
            changed += 1
        else:
            lines.insert(rng.randint(0, len(lines)), f"def f_{serial}_{step}(): return {step}")
            changed += 1
    return changed


def _commit(
    author: Developer, when: int, message: str, changes: dict[str, str | None], serial: int
) -> bytes:
    body = message.encode()
    parts = [
        b"commit refs/heads/main\n",
        f"mark :{serial}\n".encode(),
        f"author {author.name} <{author.email}> {when} +0000\n".encode(),
        f"committer {author.name} <{author.email}> {when} +0000\n".encode(),
        f"data {len(body)}\n".encode(),
        body,
    ]
    for name, content in changes.items():
        if content is None:
            parts.append(f"D {name}\n".encode())
            continue
        data = content.encode()
        parts += [f"M 100644 inline {name}\n".encode(), f"data {len(data)}\n".encode(), data]
    parts.append(b"\n")
    return b"".join(parts)
