"""The deploy rules, one case per kind, each through the CLI on a fresh repository
(no history to lean on, so the rule alone decides):

- a schema migration of any of the common layouts is high or critical and needs a human
  approval, and the summary says why;
- a change to a dependency manifest or lock file alone is at least medium and gets a full
  build, and the summary says why.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.git_builder import GitRepoBuilder
from tests.modes.deploy_gate.test_deploy_gate_cli import project, run

__all__ = ["project"]  # the fixture, shared with the CLI tests

MIGRATIONS = {
    "django": ("shop/migrations/0002_order_status.py", "operations = [AddField('status')]\n"),
    "alembic": ("alembic/versions/3f2a_add_status.py", "def upgrade():\n    op.add_column()\n"),
    "rails": ("db/migrate/20261118120000_add_status.rb", "add_column :orders, :status\n"),
    "flyway": ("db/migration/V2__add_status.sql", "ALTER TABLE orders ADD status text;\n"),
    "liquibase": ("db/changelog/db.changelog-2.xml", "<databaseChangeLog/>\n"),
    "sql-ddl": ("sql/002_add_status.sql", "CREATE INDEX orders_status ON orders (status);\n"),
}
MANIFESTS = {
    "requirements.txt": "requests==2.32.3\n",
    "package.json": '{"name": "shop", "dependencies": {"ms": "2.1.3"}}\n',
    "package-lock.json": '{"name": "shop", "lockfileVersion": 3, "packages": '
    '{"node_modules/ms": {"version": "2.1.3"}}}\n',
    "go.mod": "module example.com/shop\n\ngo 1.22\n\nrequire example.com/x v1.0.0\n",
    "go.sum": "example.com/x v1.0.0 h1:abc=\n",
    "Cargo.toml": '[package]\nname = "shop"\nversion = "0.1.0"\n\n[dependencies]\nserde = "1"\n',
    "Cargo.lock": 'version = 3\n\n[[package]]\nname = "serde"\nversion = "1.0.0"\n'
    'source = "registry+https://github.com/rust-lang/crates.io-index"\n',
    "poetry.lock": "[[package]]\nname = 'requests'\nversion = '2.32.3'\n",
}


@pytest.mark.parametrize("layout", sorted(MIGRATIONS))
def test_a_schema_migration_is_high_and_needs_approval_with_the_reason(
    layout: str, tmp_path: Path, project: GitRepoBuilder
) -> None:
    path, text = MIGRATIONS[layout]
    base = project.head()
    head = project.commit(f"Add order status ({layout})", {path: text})
    _, outputs, summary, _ = run(tmp_path, project, "--base", base, "--head", head)
    assert "migration" in json.loads(outputs["change_types"]), layout
    assert outputs["risk_level"] in ("high", "critical"), layout
    assert outputs["requires_approval"] == "true", layout
    assert "schema migration" in summary and "needs a human approval" in summary, layout
    assert path in summary, layout


@pytest.mark.parametrize("name", sorted(MANIFESTS))
def test_a_manifest_or_lock_file_alone_is_at_least_medium_with_a_full_build(
    name: str, tmp_path: Path, project: GitRepoBuilder
) -> None:
    base = project.head()
    head = project.commit(f"Bump dependencies ({name})", {name: MANIFESTS[name]})
    _, outputs, summary, _ = run(tmp_path, project, "--base", base, "--head", head)
    assert outputs["risk_level"] in ("medium", "high", "critical"), name
    assert outputs["build_strategy"] == "full", name
    assert "dependency" in summary and "full build" in summary, name


BUMPS = {
    "package.json": (
        '{\n  "name": "shop",\n  "version": "1.2.0",\n  "dependencies": {"ms": "2.1.3"}\n}\n',
        '{\n  "name": "shop",\n  "version": "1.3.0",\n  "dependencies": {"ms": "2.1.3"}\n}\n',
        '{\n  "name": "shop",\n  "version": "1.3.0",\n  "dependencies": {"ms": "2.1.4"}\n}\n',
    ),
    "Cargo.toml": (
        '[package]\nname = "shop"\nversion = "0.1.0"\nrust-version = "1.70"\n\n'
        '[dependencies.serde]\nversion = "1.0.100"\n',
        '[package]\nname = "shop"\nversion = "0.2.0"\nrust-version = "1.74"\n\n'
        '[dependencies.serde]\nversion = "1.0.100"\n',
        '[package]\nname = "shop"\nversion = "0.1.0"\nrust-version = "1.70"\n\n'
        '[dependencies.serde]\nversion = "1.0.200"\n',
    ),
    "pyproject.toml": (
        '[project]\nname = "shop"\nversion = "1.0"\ndependencies = ["requests"]\n',
        '[project]\nname = "shop"\nversion = "1.1"\ndependencies = ["requests"]\n',
        '[project]\nname = "shop"\nversion = "1.0"\ndependencies = ["requests", "rich"]\n',
    ),
}


@pytest.mark.parametrize("name", sorted(BUMPS))
def test_a_version_only_manifest_change_is_a_bump_not_new_third_party_code(
    name: str, tmp_path: Path, project: GitRepoBuilder
) -> None:
    """A ``version`` or ``rust-version`` bump was a "dependency change"; a changed
    dependency (serde's ``version`` in its own table) still is."""
    start, bumped, dependency = BUMPS[name]
    project.commit("Add the manifest", {name: start})
    base = project.head()
    head = project.commit("Release", {name: bumped})
    _, outputs, summary, _ = run(tmp_path, project, "--base", base, "--head", head)
    assert "dependencies" not in json.loads(outputs["change_types"]), name
    assert "third-party code" not in summary, name

    other = project.commit("Back", {name: start})
    head = project.commit("Bump a dependency", {name: dependency})
    _, outputs, summary, _ = run(tmp_path, project, "--base", other, "--head", head)
    assert "dependencies" in json.loads(outputs["change_types"]), name
    assert "third-party code" in summary, name


def test_a_change_that_does_not_parse_only_ever_raises_the_risk_and_holds() -> None:
    """No syntax error: the assessment as it was. Any: critical (a higher score kept), the
    deploy held whatever the policy, each file and line its evidence."""
    from cicd_agent.analysis.finding import Finding
    from cicd_agent.analysis.scale import RiskLevel
    from cicd_agent.analysis.severity import Severity
    from cicd_agent.modes.deploy_gate.unparsed import held_unparsed
    from cicd_agent.risk.assessment import RiskAssessment, RiskFeatures

    features = RiskFeatures(
        lines_added=1, lines_deleted=0, files=1, directories=1, subsystems=1, entropy=0.0,
        fix=False, new_files=0, deleted_files=0, renamed_files=0, binary_files=0, submodules=0,
        commits=1,
    )  # fmt: skip
    low = RiskAssessment(risk_score=0.1, risk_level=RiskLevel.LOW, change_types=[], reasons=[],
                         features=features, arithmetic="risk = 0.10.")  # fmt: skip
    assert held_unparsed(low, []) is low
    broken = Finding(rule="python/syntax-error", severity=Severity.HIGH, category="build",
                     path="app/x.py", line=3, title="python: the change does not parse",
                     body="expected ':'")  # fmt: skip
    now = held_unparsed(low, [broken])
    assert (now.risk_level, now.risk_score) == (RiskLevel.CRITICAL, RiskLevel.CRITICAL.lower_bound)
    assert now.hold_reasons == ["the change does not parse: `app/x.py` line 3"]
    assert now.reasons[-1].evidence == ["app/x.py:3: python: the change does not parse"]
    assert now.arithmetic.startswith("risk = 0.10, raised to 0.85")
    top = RiskAssessment(risk_score=0.99, risk_level=RiskLevel.CRITICAL, change_types=[],
                         reasons=[], features=features)  # fmt: skip
    assert held_unparsed(top, [broken]).risk_score == 0.99
