"""Change classification by path, and reading a change from real git repositories."""

from __future__ import annotations

from pathlib import Path

import pytest

from cicd_agent.actions.errors import UsageError
from cicd_agent.analysis.change_types import ChangeType, classify_path, version_only
from cicd_agent.local.change_set import read_change_set
from cicd_agent.local.gitrepo import GitRepo
from tests.git_builder import GitRepoBuilder, fast_import_commit

T = ChangeType
BODY = "".join(f"print({i})\n" for i in range(10))


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("README.md", {T.DOCS}),
        ("docs/guide/install.rst", {T.DOCS}),
        ("CHANGELOG", {T.DOCS}),
        ("tests/test_api.py", {T.TESTS}),
        ("src/components/Button.test.tsx", {T.TESTS}),
        ("src/test/java/com/acme/OrderServiceTest.java", {T.TESTS}),
        ("pkg/server/handler_test.go", {T.TESTS}),
        ("spec/models/user_spec.rb", {T.TESTS}),
        ("src/app/orders.py", {T.SOURCE}),
        ("cmd/server/main.go", {T.SOURCE}),
        ("config/app.yaml", {T.CONFIG}),
        (".env.production", {T.CONFIG}),
        (".github/workflows/deploy.yml", {T.CI}),
        (".gitlab-ci.yml", {T.CI}),
        ("Jenkinsfile", {T.CI}),
        ("Dockerfile", {T.INFRASTRUCTURE}),
        ("deploy/k8s/deployment.yaml", {T.INFRASTRUCTURE}),
        ("charts/api/values.yaml", {T.INFRASTRUCTURE}),
        ("terraform/main.tf", {T.INFRASTRUCTURE}),
        ("docker-compose.yml", {T.INFRASTRUCTURE}),
        ("package.json", {T.DEPENDENCIES, T.BUILD}),
        ("requirements/prod.txt", {T.DEPENDENCIES}),
        ("go.mod", {T.DEPENDENCIES}),
        ("poetry.lock", {T.LOCKFILE}),
        ("frontend/package-lock.json", {T.LOCKFILE}),
        ("go.sum", {T.LOCKFILE}),
        ("Makefile", {T.BUILD}),
        ("CMakeLists.txt", {T.BUILD}),
        ("shop/migrations/0007_add_index.py", {T.MIGRATION, T.SOURCE}),
        ("alembic/versions/4f2e_add_users.py", {T.MIGRATION, T.SOURCE}),
        ("db/migrate/20240101120000_create_orders.rb", {T.MIGRATION, T.SOURCE}),
        ("src/main/resources/db/migration/V3__add_orders.sql", {T.MIGRATION}),
        ("src/main/resources/db/changelog/db.changelog-master.yaml", {T.MIGRATION}),
        ("prisma/migrations/20240101_init/migration.sql", {T.MIGRATION}),
        ("prisma/schema.prisma", {T.MIGRATION}),
        ("sql/reports.sql", {T.MIGRATION}),
        ("src/auth/session.py", {T.SOURCE, T.SECURITY}),
        ("app/services/PasswordReset.java", {T.SOURCE, T.SECURITY}),
        ("lib/crypto/aes.go", {T.SOURCE, T.SECURITY}),
        ("config/permissions.yaml", {T.CONFIG, T.SECURITY}),
        ("api/openapi.yaml", {T.API_CONTRACT}),
        ("proto/orders/v1/orders.proto", {T.API_CONTRACT}),
        ("schema/schema.graphql", {T.API_CONTRACT}),
        ("gen/orders_pb2.py", {T.GENERATED}),
        ("static/app.min.js", {T.GENERATED}),
        ("assets/logo.png", {T.OTHER}),
        # a source file named like a document is code (it left a change's size as prose)
        ("app/security.py", {T.SOURCE, T.SECURITY}),
        ("twine/history.py", {T.SOURCE}),
        ("pkg/changes.go", {T.SOURCE}),
        ("templates/support.html", {T.SOURCE}),
        ("SECURITY.md", {T.DOCS}),
        ("LICENSE", {T.DOCS}),
    ],
)
def test_classify_path(path: str, expected: set[ChangeType]) -> None:
    assert classify_path(path) == expected


def test_tests_and_docs_are_exclusive_even_for_security_words() -> None:
    assert classify_path("tests/auth/test_login.py") == {T.TESTS}
    assert classify_path("docs/security/passwords.md") == {T.DOCS}


@pytest.fixture
def repo(tmp_path: Path) -> GitRepoBuilder:
    built = GitRepoBuilder(tmp_path / "repo")
    built.commit("initial", {"src/app.py": BODY, "README.md": "# app\n"})
    return built


def test_root_commit_is_compared_with_the_empty_tree(repo: GitRepoBuilder) -> None:
    change = read_change_set(GitRepo.open(repo.path), repo.head())
    assert change.base is None
    assert "root commit" in change.base_note
    assert sorted(change.paths) == ["README.md", "src/app.py"]
    assert {c.status for c in change.files} == {"A"}


def test_rename_binary_and_deletion(repo: GitRepoBuilder) -> None:
    base = repo.head()
    repo.git("mv", "src/app.py", "src/main.py")
    head = repo.commit(
        "rename and add a logo",
        {"src/main.py": BODY + "print('more')\n", "logo.png": b"\x89PNG\x00\x01\x02"},
        remove=("README.md",),
    )
    change = read_change_set(GitRepo.open(repo.path), head, base)
    by_path = {c.path: c for c in change.files}
    assert by_path["src/main.py"].status == "R"
    assert by_path["src/main.py"].old_path == "src/app.py"
    assert by_path["src/main.py"].added == 1
    assert by_path["logo.png"].binary
    assert by_path["README.md"].status == "D"


def test_file_names_with_spaces_tabs_and_unicode(repo: GitRepoBuilder) -> None:
    base = repo.head()
    head = repo.commit("odd names", {"docs/a b\tc.md": "x\n", "src/naïve→.py": "y = 1\n"})
    change = read_change_set(GitRepo.open(repo.path), head, base)
    assert sorted(change.paths) == ["docs/a b\tc.md", "src/naïve→.py"]


def test_merge_is_judged_against_its_first_parent(repo: GitRepoBuilder) -> None:
    repo.git("checkout", "-q", "-b", "feature")
    repo.commit("feature work", {"src/feature.py": "x = 1\n"})
    repo.git("checkout", "-q", "main")
    repo.commit("main work", {"src/other.py": "y = 2\n"})
    repo.git("merge", "-q", "--no-ff", "-m", "Merge feature", "feature")
    change = read_change_set(GitRepo.open(repo.path), repo.head())
    assert change.paths == ("src/feature.py",)


def test_submodule_pointer_is_recognised(repo: GitRepoBuilder, tmp_path: Path) -> None:
    library = GitRepoBuilder(tmp_path / "library")
    library.commit("lib", {"lib.py": "z = 3\n"})
    base = repo.head()
    repo.git(
        "-c",
        "protocol.file.allow=always",
        "submodule",
        "add",
        "-q",
        str(library.path),
        "vendor/lib",
    )
    head = repo.commit("add submodule")
    change = read_change_set(GitRepo.open(repo.path), head, base)
    submodule = next(c for c in change.files if c.path == "vendor/lib")
    assert submodule.submodule
    assert (submodule.added, submodule.deleted) == (0, 0)


def test_five_thousand_file_commit(repo: GitRepoBuilder) -> None:
    base = repo.head()
    files = {f"src/module_{i // 100}/file_{i}.py": f"value = {i}\n" for i in range(5000)}
    head = fast_import_commit(repo, files, "generate 5000 modules")
    change = read_change_set(GitRepo.open(repo.path), head, base)
    assert len(change.files) == 5000
    assert sum(c.added for c in change.files) == 5000


def test_missing_commit_is_a_usage_error_with_a_fix(repo: GitRepoBuilder) -> None:
    with pytest.raises(UsageError) as caught:
        read_change_set(GitRepo.open(repo.path), repo.head(), "0" * 39 + "1")
    assert "fetch-depth: 0" in str(caught.value)


def test_refs_that_look_like_options_are_refused(repo: GitRepoBuilder) -> None:
    with pytest.raises(UsageError, match="not a valid commit reference"):
        read_change_set(GitRepo.open(repo.path), "--output=/tmp/x")


def test_not_a_repository(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="not a git repository"):
        GitRepo.open(tmp_path)


def test_only_the_projects_own_version_makes_a_version_bump() -> None:
    """A manifest is a bump only when nothing but its project's version fields changed;
    unreadable or hostile text (a nesting past the parser's depth) is never one."""
    cargo = '[package]\nname = "a"\nversion = "1.0.0"\n\n[dependencies.serde]\nversion = "1"\n'
    assert version_only("Cargo.toml", cargo, cargo.replace('"1.0.0"', '"1.1.0"'))
    assert not version_only(
        "Cargo.toml", cargo, cargo.replace('version = "1"\n', 'version = "2"\n')
    )
    assert not version_only("Cargo.toml", cargo, cargo + "[broken")
    deep = '{"version": "1", "x": ' + "[" * 100_000 + "]" * 100_000 + "}"
    assert not version_only("package.json", deep, deep.replace('"1"', '"2"'))
    assert not version_only("requirements.txt", "a==1\n", "a==2\n")
    assert not version_only("package.json", '{"version": "1"}', '{"version": "1"}')


GO_MOD = """module github.com/hashicorp/go-version

go 1.18

require (
\tgithub.com/google/go-cmp v0.5.9 // indirect
)
"""


def test_go_mods_go_directive_is_no_dependency_change() -> None:
    """hashicorp/go-version raising its ``go`` directive was called a dependency change; the
    language version and the toolchain bring no module. A require line still is one."""
    assert version_only("go.mod", GO_MOD, GO_MOD.replace("go 1.18", "go 1.21\n\ntoolchain go1.21.5"))
    assert not version_only("go.mod", GO_MOD, GO_MOD.replace("v0.5.9", "v0.6.0"))
    assert not version_only("sub/go.mod", GO_MOD, GO_MOD.replace("go 1.18", "go 1.21") + "require x v1\n")
