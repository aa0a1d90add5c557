"""deploy-gate's risk on changes anyone judges at a glance, built on top of a real
project's history (pypa/twine's 1,050 commits, rebuilt by ``tests/helpers/real_history.py``)
and scored through the CLI as a user runs it: a bigger change never scores lower, nothing
the author writes into git moves a decision, documentation is low, a huge change by an
unknown author is at least high, a docs requirement bump at most medium, a migration high
with approval, and a shallow clone is never milder and says how to fix it."""

from __future__ import annotations

import io
import json
import random
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cicd_agent.analysis.scale import RiskLevel
from cicd_agent.cli import main
from cicd_agent.risk import model as risk_model
from cicd_agent.risk.jit import FEATURES
from cicd_agent.risk.model import DIRECTIONS, RISKIER, SAFER, FittedModel, fit
from cicd_agent.risk.prior import load_prior
from tests.helpers.real_history import build

NEWCOMER = ("Nobody Before", "first.timer@example.org")
MAINTAINER = ("author-0", "author-0@example.org")
"""The fixture's most active author (pseudonyms are numbered by first appearance)."""


class Project:
    """The rebuilt history, a shared fit cache, and changes committed on top of its HEAD."""

    def __init__(self, root: Path) -> None:
        self.repo = root / "twine"
        self.head = build(self.repo, "twine.json.gz")
        self.cache = root / "cache"
        self.runs = root / "runs"
        self.runs.mkdir()

    def git(self, *args: str, env: dict[str, str] | None = None, cwd: Path | None = None) -> str:
        done = subprocess.run(
            ["git", *args],
            cwd=cwd or self.repo,
            check=True,
            capture_output=True,
            text=True,
            env={"PATH": "/usr/bin:/bin", "HOME": str(self.runs), **(env or {})},
        )
        return done.stdout.strip()

    def change(
        self,
        files: dict[str, str],
        *,
        author: tuple[str, str] = NEWCOMER,
        committer: tuple[str, str] | None = None,
        message: str = "Tidy the module",
        stamp: str = "2026-11-18T10:00:00+00:00",
    ) -> str:
        """Commit ``files`` (appended to, or new) on top of HEAD; returns the commit."""
        self.git("reset", "-q", "--hard", self.head)
        self.git("clean", "-qfdx")
        for name, text in files.items():
            target = self.repo / name
            target.parent.mkdir(parents=True, exist_ok=True)
            with target.open("a", encoding="utf-8") as handle:
                handle.write(text)
        who = committer or author
        self.git("add", "-A")
        self.git(
            "commit", "-q", "--no-verify", "-m", message,
            env={"GIT_AUTHOR_NAME": author[0], "GIT_AUTHOR_EMAIL": author[1],
                 "GIT_COMMITTER_NAME": who[0], "GIT_COMMITTER_EMAIL": who[1],
                 "GIT_AUTHOR_DATE": stamp, "GIT_COMMITTER_DATE": stamp},
        )  # fmt: skip
        return self.git("rev-parse", "HEAD")

    def score(self, head: str, repo: Path | None = None, base: str | None = None) -> dict[str, Any]:
        return deploy_gate_json(
            repo or self.repo, base or self.head, head, self.cache, self.runs,
            "--deploy-time", "2026-11-18T12:00:00+00:00",
        )  # fmt: skip


def deploy_gate_json(
    repo: Path, base: str, head: str, cache: Path, runs: Path, *more: str
) -> dict[str, Any]:
    """``deploy-gate --provider none --json`` on ``base..head`` as a user runs it (exit 0)."""
    out = runs / "github_output"
    out.write_text("")
    stdout = io.StringIO()
    argv = [
        "deploy-gate", "--provider", "none", "--json", "--repo", str(repo), "--base", base,
        "--head", head, "--cache-dir", str(cache), *more,
    ]  # fmt: skip
    code = main(argv, environ={"GITHUB_OUTPUT": str(out)}, stdout=stdout, stderr=io.StringIO())
    assert code == 0
    document: dict[str, Any] = json.loads(stdout.getvalue())
    return document


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Project]:
    yield Project(tmp_path_factory.mktemp("risk-common-sense"))


def lines(count: int, tag: str = "x") -> str:
    return "".join(f"{tag}_{i} = {i}\n" for i in range(count))


def rank(document: dict[str, Any]) -> int:
    return RiskLevel(document["risk_level"]).rank


def decision(document: dict[str, Any]) -> tuple[str, bool, str]:
    return document["risk_level"], document["requires_approval"], document["strategy"]


def test_a_bigger_change_never_scores_lower(project: Project) -> None:
    """More lines, then more files, then new files: each step contains the last."""
    steps = [
        {"twine/utils.py": lines(20)},
        {"twine/utils.py": lines(200)},
        {"twine/utils.py": lines(200), "twine/cli.py": lines(20), "twine/settings.py": lines(20)},
        {"twine/utils.py": lines(200), "twine/cli.py": lines(20), "twine/settings.py": lines(20),
         **{f"twine/new_{i}.py": lines(50) for i in range(5)}},
    ]  # fmt: skip
    scores = [project.score(project.change(files))["risk_score"] for files in steps]
    assert scores == sorted(scores), scores


def test_nothing_the_author_writes_into_git_moves_the_decision(project: Project) -> None:
    change = {"twine/utils.py": lines(20)}
    newcomer = project.score(project.change(change))
    forged = [
        project.change(change, author=MAINTAINER),
        project.change(change, committer=MAINTAINER),
        project.change(
            change, message=f"Tidy\n\nCo-authored-by: {MAINTAINER[0]} <{MAINTAINER[1]}>"
        ),
        project.change(change, message="docs: fix a typo"),
        project.change(change, message='Revert "Tidy"\n\nThis reverts commit ' + project.head),
        project.change(change, message="Fix the crash on upload"),
    ]
    for head in forged:
        document = project.score(head)
        assert document["risk_score"] == newcomer["risk_score"]
        assert decision(document) == decision(newcomer)


@pytest.mark.parametrize(
    "stamp", ["2046-01-01T00:00:00+00:00", "2006-01-01T00:00:00+00:00"], ids=["ahead", "behind"]
)
def test_a_forged_commit_date_moves_nothing(project: Project, stamp: str) -> None:
    """Time is the run's (``--deploy-time``), not the author's: the committer and author
    dates the change's author writes, twenty years ahead or behind, leave the level, the
    reasons and the approval where they were."""
    change = {"twine/utils.py": lines(20)}
    honest = project.score(project.change(change))
    forged = project.score(project.change(change, stamp=stamp))
    assert decision(forged) == decision(honest)
    assert forged["risk_score"] == honest["risk_score"]
    assert [r["message"] for r in forged["reasons"]] == [r["message"] for r in honest["reasons"]]


def test_a_mailmap_that_maps_a_newcomer_onto_the_maintainer_changes_nothing(
    project: Project,
) -> None:
    mapped = f"{MAINTAINER[0]} <{MAINTAINER[1]}> {NEWCOMER[0]} <{NEWCOMER[1]}>\n"
    unrelated = "Some One <some.one@example.org> Else <else@example.org>\n"
    change = {"twine/utils.py": lines(20)}
    plain = project.score(project.change({**change, ".mailmap": unrelated}))
    masked = project.score(project.change({**change, ".mailmap": mapped}))
    assert masked["risk_score"] == plain["risk_score"]
    assert decision(masked) == decision(plain)


def test_a_one_word_readme_fix_by_the_maintainer_is_low(project: Project) -> None:
    document = project.score(project.change({"README.rst": "A word.\n"}, author=MAINTAINER))
    assert document["risk_level"] == "low"
    assert not document["requires_approval"]


@pytest.mark.parametrize(
    "files",
    [
        {"twine/big.py": lines(10_000)},
        {f"twine/area/m_{i}.py": lines(1) for i in range(50)},
    ],
    ids=["10,000 lines", "50 files"],
)
def test_a_huge_change_by_an_author_with_no_history_is_at_least_high(
    project: Project, files: dict[str, str]
) -> None:
    document = project.score(project.change(files))
    assert rank(document) >= RiskLevel.HIGH.rank
    assert any("no history GitHub vouches for" in r["message"] for r in document["reasons"])


def test_the_same_huge_change_claimed_by_the_maintainer_is_still_high(project: Project) -> None:
    document = project.score(project.change({"twine/big.py": lines(10_000)}, author=MAINTAINER))
    assert rank(document) >= RiskLevel.HIGH.rank


def test_a_docs_requirement_bump_is_at_most_medium(project: Project) -> None:
    """The fixture's ``docs/requirements.txt`` exists at HEAD; a bump replaces one line."""
    base = project.change({"docs/requirements.txt": "sphinx==7.2.5\n"}, message="pin sphinx")
    path = project.repo / "docs" / "requirements.txt"
    path.write_text(path.read_text().replace("sphinx==7.2.5", "sphinx==7.2.6"))
    project.git("commit", "-qam", "Bump sphinx", env={"GIT_AUTHOR_NAME": "a",
                "GIT_AUTHOR_EMAIL": "a@example.org", "GIT_COMMITTER_NAME": "a",
                "GIT_COMMITTER_EMAIL": "a@example.org"})  # fmt: skip
    document = project.score(project.git("rev-parse", "HEAD"), base=base)
    assert rank(document) <= RiskLevel.MEDIUM.rank


def test_a_schema_migration_is_high_with_approval(project: Project) -> None:
    migration = (
        "from django.db import migrations, models\n\n\nclass Migration(migrations.Migration):\n"
        "    operations = [migrations.AddField('item', 'flag', models.BooleanField())]\n"
    )
    document = project.score(project.change({"app/migrations/0002_flag.py": migration}))
    assert rank(document) >= RiskLevel.HIGH.rank
    assert document["requires_approval"]


def test_a_shallow_clone_is_never_milder_and_says_how_to_fix_it(
    project: Project, tmp_path: Path
) -> None:
    head = project.change({"twine/utils.py": lines(20)})
    full = project.score(head)
    shallow = tmp_path / "shallow"
    project.git("clone", "-q", "--depth", "2", f"file://{project.repo}", str(shallow))
    document = project.score(project.git("rev-parse", "HEAD", cwd=shallow), repo=shallow)
    assert rank(document) >= rank(full)
    assert document["requires_approval"] >= full["requires_approval"]
    assert document["strategy"] == "blue_green"
    assert any("shallow clone: set `fetch-depth: 0`" in r["message"] for r in document["reasons"])


def test_levels_are_the_stated_share_of_the_fit_and_json_carries_it(project: Project) -> None:
    document = project.score(project.change({"twine/utils.py": lines(20)}))
    assert 0.0 <= document["risk_quantile"] <= 1.0


# --- the constrained model, directly --------------------------------------------------------


@pytest.fixture(scope="module")
def past_rows(project: Project) -> list[list[float]]:
    from cicd_agent.local.gitrepo import GitRepo
    from cicd_agent.risk import jit, mining

    rows, _ = jit.replay(mining.mine(GitRepo.open(project.repo), project.head, None))
    return rows


@pytest.fixture(scope="module")
def fitted(project: Project) -> FittedModel:
    from cicd_agent.local.gitrepo import GitRepo
    from cicd_agent.risk import jit, mining
    from cicd_agent.risk.jit import fix_inducing, reverted

    past = mining.mine(GitRepo.open(project.repo), project.head, None)
    rows, _ = jit.replay(past)
    labels = reverted(past)
    own = risk_model.own_labels([c.sha for c in past], labels, fix_inducing(past) - labels)
    model = fit(rows, own, load_prior())
    assert model is not None
    assert model.own  # the fix-inducing commits join the few reverts: a fit of its own
    return model


def test_the_fitted_and_the_shipped_coefficients_keep_their_directions(
    fitted: FittedModel,
) -> None:
    for coef in (fitted.coef, fitted.prior_coef):
        for name, value in zip(FEATURES, coef, strict=True):
            direction = DIRECTIONS.get(name)
            if direction == RISKIER:
                assert value >= 0.0, name
            elif direction == SAFER:
                assert value <= 0.0, name
            elif direction == risk_model.UNUSED:
                assert value == 0.0, name


def test_raising_any_riskier_feature_never_lowers_the_score(fitted: FittedModel) -> None:
    chance = random.Random(45)
    knots = fitted.knots
    for _ in range(300):
        row = [chance.choice(k) if k else 0.0 for k in knots]
        base, _, _ = fitted.score(row)
        for index, name in enumerate(FEATURES):
            direction = DIRECTIONS.get(name)
            if direction not in (RISKIER, SAFER):
                continue
            moved = list(row)
            moved[index] += 1.0 if direction == RISKIER else -1.0
            assert fitted.score(moved)[0] >= base, name


def test_within_a_change_type_size_outweighs_everything_else(fitted: FittedModel) -> None:
    """Of two changes of one kind (no change type, neither documentation nor tests only), one
    whose lines added and deleted rank above 80 % of the past ranks above one whose lines
    added and deleted rank below 25 %, even when every other feature of the larger is at its
    safest and of the smaller at its riskiest: size is the score's backbone (two thirds of the
    blend, so a gap of more than half the past in size decides)."""
    knots = fitted.knots
    added, deleted = FEATURES.index("lines_added"), FEATURES.index("lines_deleted")
    kind = {FEATURES.index("docs_only"), FEATURES.index("tests_only")} | {
        i for i, name in enumerate(FEATURES) if name.startswith("type_")
    }
    large, small = [], []
    for index, (name, k) in enumerate(zip(FEATURES, knots, strict=True)):
        riskier = DIRECTIONS.get(name) == RISKIER
        safest, riskiest = (k[0], k[-1]) if riskier else (k[-1], k[0])
        large.append(0.0 if index in kind else safest)
        small.append(0.0 if index in kind else riskiest)
    for size in (added, deleted):
        large[size], small[size] = knots[size][810], knots[size][240]
    assert large[added] > small[added]
    assert fitted.score(large)[0] > fitted.score(small)[0]


@pytest.mark.parametrize("vouched", [True, False], ids=["GitHub's identity", "git text only"])
def test_each_level_is_its_stated_share_of_the_recent_past(
    fitted: FittedModel, past_rows: list[list[float]], vouched: bool
) -> None:
    """Scored as deploy-gate scores a change (offline: as a newcomer's), the recent past lands
    in each level as often as the table says: critical the riskiest 3 %, high or above 10 %."""
    from cicd_agent.risk.jit import as_newcomer

    recent = past_rows[-len(fitted.past_blend) :]
    shares = [
        fitted.assess(row if vouched else as_newcomer(row), vouched=vouched).share for row in recent
    ]
    critical = sum(share >= 0.97 for share in shares) / len(shares)
    high_up = sum(share >= 0.90 for share in shares) / len(shares)
    assert critical <= 0.03 + 0.01
    assert high_up <= 0.10 + 0.01


@pytest.mark.parametrize("last", [30, 100])
def test_approvals_on_the_recent_past_are_not_significantly_above_a_fifth(
    fitted: FittedModel, past_rows: list[list[float]], last: int
) -> None:
    """The decision at a glance on a real history: the default policy asks a human to
    approve at high and above; over the last 30 and the last 100 commits, read as a
    newcomer's (the harsher offline reading), that count is not significantly above a fifth
    (one-sided exact binomial test, p ≥ 0.05). 11 of 30 would be."""
    from scipy.stats import binom

    from cicd_agent.risk.jit import as_newcomer

    def above_a_fifth(approvals: int, commits: int) -> float:
        return float(binom.sf(approvals - 1, commits, 0.2))

    assert above_a_fifth(11, 30) < 0.05 < above_a_fifth(10, 30)
    recent = past_rows[-last:]
    assert len(recent) == last
    high = sum(fitted.assess(as_newcomer(row), vouched=False).share >= 0.90 for row in recent)
    assert above_a_fifth(high, last) >= 0.05, f"{high} of {last} would ask for approval"
