"""deploy-gate's risk on what changed, not only how much: real commits of public
projects in five languages (``tests/fixtures/risk/real_changes.json.gz``: each file's text
before and after, the commit named), replayed on top of a real project's history and scored
through the CLI as a user runs it. The checks a person makes at a glance: a comment-,
docstring- or doc-comment-only commit is low whatever its size and says so; a release that
bumps the package's own version, a ``[tool.x]`` table or a classifier is no dependency change;
a real dependency bump names the entry; CI-only and test-only commits roll nothing out."""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.helpers.real_history import FIXTURES
from tests.unit.risk.test_common_sense import MAINTAINER, Project, decision

CASES: dict[str, dict[str, Any]] = {
    case["case"]: case
    for case in json.loads(gzip.decompress((FIXTURES / "real_changes.json.gz").read_bytes()))[
        "cases"
    ]
}


class Replay(Project):
    def replay(self, name: str) -> tuple[str, str]:
        """The case's files at their base text, committed on the history, then at their head
        text; returns (base, head)."""
        return self.replay_files(CASES[name]["files"], CASES[name]["subject"])

    def replay_files(
        self, files: dict[str, list[str | None]], subject: str = "Update"
    ) -> tuple[str, str]:
        self.git("reset", "-q", "--hard", self.head)
        self.git("clean", "-qfdx")
        commits = []
        for side in (0, 1):
            for path, texts in files.items():
                target = self.repo / path
                if texts[side] is None:
                    target.unlink(missing_ok=True)
                    continue
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(texts[side], encoding="utf-8")
            self.git("add", "-A")
            stamp = "2026-11-18T10:00:00+00:00"
            self.git(
                "commit", "-q", "--no-verify", "--allow-empty", "-m", subject,
                env={"GIT_AUTHOR_NAME": MAINTAINER[0], "GIT_AUTHOR_EMAIL": MAINTAINER[1],
                     "GIT_COMMITTER_NAME": MAINTAINER[0], "GIT_COMMITTER_EMAIL": MAINTAINER[1],
                     "GIT_AUTHOR_DATE": stamp, "GIT_COMMITTER_DATE": stamp},
            )  # fmt: skip
            commits.append(self.git("rev-parse", "HEAD"))
        return commits[0], commits[1]

    def judge(self, name: str) -> dict[str, Any]:
        base, head = self.replay(name)
        return self.score(head, base=base)


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Replay]:
    yield Replay(tmp_path_factory.mktemp("risk-what-changed"))


def messages(document: dict[str, Any]) -> str:
    return "\n".join(r["message"] for r in document["reasons"])


@pytest.mark.parametrize(
    "name",
    ["javadoc-only", "docstring-only", "go-comment-only", "rust-doc-comment-only", "jsdoc-only"],
)
def test_a_change_to_comments_alone_is_low_and_says_so(project: Replay, name: str) -> None:
    document = project.judge(name)
    assert document["risk_level"] == "low", messages(document)
    assert not document["requires_approval"]
    assert "all comments, docstrings and whitespace" in messages(document)


@pytest.mark.parametrize("name", ["go-comment-only", "docstring-only", "javadoc-only"])
def test_a_change_to_comments_in_code_is_not_called_documentation(
    project: Replay, name: str
) -> None:
    """A comment in a source file is not documentation: the reasons said "Only documentation
    changed" and the headline "only CI, documentation or tests changed" of a change to code."""
    document = project.judge(name)
    assert "Only documentation" not in messages(document), messages(document)
    assert "Only comments and documentation changed" in messages(document), messages(document)
    assert "documentation or comments changed" in document["headline"], document["headline"]


@pytest.mark.parametrize(
    "name",
    ["release-please", "release-version", "cargo-own-version", "tool-table", "classifier"],
)
def test_a_manifest_edit_that_changes_no_dependency_is_not_a_dependency_change(
    project: Replay, name: str
) -> None:
    document = project.judge(name)
    signals = {r["signal"] for r in document["reasons"]}
    assert "dependency_floor" not in signals, messages(document)
    assert "dependencies" not in document["change_types"], document["change_types"]
    assert "dependencies" not in signals and "lockfile" not in signals, messages(document)


@pytest.mark.parametrize(
    ("name", "entry"),
    [
        ("go-dependency-bump", "github.com/nats-io/nkeys v0.4.9 → v0.4.11"),
        ("python-dependency-bump", "mypy"),
    ],
)
def test_a_changed_dependency_is_named(project: Replay, name: str, entry: str) -> None:
    document = project.judge(name)
    floor = [r for r in document["reasons"] if r["signal"] == "dependency_floor"]
    assert floor, messages(document)
    assert entry in floor[0]["message"] + " ".join(floor[0]["evidence"])


@pytest.mark.parametrize("name", ["ci-only", "test-only", "javadoc-only"])
def test_a_change_that_deploys_nothing_has_no_rollout_strategy(project: Replay, name: str) -> None:
    document = project.judge(name)
    assert document["strategy"] == "none", document["strategy"]
    assert "nothing to roll out" in document["headline"], document["headline"]


@pytest.mark.parametrize("name", ["changelog-and-test-module", "changelog-line-and-test"])
def test_a_changelog_line_and_a_test_file_are_low_and_roll_nothing_out(
    project: Replay, name: str
) -> None:
    """dateutil's NEWS entry with its ``test.py`` (the suite's one module at the root, as the
    project kept it) and httpx's CHANGELOG line with its test: nothing deployed changes, so
    low, no approval, nothing to roll out. Before: ``test.py`` was read as shipped source
    (medium, rolled out), and documentation with tests was at most medium, never low."""
    document = project.judge(name)
    assert decision(document) == ("low", False, "none"), messages(document)


def test_one_shared_diff_reads_as_git_per_path_set(project: Replay) -> None:
    """The detectors and what-runs share one ``git diff`` of the change (two git processes
    fewer a gate): on every real commit, each path set's text cut from it is the text git
    prints for that set alone, and a change holding a deleted file asks git per set."""
    from itertools import combinations

    from cicd_agent.local.change_set import read_change_set
    from cicd_agent.local.gitrepo import GitRepo
    from cicd_agent.risk.checkout import _diff_parts

    repo = GitRepo.open(project.repo)
    shared = 0
    for name in CASES:
        base, head = project.replay(name)
        change = read_change_set(repo, head, base)
        parts = _diff_parts(repo, change)
        deleted = any(c.status == "D" for c in change.files)
        assert parts is not None or deleted, name
        if parts is None:
            continue
        shared += 1
        paths = sorted(parts.covered)
        subsets = [list(s) for n in (1, 2, len(paths)) for s in combinations(paths, n)][:40]
        for subset in subsets:
            asked = set(subset)
            cut = "".join(parts.text[p] for p in parts.text if p in asked)
            assert cut == repo.diff_text(base, head, subset, 10**9), (name, subset)
    assert shared >= len(CASES) // 2


SETUP_CFG = """[metadata]
name = semantic_version
classifiers =
    Programming Language :: Python :: 3
    Programming Language :: Python :: 3.10

[options]
packages = semantic_version
python_requires = >= 2.7
install_requires =

[options.extras_require]
doc =
    Sphinx

[flake8]
ignore = W503
"""
"""python-semanticversion's ``setup.cfg``, cut short: its commit adaed0d added one classifier
line, and deploy-gate said "1 dependency manifest or lock file(s) changed ... at least medium"."""


@pytest.mark.parametrize(
    "head",
    [
        SETUP_CFG.replace(":: 3.10\n", ":: 3.10\n    Programming Language :: Python :: 3.11\n"),
        SETUP_CFG + "\n[mypy]\nstrict = true\n",
    ],
    ids=["classifier", "mypy-section"],
)
def test_a_setup_cfg_edit_outside_its_requirements_is_no_dependency_change(
    project: Replay, head: str
) -> None:
    base, head_commit = project.replay_files({"setup.cfg": [SETUP_CFG, head]})
    document = project.score(head_commit, base=base)
    signals = {r["signal"] for r in document["reasons"]}
    assert "dependency_floor" not in signals, messages(document)
    assert "dependencies" not in document["change_types"], document["change_types"]


@pytest.mark.parametrize(
    ("head", "named"),
    [
        (SETUP_CFG.replace("install_requires =\n", "install_requires =\n    requests>=2\n"),
         "+ requests (install_requires) >=2"),
        (SETUP_CFG.replace("    Sphinx\n", "    Sphinx\n    sphinx_rtd_theme\n"),
         "+ sphinx_rtd_theme (doc)"),
        (SETUP_CFG + "\n[flake8]\nignore = E501\n", "could not be compared"),
    ],
    ids=["install-requires", "extra", "does-not-parse"],
)  # fmt: skip
def test_a_setup_cfg_requirement_or_an_unreadable_one_is_a_dependency_change(
    project: Replay, head: str, named: str
) -> None:
    """A section read twice does not parse (setuptools refuses it too): counted as changed,
    and the reason says so."""
    base, head_commit = project.replay_files({"setup.cfg": [SETUP_CFG, head]})
    document = project.score(head_commit, base=base)
    floor = [r for r in document["reasons"] if r["signal"] == "dependency_floor"]
    assert floor, messages(document)
    assert named in floor[0]["message"], floor[0]["message"]


def test_attack_a_requirement_added_to_a_file_setup_cfg_names_is_a_dependency_change(
    project: Replay,
) -> None:
    cfg = "[metadata]\nname = a\n[options]\ninstall_requires = file: deps.in\n"
    base, head_commit = project.replay_files(
        {"setup.cfg": [cfg, cfg], "deps.in": ["six\n", "six\nevil\n"]}
    )
    document = project.score(head_commit, base=base)
    assert "dependencies" in document["change_types"], document["change_types"]
    floor = [r for r in document["reasons"] if r["signal"] == "dependency_floor"]
    assert floor, messages(document)
    assert "deps.in, named by setup.cfg's install_requires" in floor[0]["message"], floor
    assert "+ evil" in floor[0]["message"], floor[0]["message"]


PYPROJECT_DYNAMIC = """[project]
name = "a"
dynamic = ["dependencies", "optional-dependencies"]
[tool.setuptools.dynamic]
dependencies = {file = ["requirements.in"]}
optional-dependencies.extra = {file = "extra/reqs.in"}
"""


@pytest.mark.parametrize("path", ["requirements.in", "extra/reqs.in"])
def test_attack_a_requirement_added_to_a_file_pyproject_names_is_a_dependency_change(
    project: Replay, path: str
) -> None:
    base, head_commit = project.replay_files(
        {"pyproject.toml": [PYPROJECT_DYNAMIC] * 2, path: ["six\n", "six\nevil\n"]}
    )
    document = project.score(head_commit, base=base)
    assert "dependencies" in document["change_types"], document["change_types"]
    floor = [r for r in document["reasons"] if r["signal"] == "dependency_floor"]
    assert floor and f"{path}, named by pyproject.toml's" in floor[0]["message"], floor


@pytest.mark.parametrize(
    ("config", "named"),
    [("setup.cfg", "/deps.in"), ("sub/setup.cfg", "../deps.in"),
     ("sub/setup.cfg", "x/../../deps.in"), ("sub/setup.cfg", "/deps.in")],
)  # fmt: skip
def test_attack_a_file_named_outside_the_configuration_names_nothing(
    project: Replay, config: str, named: str
) -> None:
    """A ``file:`` path out of the configuration's folder (climbing above it, absolute: what
    setuptools refuses) names no file: ``deps.in`` at the root stays what its path says, and
    the change set does not fail."""
    cfg = f"[metadata]\nname = a\n[options]\ninstall_requires = file: {named}\n"
    base, head_commit = project.replay_files(
        {config: [cfg, cfg], "deps.in": ["six\n", "six\nevil\n"], "sub/notes": ["a", "b"]}
    )
    document = project.score(head_commit, base=base)
    assert "dependencies" not in document["change_types"], document["change_types"]


COMPOSER_LOCK = """{
    "packages": [
        {
            "name": "monolog/monolog",
            "version": "%s"
        }
    ]
}
"""


@pytest.mark.parametrize("named", ["composer.lock", "yarn.lock"])
def test_attack_a_lock_file_a_configuration_names_keeps_its_dependency_floor(
    project: Replay, named: str
) -> None:
    """A configuration the pull request writes can name any file: a lock file of a format no
    reader knows, read as a requirements list, would list nothing on either side and so read
    as unchanged, dropping the dependency floor its path alone gives."""
    cfg = f"[metadata]\nname = a\n[options]\ninstall_requires = file: {named}\n"
    base, head_commit = project.replay_files(
        {"setup.cfg": [cfg, cfg], named: [COMPOSER_LOCK % "2.9.1", COMPOSER_LOCK % "6.6.6"]}
    )
    document = project.score(head_commit, base=base)
    floor = [r for r in document["reasons"] if r["signal"] == "dependency_floor"]
    assert floor, messages(document)
    assert "could not be compared" in floor[0]["message"], floor[0]["message"]


def test_attack_changed_folders_before_a_configuration_do_not_hide_the_file_it_names(
    project: Replay,
) -> None:
    """A pull request that also changes a file in each of many folders sorting first must not
    push the one configuration that names its requirement file past what is read."""
    cfg = "[metadata]\nname = a\n[options]\ninstall_requires = file: deps.in\n"
    decoys: dict[str, list[str | None]] = {f"a{n:03}/notes": ["a", "b"] for n in range(80)}
    base, head_commit = project.replay_files(
        {**decoys, "pkg/setup.cfg": [cfg, cfg], "pkg/deps.in": ["six\n", "six\nevil\n"]}
    )
    document = project.score(head_commit, base=base)
    floor = [r for r in document["reasons"] if r["signal"] == "dependency_floor"]
    assert floor, messages(document)
    assert "+ evil" in floor[0]["message"], floor[0]["message"]


def test_attack_a_requirement_file_reached_through_a_named_link_is_a_dependency_change(
    project: Replay,
) -> None:
    """setuptools opens a named file through a link: the file the link points to, changed, is
    the requirement change, though no configuration names its own path."""
    cfg = "[metadata]\nname = a\n[options]\ninstall_requires = file: deps.in\n"
    project.replay_files({"setup.cfg": [cfg, cfg], "notes/list": ["six\n", "six\n"]})
    who = {"GIT_AUTHOR_NAME": MAINTAINER[0], "GIT_AUTHOR_EMAIL": MAINTAINER[1],
           "GIT_COMMITTER_NAME": MAINTAINER[0], "GIT_COMMITTER_EMAIL": MAINTAINER[1]}  # fmt: skip
    (project.repo / "deps.in").symlink_to("notes/list")
    project.git("add", "-A")
    project.git("commit", "-q", "--no-verify", "-m", "Link", env=who)
    base = project.git("rev-parse", "HEAD")
    (project.repo / "notes" / "list").write_text("six\nevil\n", encoding="utf-8")
    project.git("commit", "-q", "--no-verify", "-am", "Update", env=who)
    document = project.score(project.git("rev-parse", "HEAD"), base=base)
    floor = [r for r in document["reasons"] if r["signal"] == "dependency_floor"]
    assert floor, messages(document)


def test_attack_a_requirement_file_reached_through_a_linked_folder_is_a_dependency_change(
    project: Replay,
) -> None:
    """A named path whose folder is a link (``reqs/deps.in``, ``reqs -> notes``): setuptools
    reads ``notes/deps.in``, so its change is the requirement change."""
    cfg = "[metadata]\nname = a\n[options]\ninstall_requires = file: reqs/deps.in\n"
    project.replay_files({"setup.cfg": [cfg, cfg], "notes/deps.in": ["six\n", "six\n"]})
    who = {"GIT_AUTHOR_NAME": MAINTAINER[0], "GIT_AUTHOR_EMAIL": MAINTAINER[1],
           "GIT_COMMITTER_NAME": MAINTAINER[0], "GIT_COMMITTER_EMAIL": MAINTAINER[1]}  # fmt: skip
    (project.repo / "reqs").symlink_to("notes")
    project.git("add", "-A")
    project.git("commit", "-q", "--no-verify", "-m", "Link", env=who)
    base = project.git("rev-parse", "HEAD")
    (project.repo / "notes" / "deps.in").write_text("six\nevil\n", encoding="utf-8")
    project.git("commit", "-q", "--no-verify", "-am", "Update", env=who)
    document = project.score(project.git("rev-parse", "HEAD"), base=base)
    floor = [r for r in document["reasons"] if r["signal"] == "dependency_floor"]
    assert floor, messages(document)
    assert "+ evil" in floor[0]["message"], floor[0]["message"]


@pytest.mark.parametrize("named", ["deps:1.in", "a\\b.in"])
def test_attack_a_named_file_with_a_colon_or_backslash_is_a_dependency_change(
    project: Replay, named: str
) -> None:
    """On the Linux a build runs on, ``:`` and ``\\`` are a file name's characters, and
    setuptools opens such a named file as any other."""
    cfg = f"[metadata]\nname = a\n[options]\ninstall_requires = file: {named}\n"
    base, head_commit = project.replay_files(
        {"setup.cfg": [cfg, cfg], named: ["six\n", "six\nevil\n"]}
    )
    document = project.score(head_commit, base=base)
    floor = [r for r in document["reasons"] if r["signal"] == "dependency_floor"]
    assert floor, messages(document)
    assert "+ evil" in floor[0]["message"], floor[0]["message"]


def test_the_contents_read_are_bounded_and_a_manifest_beyond_the_bound_is_not_read(
    tmp_path: Path,
) -> None:
    """At most ``MAX_WHAT_FILES`` files' contents are read: a requirement the first files move
    is read, and a file past the bound is left out (counted as git does, never read as
    unchanged)."""
    from cicd_agent.local.change_set import read_change_set
    from cicd_agent.local.gitrepo import GitRepo
    from cicd_agent.risk.what_changed import MAX_WHAT_FILES, read_what_changed
    from tests.git_builder import GitRepoBuilder

    builder = GitRepoBuilder(tmp_path / "repo")
    base = builder.commit("base", {"requirements.txt": "requests==2.31\n"})
    many = {f"a{n:03}/requirements.txt": "flask==3.0\n" for n in range(MAX_WHAT_FILES)}
    head = builder.commit("bump", {"requirements.txt": "requests==2.32\n", **many})
    repo = GitRepo.open(builder.path)
    change = read_change_set(repo, head, base)
    _, moved = read_what_changed(
        repo, change, lambda paths, limit: repo.diff_text(base, head, list(paths), limit)
    )
    assert len(moved) == MAX_WHAT_FILES, len(moved)
    assert "requirements.txt" not in moved  # sorted after a199/: past the bound, not read
    assert all(entries for entries in moved.values())
