"""The priors' reasons: each names the files it rests on and earns the points its weight and
the evidence give, and a signal with nothing behind it gives no reason at all."""

from __future__ import annotations

from cicd_agent.analysis.change_types import ChangeType
from cicd_agent.analysis.changes import ChangedFile
from cicd_agent.risk.assessment import RiskFeatures
from cicd_agent.risk.score import (
    DEFAULT_WEIGHTS,
    Weights,
    history_reasons,
    saturate,
    size_reasons,
    type_reasons,
)


def _features(**changes: int | float) -> RiskFeatures:
    base: dict[str, int | float | bool] = dict(
        lines_added=0, lines_deleted=0, files=1, directories=1, subsystems=1, entropy=0.0,
        fix=False, new_files=0, deleted_files=0, renamed_files=0, binary_files=0,
        submodules=0, commits=1,
    )  # fmt: skip
    return RiskFeatures(**base | changes)  # type: ignore[arg-type]


def test_type_reasons_name_each_type_with_its_files() -> None:
    files = [
        ChangedFile("db/m.sql", types=frozenset({ChangeType.MIGRATION})),
        ChangedFile("db/n.sql", types=frozenset({ChangeType.MIGRATION})),
        ChangedFile("app.toml", types=frozenset({ChangeType.CONFIG})),
    ]
    reasons = {r.signal: r for r in type_reasons(files, DEFAULT_WEIGHTS)}
    assert set(reasons) == {ChangeType.MIGRATION.value, ChangeType.CONFIG.value}
    migration = reasons[ChangeType.MIGRATION.value]
    assert migration.evidence == ["db/m.sql", "db/n.sql"]
    assert "(2 file(s))" in migration.message
    assert migration.points == DEFAULT_WEIGHTS.types[ChangeType.MIGRATION]


def test_type_reasons_skip_a_type_without_weight() -> None:
    files = [ChangedFile("db/m.sql", types=frozenset({ChangeType.MIGRATION}))]
    assert type_reasons(files, Weights(types={})) == []


def test_size_reasons_weigh_lines_and_show_the_largest_files() -> None:
    files = [ChangedFile(f"src/f{i}.py", added=i * 10, deleted=1) for i in range(1, 6)]
    features = _features(lines_added=150, lines_deleted=5, files=5)
    reasons = {r.signal: r for r in size_reasons(files, features, DEFAULT_WEIGHTS)}
    size = reasons["size"]
    assert size.points == round(DEFAULT_WEIGHTS.size * saturate(155, DEFAULT_WEIGHTS.size_half), 4)
    assert size.evidence == ["src/f5.py (+50/-1)", "src/f4.py (+40/-1)", "src/f3.py (+30/-1)"]
    assert "binary" not in reasons and "submodule" not in reasons


def test_size_reasons_name_binaries_and_submodules() -> None:
    files = [
        ChangedFile("logo.png", binary=True),
        ChangedFile("vendor/lib", submodule=True),
    ]
    features = _features(files=2, binary_files=1, submodules=1)
    reasons = {r.signal: r for r in size_reasons(files, features, DEFAULT_WEIGHTS)}
    assert reasons["binary"].evidence == ["logo.png"]
    assert reasons["submodule"].evidence == ["vendor/lib"]
    assert reasons["submodule"].points == DEFAULT_WEIGHTS.submodule


def test_history_reasons_need_a_history() -> None:
    assert history_reasons(None, _features(), DEFAULT_WEIGHTS) == []
