"""A migration's statements are described as what they do.

A Django ``AlterField(db_index=True)`` (it adds an index) was reported as a statement that
"drop, rename or rewrite data". deploy-gate on a real repository, and the wording for each kind.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from cicd_agent.job.repo_config import parse
from cicd_agent.risk.floors import describe_statements
from tests.git_builder import GitRepoBuilder
from tests.helpers.cli import run_cli

DAY = date(2026, 11, 26)  # the run's day, as resolve_run hands it over
MIGRATION = """from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("shop", "0001_initial")]

    operations = [
        migrations.AlterField(
            model_name="order",
            name="reference",
            field=models.CharField(db_index=True, max_length=32),
        ),
    ]
"""


def test_an_index_added_by_alter_field_is_not_called_dropping_data(tmp_path: Path) -> None:
    repo = GitRepoBuilder(tmp_path / "project")
    base = repo.commit("Initial", {"shop/models.py": "x = 1\n"})
    head = repo.commit("Index order references", {"shop/migrations/0002_ref.py": MIGRATION})
    done = run_cli(
        ["deploy-gate", "--repo", str(repo.path), "--base", base, "--head", head,
         "--deploy-time", "2026-11-18T12:00:00+00:00"],
        tmp_path, {"RUNNER_TEMP": ""},
    )  # fmt: skip
    assert done.code == 0, done.stderr
    reasons = done.outputs["reasons"]
    assert "1 migration statement(s) change a column's definition (its type, index, " in reasons
    assert "drop" not in reasons and "rename" not in reasons, reasons
    assert done.outputs["risk_level"] in ("high", "critical")  # still a migration: still high


def test_each_kind_of_statement_is_worded_for_what_it_does() -> None:
    assert describe_statements(["db/V2.sql: ALTER TABLE users DROP COLUMN legacy_id;"]) == (
        "drop or delete a table, column, index or rows"
    )
    assert describe_statements(["m.py: migrations.RenameField("]).startswith("rename a table")
    both = describe_statements(["a.sql: DELETE FROM sessions;", "b.py: op.alter_column('t', 'c')"])
    assert both.startswith("drop or delete") and "; or change a column's definition" in both


def test_the_example_settings_never_hide_a_migration_from_review() -> None:
    """The example put ``**/migrations/**`` under review's ``paths-ignore``: a team copying it
    got no review of the changes that most need one."""
    text = (Path(__file__).resolve().parents[3] / "examples" / "cicd-agent.yml").read_text()
    review = parse(text, "review", DAY).paths
    for path in ("shop/migrations/0002_ref.py", "db/migrate/20260101_add_index.rb",
                 "migrations/versions/3f2a_add_index.py", "db/V2__drop.sql"):  # fmt: skip
        assert review.selects(path), path
    assert not parse(text, "gen-tests", DAY).paths.selects("shop/migrations/0002_ref.py")
