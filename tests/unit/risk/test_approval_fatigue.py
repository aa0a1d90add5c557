"""What no reviewer would hold a deployment for, on real commits of public projects
(``tests/fixtures/risk/approval_fatigue.json.gz``: git's numstat and the files' text): a
lock file regenerated for development dependencies alone, a changelog with tests, a
``Cargo.toml`` whose links moved. Each is at most medium (the changelog with tests low),
counted once, and each cap lifts as soon as something shipped joins the change (a bigger
change is never safer); who git says wrote it moves nothing. And the size a reason says is
git's, as every other summary says it."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

from cicd_agent.analysis.change_types import ChangeType
from cicd_agent.analysis.changes import ChangedFile
from cicd_agent.analysis.scale import RiskLevel
from cicd_agent.local.change_set import read_change_set
from cicd_agent.local.gitrepo import GitRepo
from cicd_agent.risk.checkout import assess_risk, read_history
from cicd_agent.risk.dependencies import changed_entries
from cicd_agent.risk.evidence import ChangeEvidence
from cicd_agent.risk.floors import GIT_TEXT, finish
from cicd_agent.risk.runs import effective
from cicd_agent.risk.score import DEFAULT_WEIGHTS, assess_change, measure, type_reasons
from tests.git_builder import GitRepoBuilder

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "risk" / "approval_fatigue.json.gz"
CASES: dict[str, dict[str, Any]] = json.loads(gzip.decompress(FIXTURE.read_bytes()))["cases"]
SHIPPED = ChangedFile("src/index.ts", added=5, deleted=1)


def _files(name: str) -> list[ChangedFile]:
    return [ChangedFile(path, added, deleted) for path, added, deleted in CASES[name]["numstat"]]


def _moved(name: str) -> dict[str, tuple[str, ...]]:
    return {
        path: changed_entries(path, before, after) or ()
        for path, (before, after) in CASES[name]["texts"].items()
    }


def test_a_lock_file_regenerated_for_dev_dependencies_is_at_most_medium() -> None:
    """unjs/ufo's "chore: update deps": eleven devDependencies and 3,855 lines of
    pnpm-lock.yaml (high, with an approval and a canary, before)."""
    files, moved = _files("dev-dependencies-regenerated"), _moved("dev-dependencies-regenerated")
    assert len(moved["package.json"]) == 11
    evidence = ChangeEvidence(moved=moved)
    assessed = assess_change(files, evidence=evidence)
    assert assessed.risk_level is RiskLevel.MEDIUM
    signals = {reason.signal for reason in assessed.reasons}
    assert {"dev_dependency_ceiling", "dependency_floor"} <= signals  # still built in full
    claimed = assess_change(files, evidence=evidence, identity=GIT_TEXT)
    assert (claimed.risk_level, claimed.risk_score) == (assessed.risk_level, assessed.risk_score)
    shipped = {"package.json": (*moved["package.json"], '+ left-pad (dependencies) "^1.3.0"')}
    with_runtime = assess_change(files, evidence=ChangeEvidence(moved=shipped))
    assert with_runtime.risk_level is RiskLevel.HIGH  # a shipped dependency lifts the cap
    bigger = assess_change([*files, SHIPPED], evidence=evidence)
    assert bigger.risk_score >= assessed.risk_score and bigger.risk_level is RiskLevel.HIGH


def test_a_changelog_with_tests_is_low() -> None:
    """dateutil's test clean-ups with their changelog fragment (both high on dateutil's own
    fitted history before, then medium): nothing deployed changes, so low; a source file
    lifts the cap."""
    for name in ("changelog-and-tests", "changelog-and-tests-2"):
        files = _files(name)
        capped = finish(0.8, [], files=files, types=[], features=measure(files))
        assert capped.risk_level is RiskLevel.LOW, name
        assert any(r.signal == "unshipped_ceiling" for r in capped.reasons)
        source = ChangedFile("dateutil/parser/_parser.py", added=1, deleted=1)
        lifted = finish(0.8, [], files=[*files, source], types=[], features=measure(files))
        assert lifted.risk_level is RiskLevel.HIGH, name


def test_a_cargo_toml_whose_links_moved_counts_once() -> None:
    """rapidfuzz/strsim-rs' "Update links to reference the rapidfuzz org": no dependency
    moved, so ``Cargo.toml`` is build configuration, once (it was build configuration +0.20
    and configuration +0.15)."""
    files = effective(_files("cargo-urls"), {}, _moved("cargo-urls"))
    reasons = type_reasons(files, DEFAULT_WEIGHTS)
    owned = [reason for reason in reasons if "Cargo.toml" in reason.evidence]
    assert [(reason.signal, reason.points) for reason in owned] == [("build", 0.2)]


def _size_reason(builder: GitRepoBuilder, base: str, head: str) -> str:
    """The size reason of the change ``base..head`` as deploy-gate and review say it."""
    repo = GitRepo.open(builder.path)
    change = read_change_set(repo, head, base)
    now = repo.commit_time(change.head)
    history = read_history(repo, change, now=now)
    assessed = assess_risk(repo, change, history, None, identity=None, deepened=False, now=now)
    [size] = [reason.message for reason in assessed.reasons if reason.signal == "size"]
    return size


def test_the_size_said_is_gits_numstat(tmp_path: Path) -> None:
    """hashicorp/go-version's custom prefixes commit: git counts +208/-4, of which +34/-2
    change what runs outside its tests and documentation; the reason said "178 lines changed
    (+176/-2)" beside review's "+208 −4"."""
    case = CASES["go-code-and-comments"]
    builder = GitRepoBuilder(tmp_path / "repo")
    base = builder.commit("base", {path: texts[0] for path, texts in case["texts"].items()})
    head = builder.commit(case["subject"], {p: texts[1] for p, texts in case["texts"].items()})
    numstat = builder.git("diff", "--numstat", base, head).splitlines()
    added = sum(int(line.split("\t")[0]) for line in numstat)
    deleted = sum(int(line.split("\t")[1]) for line in numstat)
    assert (added, deleted) == (208, 4)
    size = _size_reason(builder, base, head)
    assert size.startswith(
        "212 lines changed (+208/-4), 36 of them not comments, whitespace, tests or "
        "documentation (+34/-2)"
    ), size


def test_a_readmes_lines_are_not_called_code_that_runs(tmp_path: Path) -> None:
    """gobwas/glob's "Fix speed results table formatting." with the CI change before it: the
    readme's ten lines were said to be "code that runs"; beside the CI change they are left
    out of its size, and a reason says so."""
    builder = GitRepoBuilder(tmp_path / "repo")
    ci = "language: go\n# the versions\ngo:\n  - 1.5\n"
    table = "".join(f"| pattern {n} | {n} ns |\n" for n in range(40))
    base = builder.commit("base", {"readme.md": "# glob\n", ".travis.yml": ci})
    head = builder.commit(
        "Fix table",
        {"readme.md": "# glob\n" + table, ".travis.yml": ci.replace("the", "our") + "  - 1.6\n"},
    )
    repo = GitRepo.open(builder.path)
    change = read_change_set(repo, head, base)
    now = repo.commit_time(change.head)
    history = read_history(repo, change, now=now)
    assessed = assess_risk(repo, change, history, None, identity=None, deepened=False, now=now)
    said = [reason.message for reason in assessed.reasons]
    assert not any("code that runs" in message for message in said), said
    [left_out] = [r for r in assessed.reasons if "left out of the size" in r.message]
    assert left_out.evidence == ["readme.md"]


def test_changelog_fragments_with_tests_are_not_shipped_code() -> None:
    """The fragment folders of the changelog tools (an Ansible collection's
    ``changelogs/fragments/*.yml``, towncrier's ``newsfragments/12273.bugfix`` with no suffix)
    beside tests: read as a schema migration (high, with an approval) and as unknown shipped
    files before; they are the changelog, and the change is low."""
    for name in ("changelog-fragment-and-tests", "news-fragment-and-tests"):
        files = _files(name)
        assert all(c.types <= {ChangeType.DOCS, ChangeType.TESTS} for c in files), name
        assessed = assess_change(files)
        assert assessed.risk_level is RiskLevel.LOW, name
        assert not any(r.signal == "migration_floor" for r in assessed.reasons), name
        capped = finish(0.8, [], files=files, types=[], features=measure(files))
        assert capped.risk_level is RiskLevel.LOW, name
        source = ChangedFile("plugins/modules/synchronize.py", added=1, deleted=1)
        lifted = finish(0.8, [], files=[*files, source], types=[], features=measure(files))
        assert lifted.risk_level is RiskLevel.HIGH, name


def test_a_release_changelog_written_by_changie_is_documentation() -> None:
    """hashicorp/terraform-plugin-go's "Update changelog": the release's notes and the
    ``.changes/unreleased/*.yaml`` entries they were made from (configuration before)."""
    files = _files("changie-release-notes")
    assert all(c.types == {ChangeType.DOCS} for c in files)
    assert finish(0.8, [], files=files, types=[], features=measure(files)).risk_level is (
        RiskLevel.LOW
    )


def test_a_liquibase_changelog_stays_a_migration() -> None:
    """The fragment folders take nothing from the migrations that share the word."""
    for path in (
        "src/main/resources/db/changelog/db.changelog-master.yaml",
        "src/main/resources/db/changelog/changes/001-create-users.xml",
        "db/changelog/2024-01-add-index.sql",
        "changelogs/fragments/V2__add_index.sql",
    ):
        assert ChangeType.MIGRATION in ChangedFile(path).types, path
