"""Risk features, score, level and floors, on file lists and on real git histories."""

from __future__ import annotations

from pathlib import Path

import pytest
from bench.risk_replay import assess_range

from cicd_agent.analysis.changes import ChangedFile, CommitInfo
from cicd_agent.analysis.scale import RiskLevel, level_for
from cicd_agent.risk.evidence import ChangeEvidence, destructive_statements
from cicd_agent.risk.records import churn_entropy
from cicd_agent.risk.score import assess_change
from tests.git_builder import GitRepoBuilder


def files(*specs: tuple[str, int, int]) -> list[ChangedFile]:
    return [ChangedFile(path, added, deleted) for path, added, deleted in specs]


def commit(subject: str) -> CommitInfo:
    return CommitInfo("a" * 40, "dev@example.com", 1_700_000_000, subject)


def test_docs_only_change_is_low_even_when_large() -> None:
    result = assess_change(files(("docs/guide.md", 3000, 800), ("README.md", 200, 10)))
    assert result.risk_level is RiskLevel.LOW
    assert any(r.signal == "scope" for r in result.reasons)


def test_tests_only_change_is_low() -> None:
    result = assess_change(files(("tests/test_a.py", 400, 20), ("tests/test_b.py", 300, 0)))
    assert result.risk_level is RiskLevel.LOW


@pytest.mark.parametrize(
    "path",
    ["src/auth/tokens_check.py", "Dockerfile", "k8s/app.yaml"],
)
def test_auth_and_infrastructure_are_never_low(path: str) -> None:
    result = assess_change(files((path, 1, 0)))
    assert result.risk_level is not RiskLevel.LOW
    floor = next(r for r in result.reasons if r.signal == "floor")
    assert path in floor.evidence


@pytest.mark.parametrize(
    "path",
    ["shop/migrations/0002_order_status.py", "alembic/versions/3f1c_add_orders.py",
     "app/db/migrations/versions/3f1c_add_orders.py", "db/migrate/20240101120000_add_orders.rb",
     "src/main/resources/db/migration/V3__add_orders.sql",
     "src/main/resources/db/changelog/db.changelog-master.yaml",
     "db/changelog/changes/001-create-orders.xml", "sql/create_orders.sql"],
)  # fmt: skip
def test_a_schema_migration_is_at_least_high_and_says_why(path: str) -> None:
    """It runs once against live data; redeploying the old code does not undo it."""
    result = assess_change(files((path, 3, 0)))
    assert result.risk_level.rank >= RiskLevel.HIGH.rank
    reason = next(r for r in result.reasons if r.signal == "migration_floor")
    assert path in reason.evidence and "approval" in reason.message


@pytest.mark.parametrize(
    "path",
    ["requirements.txt", "requirements/prod.txt", "pyproject.toml", "package.json",
     "package-lock.json", "yarn.lock", "go.mod", "go.sum", "Cargo.toml", "Cargo.lock", "Gemfile",
     "Gemfile.lock", "pom.xml", "build.gradle", "uv.lock", "poetry.lock"],
)  # fmt: skip
def test_a_dependency_manifest_or_lock_change_is_at_least_medium_and_says_why(path: str) -> None:
    result = assess_change(files((path, 1, 1)))
    assert result.risk_level.rank >= RiskLevel.MEDIUM.rank
    reason = next(r for r in result.reasons if r.signal == "dependency_floor")
    assert path in reason.evidence and "full build" in reason.message


def test_destructive_migration_is_at_least_high() -> None:
    diff = (
        "diff --git a/db/V2__drop.sql b/db/V2__drop.sql\n"
        "+++ b/db/V2__drop.sql\n"
        "+ALTER TABLE users DROP COLUMN legacy_id;\n"
        "+SELECT 1;\n"
    )
    found = destructive_statements(diff)
    assert found == ["db/V2__drop.sql: ALTER TABLE users DROP COLUMN legacy_id;"]
    result = assess_change(
        files(("db/V2__drop.sql", 2, 0)), evidence=ChangeEvidence(destructive=tuple(found))
    )
    assert result.risk_level.rank >= RiskLevel.HIGH.rank
    assert any(r.signal == "destructive_migration" for r in result.reasons)


def test_bigger_and_wider_changes_score_higher() -> None:
    small = assess_change(files(("src/app/a.py", 10, 2)))
    large = assess_change(files(*((f"src/mod{i}/f{i}.py", 120, 40) for i in range(12))))
    assert large.risk_score > small.risk_score
    size = next(r for r in large.reasons if r.signal == "size")
    assert "1,920 lines changed" in size.message
    assert size.evidence[0].startswith("src/mod")


def test_what_the_message_says_moves_nothing() -> None:
    """A message is text the author writes: "fix" neither raises nor, left out, lowers."""
    plain = assess_change(files(("src/app/a.py", 10, 2)), [commit("Add export")])
    fixed = assess_change(files(("src/app/a.py", 10, 2)), [commit("Fix crash on export")])
    assert fixed.risk_score == plain.risk_score
    assert [r.message for r in fixed.reasons] == [r.message for r in plain.reasons]


def test_entropy_is_normalised() -> None:
    even = files(("a.py", 10, 0), ("b.py", 10, 0), ("c.py", 10, 0))
    skewed = files(("a.py", 1000, 0), ("b.py", 1, 0), ("c.py", 1, 0))
    assert churn_entropy(even) == pytest.approx(1.0)
    assert churn_entropy(skewed) < 0.1


def test_levels_partition_the_score() -> None:
    assert [level_for(s) for s in (0.0, 0.29, 0.3, 0.6, 0.85, 0.99)] == [
        RiskLevel.LOW,
        RiskLevel.LOW,
        RiskLevel.MEDIUM,
        RiskLevel.HIGH,
        RiskLevel.CRITICAL,
        RiskLevel.CRITICAL,
    ]


@pytest.fixture
def history(tmp_path: Path) -> GitRepoBuilder:
    """A small project: one seasoned author, a file that was reverted twice, a newcomer."""
    repo = GitRepoBuilder(tmp_path / "repo")
    veteran = "Vera Veteran <vera@example.com>"
    repo.commit(
        "Start", {"src/api/orders.py": "a = 1\n", "src/api/users.py": "u = 1\n"}, author=veteran
    )
    for i in range(12):
        repo.commit(f"Tune users {i}", {"src/api/users.py": f"u = {i}\n"}, author=veteran)
    for i in range(2):
        repo.commit(f"Change orders {i}", {"src/api/orders.py": f"a = {i + 2}\n"}, author=veteran)
        repo.commit(f'Revert "Change orders {i}"', {"src/api/orders.py": "a = 1\n"}, author=veteran)
        repo.commit(
            f"Fix orders rounding {i}", {"src/api/orders.py": f"a = {i}.5\n"}, author=veteran
        )
    return repo


def test_history_features_count_reverts_fixes_and_authors(history: GitRepoBuilder) -> None:
    head = history.commit(
        "Rework orders", {"src/api/orders.py": "a = 42\n"}, author="New Person <new@example.com>"
    )
    _, features, result = assess_range(history.path, head)
    assert features.past_reverts == 2
    assert features.past_fixes == 2
    assert features.unique_changes == 7
    assert features.experience == 0
    reverts = next(r for r in result.reasons if r.signal == "past_reverts")
    assert any('Revert "Change orders 1"' in item for item in reverts.evidence)
    assert result.features.author_experience == 0


def test_experienced_author_on_a_quiet_file_scores_lower(history: GitRepoBuilder) -> None:
    base = history.head()
    risky = history.commit(
        "Rework orders", {"src/api/orders.py": "a = 42\n"}, author="New Person <new@example.com>"
    )
    history.git("reset", "-q", "--hard", base)
    calm = history.commit(
        "Rework users", {"src/api/users.py": "u = 42\n"}, author="Vera Veteran <vera@example.com>"
    )
    assert (
        assess_range(history.path, risky)[2].risk_score
        > assess_range(history.path, calm)[2].risk_score
    )


def test_history_uses_only_the_past_of_the_change(history: GitRepoBuilder) -> None:
    """Scoring an old commit must not see the commits after it (no look-ahead)."""
    early = history.git("rev-list", "--reverse", "HEAD").split()[13]
    _, features, _ = assess_range(history.path, early)
    assert features.past_reverts == 0


@pytest.mark.parametrize(
    "path", ["src/auth/login.py", "deploy/Dockerfile", "db/migrations/0002_users.py", "src/app.py"]
)
def test_a_shallow_clone_is_critical_whatever_else_the_change_touches(path: str) -> None:
    """The never-low floor of a security, infrastructure or migration file raises the floor:
    it must never lower the shallow clone's critical one (a riskier file, a milder gate)."""
    changed = [ChangedFile(path=path, added=3, deleted=1, status="M")]
    assessment = assess_change(changed, shallow=True)
    assert assessment.risk_level is RiskLevel.CRITICAL
    assert "shallow_floor" in [r.signal for r in assessment.reasons]


def test_a_huge_security_change_by_an_unknown_author_stays_high() -> None:
    changed = [
        ChangedFile(path=f"src/auth/m{i}.py", added=20, deleted=0, status="A") for i in range(300)
    ]
    assert assess_change(changed).risk_level >= RiskLevel.HIGH
