"""What deploy-gate's risk says on changes anyone can judge, and how often each level comes up.

Usage: ``python -m research.risk.common_sense --cache DIR --work DIR [--last 100] [--short 30]
[--shares-only] [--out FILE.json] BARE_REPO...``.
For each fetched repository (a bare clone): the share of each level, of approvals and of the
recent-risk sentence over its newest ``--short`` and ``--last`` non-merge commits, each scored
against its first parent (the rows go to ``--out``), then, unless ``--shares-only``, changes
built on top of its HEAD (a one-word README typo by the most active author, 100,000 new lines in 50 new
files and 10,000 lines in one file by an author with no history, the same routine change by a
newcomer and by the most active author, in one file and spread over 21, a migration, a dev
requirement bump, the same change with a forged author, committer, ``Co-authored-by`` and
message) and HEAD scored in a ``--depth 2`` clone beside the full one. Everything is scored
in-process by deploy-gate's own steps (``read_change_set``, ``read_history``, the one scorer
``assess_risk``) and the default policy offline (no CI signal, inside business hours), as
``--provider none`` would: one decision block (:func:`score`) for the shares and the cases.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from cicd_agent.local.change_set import read_change_set
from cicd_agent.local.gitrepo import GitRepo
from cicd_agent.modes.deploy_gate import policy as policies
from cicd_agent.modes.deploy_gate import windows
from cicd_agent.modes.deploy_gate.options import DEFAULT_APPROVAL_CONFIDENCE
from cicd_agent.risk.checkout import assess_risk, read_history
from cicd_agent.risk.floors import Identity

NEWCOMER = ("Nobody Before", "first.timer@example.org")
LEVELS = ("low", "medium", "high", "critical")
WINDOW = windows.ChangeWindow(
    local_time="Wed 2026-11-25 11:00 UTC", weekend=False, off_hours=False, freeze=None
)


def git(cwd: Path, *args: str, env: dict[str, str] | None = None) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, check=True, capture_output=True, text=True, env=env
    ).stdout


SETTINGS = {"vouched": False}
"""``--vouched``: score as if GitHub named the head commit's author as the pull request's
(deploy-gate with a token); else offline, git's author text only."""


def score(repo_dir: Path, base: str | None, head: str, cache: Path) -> dict[str, Any]:
    """deploy-gate's level, score, approval and strategy for ``base..head``: the one scorer
    (:func:`~cicd_agent.risk.checkout.assess_risk`, as deploy-gate's collect step calls it) and the
    default policy offline (no CI signal, no model, inside business hours)."""
    repo = GitRepo.open(repo_dir)
    change = read_change_set(repo, head, base)
    now = repo.commit_time(change.head)  # replayed: the gate ran as the commit landed
    history = read_history(repo, change, now=now)
    identity = None
    if SETTINGS["vouched"] and change.commits:
        email = change.commits[-1].author_email.lower()
        known = history.experience > 0
        identity = Identity(
            source="vouched", verified=True, experienced=known, first_change=not known,
            emails=(email,) if known else (),
        )  # fmt: skip
    assessed = assess_risk(repo, change, history, cache, identity=identity, deepened=False, now=now)
    decision = policies.decide(
        assessed.risk_level,
        policies.Evidence(
            change_types=frozenset(assessed.change_types),
            safety_score=None,
            failed_tests=0,
            changes_requested=False,
            any_signal=False,
            window=WINDOW,
            blocking=tuple(assessed.hold_reasons),
        ),
        policies.Policy(),
        approval_confidence=DEFAULT_APPROVAL_CONFIDENCE,
    )
    return {
        "level": assessed.risk_level.value,
        "score": assessed.risk_score,
        "share": assessed.risk_quantile,
        "approval": decision.requires_approval,
        "approval_reasons": decision.approval_reasons,
        "strategy": decision.strategy.value,
        "canary": decision.canary_percentage,
        "recent_riskier": any(r.signal == "recent_risk" for r in assessed.reasons),
        "lead": assessed.reasons[0].message[:160] if assessed.reasons else "",
        "reasons": [r.message[:140] for r in assessed.reasons[:6]],
    }


APPROVAL_SHARE = 0.2
"""Issue 56's decision: no repository's approvals on its last 30 or 100 commits significantly
above a fifth (one-sided binomial test, p < 0.05)."""


def above_a_fifth(approvals: int, commits: int) -> float:
    """The one-sided binomial p-value of ``approvals`` or more in ``commits`` commits if each
    asked for approval with probability :data:`APPROVAL_SHARE` (exact, no approximation)."""
    p = APPROVAL_SHARE
    return min(1.0, sum(
        math.comb(commits, k) * p**k * (1 - p) ** (commits - k)
        for k in range(approvals, commits + 1)
    ))  # fmt: skip


def summary(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Each level's share, the approval share and how often the recent-risk sentence showed,
    with the approvals' binomial p-value against a fifth (:func:`above_a_fifth`)."""
    n = max(1, len(rows))
    levels = Counter(row["level"] for row in rows)
    approvals = sum(row["approval"] for row in rows)
    return {
        "commits": len(rows),
        **{lvl: levels[lvl] / n for lvl in LEVELS},
        "approval": approvals / n,
        "approval_p_above_a_fifth": above_a_fifth(approvals, len(rows)),
        "recent_riskier": sum(row["recent_riskier"] for row in rows) / n,
    }


def shares(bare: Path, cache: Path, last: int, short: int) -> dict[str, Any]:
    """The shares over the newest ``short`` and ``last`` non-merge commits, each scored
    against its first parent, oldest first (each week's fit is made once), with the rows."""
    shas = git(bare, "rev-list", "--no-merges", f"--max-count={last}", "HEAD").split()
    rows = []
    for sha in reversed(shas):
        parents = git(bare, "rev-list", "--parents", "-n1", sha).split()[1:]
        rows.append({"sha": sha, **score(bare, parents[0] if parents else None, sha, cache)})
    rows.reverse()  # newest first
    return {f"last_{short}": summary(rows[:short]), f"last_{last}": summary(rows), "rows": rows}


def _commit(work: Path, message: str, author: tuple[str, str], **extra: str) -> str:
    env = {
        "GIT_AUTHOR_NAME": author[0],
        "GIT_AUTHOR_EMAIL": author[1],
        "GIT_COMMITTER_NAME": extra.get("committer_name", author[0]),
        "GIT_COMMITTER_EMAIL": extra.get("committer_email", author[1]),
        "GIT_AUTHOR_DATE": "2026-11-25T10:00:00+00:00",
        "GIT_COMMITTER_DATE": "2026-11-25T10:00:00+00:00",
        "PATH": "/usr/bin:/bin",
        "HOME": str(work),
    }
    git(work, "add", "-A")
    git(work, "commit", "-q", "--no-verify", "-m", message, env=env)
    return git(work, "rev-parse", "HEAD").strip()


def _reset(work: Path, head: str) -> None:
    git(work, "reset", "-q", "--hard", head)
    git(work, "clean", "-qfdx")


def _source_files(work: Path, head: str) -> list[str]:
    """Python (else any code) files of HEAD, the most changed first."""
    counted = Counter(
        line
        for line in git(work, "log", "--format=", "--name-only", "-n", "2000", head).splitlines()
        if line.endswith((".py", ".js", ".ts", ".go", ".rb"))
        and "test" not in line
        and (work / line).is_file()
    )
    return [path for path, _ in counted.most_common()]


def cases(bare: Path, work_root: Path, cache: Path) -> dict[str, Any]:
    work = work_root / bare.name
    if not work.exists():
        try:
            git(work_root, "clone", "-q", str(bare), work.name)
        except subprocess.CalledProcessError as exc:  # a fetched mirror may lack big blobs
            shutil.rmtree(work, ignore_errors=True)
            return {"skipped": f"no work tree: {exc.stderr.strip().splitlines()[0]}"}
    head = git(work, "rev-parse", "HEAD").strip()
    _reset(work, head)
    top = git(work, "shortlog", "-sne", "HEAD").splitlines()[0].split("\t", 1)[1]
    active = (top.rsplit(" <", 1)[0], top.rsplit(" <", 1)[1].rstrip(">"))
    sources = _source_files(work, head)
    out: dict[str, Any] = {"head": head[:12], "active": active[1]}

    def run(name: str, build: Any, message: str, author: tuple[str, str], **extra: str) -> None:
        _reset(work, head)
        if build() is False:
            return
        sha = _commit(work, message, author, **extra)
        out[name] = score(work, head, sha, cache)

    readme = next((p for p in ("README.md", "README.rst", "README") if (work / p).is_file()), None)

    def typo() -> bool:
        if readme is None:
            return False
        text = (work / readme).read_text(encoding="utf-8", errors="replace")
        if " the " not in text:
            return False
        (work / readme).write_text(text.replace(" the ", " teh ", 1), encoding="utf-8")
        return True

    run("docs_typo_active", typo, "Fix a typo in the README", active)

    def big(files: int, lines: int) -> Any:
        def build() -> None:
            folder = work / "brand_new_area"
            folder.mkdir()
            for i in range(files):
                body = "".join(f"value_{i}_{j} = {j}\n" for j in range(lines))
                (folder / f"module_{i}.py").write_text(body)

        return build

    run("new_100k_50_files_newcomer", big(50, 2000), "Add the new area", NEWCOMER)
    run("new_10k_1_file_newcomer", big(1, 10_000), "Add the new area", NEWCOMER)
    run("new_60_files_newcomer", big(60, 3), "Add the new area", NEWCOMER)

    def routine(files: int, lines: int) -> Any:
        def build() -> bool:
            chosen = sources[:files]
            if len(chosen) < files:
                return False
            per = max(1, lines // files)
            for i, path in enumerate(chosen):
                with (work / path).open("a", encoding="utf-8") as handle:
                    handle.write("".join(f"\n_extra_{i}_{j} = {j}" for j in range(per)) + "\n")
            return True

        return build

    run("routine_20_lines_active", routine(1, 20), "Tidy the module", active)
    run("routine_20_lines_newcomer", routine(1, 20), "Tidy the module", NEWCOMER)
    run("routine_200_lines_newcomer", routine(1, 200), "Tidy the module", NEWCOMER)
    run("routine_21_files_newcomer", routine(21, 21 * 20), "Tidy the module", NEWCOMER)
    run("routine_1_file_420_lines_newcomer", routine(1, 21 * 20), "Tidy the module", NEWCOMER)
    run(
        "routine_newcomer_forged_as_active",
        routine(1, 20),
        "Tidy the module\n\nCo-authored-by: " + f"{active[0]} <{active[1]}>",
        active,
        committer_name=active[0],
        committer_email=active[1],
    )
    run("routine_newcomer_message_docs", routine(1, 20), "docs: typo", NEWCOMER)
    run(
        "routine_newcomer_message_revert",
        routine(1, 20),
        'Revert "Tidy"\n\nThis reverts commit ' + head + ".",
        NEWCOMER,
    )

    def migration() -> None:
        folder = work / "app" / "migrations"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "0099_add_column.py").write_text(
            "from django.db import migrations, models\n\n\nclass Migration(migrations.Migration):\n"
            "    operations = [migrations.AddField('item', 'flag', models.BooleanField("
            "default=False))]\n"
        )

    run("migration_active", migration, "Add a flag", active)

    def dev_bump() -> bool:
        for path in git(work, "ls-files").splitlines():
            name = path.lower()
            if not name.endswith(".txt") or "requirement" not in name:
                continue
            if not any(k in name for k in ("dev", "test", "doc", "lint", "ci")):
                continue
            text = (work / path).read_text(encoding="utf-8", errors="replace")
            for line in text.splitlines():
                if "==" in line and line.split("==")[1].strip()[:1].isdigit():
                    version = line.split("==")[1].strip()
                    bumped = version.rsplit(".", 1)
                    if len(bumped) == 2 and bumped[1].isdigit():
                        new = f"{bumped[0]}.{int(bumped[1]) + 1}"
                        (work / path).write_text(text.replace(line, line.replace(version, new), 1))
                        out["dev_bump_file"] = path
                        return True
        return False

    run("dev_requirement_bump_active", dev_bump, "Bump a dev requirement", active)
    _reset(work, head)
    shallow = work_root / (bare.name + ".shallow")
    shutil.rmtree(shallow, ignore_errors=True)
    git(work_root, "clone", "-q", "--depth", "2", f"file://{bare}", shallow.name)
    last = git(shallow, "rev-parse", "HEAD").strip()
    parents = git(shallow, "rev-list", "--parents", "-n1", last).split()[1:]
    if parents:
        out["head_full_clone"] = score(bare, parents[0], last, cache)
        out["head_depth_2_clone"] = score(shallow, parents[0], last, cache / "shallow")
    shutil.rmtree(shallow, ignore_errors=True)
    return out


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cache", type=Path, required=True)
    parser.add_argument("--work", type=Path, required=True)
    parser.add_argument("--last", type=int, default=100)
    parser.add_argument("--short", type=int, default=30)
    parser.add_argument("--out", type=Path)
    parser.add_argument("--vouched", action="store_true", help="see SETTINGS")
    parser.add_argument("--shares-only", action="store_true", help="no at-a-glance changes")
    parser.add_argument("repos", nargs="+", type=Path)
    args = parser.parse_args()
    SETTINGS["vouched"] = args.vouched
    args.work.mkdir(parents=True, exist_ok=True)
    report: dict[str, Any] = {"when": dt.datetime.now(dt.UTC).isoformat()}
    for given in args.repos:
        bare = given.resolve()
        cache = args.cache / bare.name
        got: dict[str, Any] = {"head": git(bare, "rev-parse", "HEAD").strip()}
        got["shares"] = shares(bare, cache, args.last, args.short)
        if not args.shares_only:
            got["cases"] = cases(bare, args.work, cache)
        report[bare.name] = got
        if args.out:
            args.out.write_text(json.dumps(report, indent=1))
        line = [f"{bare.name:30}"]
        for window in (f"last_{args.short}", f"last_{args.last}"):
            s = got["shares"][window]
            line.append(
                f"{window.replace('_', ' ')}: approval {s['approval']:4.0%} "
                f"(p above a fifth {s['approval_p_above_a_fifth']:.3f}) critical "
                f"{s['critical']:4.0%} high {s['high']:4.0%} sentence {s['recent_riskier']:4.0%}"
            )
        print("  ".join(line), flush=True)
        for name, case in got.get("cases", {}).items():
            if isinstance(case, dict):
                print(
                    f"    {name:36} {case['level']:8} {case['score']:.2f} "
                    f"approval={case['approval']!s:5} {case['strategy']}",
                    flush=True,
                )
    above = [
        f"{name} ({window})"
        for name, got in report.items() if isinstance(got, dict)
        for window in (f"last_{args.short}", f"last_{args.last}")
        if got["shares"][window]["approval_p_above_a_fifth"] < 0.05
    ]  # fmt: skip
    print(f"approvals significantly above a fifth (binomial, p < 0.05): {len(above)}", *above)
    return 0


if __name__ == "__main__":
    sys.exit(main())
