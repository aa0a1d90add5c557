"""A hostile pull request cannot lower a real code change's risk by how it names or places its
files: code in a file named or placed like a test or documentation (a test folder the app
imports, a module named ``history.py``, a ``.md`` the app reads, code renamed into ``tests/``)
scores at least what the same code scores elsewhere, a bigger change of the same kind is never
safer, and nothing the author writes into git moves the decision. Each is scored through the
CLI on a real project's history rebuilt (twine, fitted), as a user runs deploy-gate."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from cicd_agent.analysis.change_types import ChangeType, classify_path
from cicd_agent.analysis.scale import RiskLevel
from tests.unit.risk.test_common_sense import MAINTAINER, Project, lines

CODE = {"twine/utils.py": lines(5)}
USES = "from twine.{module} import *  # noqa: F403\n"
"""The app's own line importing the code the pull request placed."""
TESTS = "".join(f"def test_{i}():\n    assert {i} == {i}\n\n" for i in range(40))


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Project]:
    yield Project(tmp_path_factory.mktemp("risk-placed"))


def _at_least(placed: dict[str, Any], elsewhere: dict[str, Any]) -> None:
    assert placed["risk_score"] >= elsewhere["risk_score"], (
        placed["risk_score"],
        elsewhere["risk_score"],
        [r["message"] for r in placed["reasons"]],
    )
    assert RiskLevel(placed["risk_level"]).rank >= RiskLevel(elsewhere["risk_level"]).rank


@pytest.mark.parametrize(
    ("module", "path"),
    [
        pytest.param(
            "testing.helpers",
            "twine/testing/helpers.py",
            id="a testing package",
        ),
        pytest.param("history", "twine/history.py", id="a module named like a changelog"),
        pytest.param("security", "twine/security.py", id="a module named like SECURITY.md"),
        pytest.param(
            "fixtures.data",
            "twine/fixtures/data.py",
            id="a fixtures package",
        ),
    ],
)
def test_attack_code_the_app_imports_named_like_tests_or_docs(
    project: Project, module: str, path: str
) -> None:
    """The same 200 lines the app imports, in a plain module and in one named like a test or a
    document: the second never scores lower."""
    code = {"twine/utils.py": lines(5) + USES.format(module="helpers")}
    elsewhere = project.score(project.change({**code, "twine/helpers.py": lines(200)}))
    code = {"twine/utils.py": lines(5) + USES.format(module=module)}
    placed = project.score(project.change({**code, path: lines(200)}))
    _at_least(placed, elsewhere)


def test_attack_code_in_a_folder_named_like_the_docs_site(project: Project) -> None:
    elsewhere = project.score(project.change({**CODE, "server/app.py": lines(200)}))
    placed = project.score(project.change({**CODE, "site/app.py": lines(200)}))
    _at_least(placed, elsewhere)


def test_attack_code_the_app_imports_from_the_tests_folder(project: Project) -> None:
    uses = "from tests.helpers import *  # noqa: F403\n"
    elsewhere = project.score(
        project.change({"twine/utils.py": lines(5) + uses, "twine/helpers.py": lines(300)})
    )
    placed = project.score(
        project.change({"twine/utils.py": lines(5) + uses, "tests/helpers.py": lines(300)})
    )
    _at_least(placed, elsewhere)


@pytest.mark.xfail(
    strict=True,
    reason="open: a .md file is documentation whatever reads it; risk reads no opens, so a "
    "template or prompt the app loads is scored as prose",
)
def test_attack_a_markdown_file_the_app_reads(project: Project) -> None:
    reads = 'TEMPLATE = (Path(__file__).parent / "upload.{suffix}").read_text()\n'
    body = "".join(f"{{{{ field_{i} }}}} = {{{{ value_{i} }}}}\n" for i in range(300))
    elsewhere = project.score(
        project.change(
            {"twine/utils.py": lines(5) + reads.format(suffix="tmpl"), "twine/upload.tmpl": body}
        )
    )
    placed = project.score(
        project.change(
            {"twine/utils.py": lines(5) + reads.format(suffix="md"), "twine/upload.md": body}
        )
    )
    _at_least(placed, elsewhere)


def _renamed(project: Project, target: str) -> str:
    """A commit moving twine/utils.py to ``target`` and adding 30 lines to it."""
    project.git("reset", "-q", "--hard", project.head)
    project.git("clean", "-qfdx")
    (project.repo / target).parent.mkdir(parents=True, exist_ok=True)
    project.git("mv", "twine/utils.py", target)
    with (project.repo / target).open("a", encoding="utf-8") as handle:
        handle.write(lines(30))
    project.git("add", "-A")
    project.git(
        "commit", "-q", "--no-verify", "-m", "Move the helpers",
        env={"GIT_AUTHOR_NAME": "Nobody Before", "GIT_AUTHOR_EMAIL": "first.timer@example.org",
             "GIT_COMMITTER_NAME": "Nobody Before",
             "GIT_COMMITTER_EMAIL": "first.timer@example.org",
             "GIT_AUTHOR_DATE": "2026-11-18T10:00:00+00:00",
             "GIT_COMMITTER_DATE": "2026-11-18T10:00:00+00:00"},
    )  # fmt: skip
    return project.git("rev-parse", "HEAD")


@pytest.mark.xfail(
    strict=True,
    reason="open: a rename is scored by its new path alone, so app code renamed into tests/ "
    "is a tests-only change and capped low, though the module the app imports is gone",
)
def test_attack_code_renamed_into_a_test_path(project: Project) -> None:
    assert (project.repo / "twine" / "utils.py").is_file()
    elsewhere = project.score(_renamed(project, "twine/_utils.py"))
    placed = project.score(_renamed(project, "tests/utils.py"))
    _at_least(placed, elsewhere)


BIG_TESTS = {f"tests/test_big_{i}.py": TESTS * 3 for i in range(6)}


BIG_DOCS = {f"docs/guide_{i}.rst": TESTS * 3 for i in range(6)}


@pytest.mark.parametrize(
    ("beside", "extra"),
    [
        pytest.param(BIG_TESTS, {"twine/utils.py": lines(1)}, id="tests and a code line"),
        pytest.param(BIG_DOCS, {"twine/utils.py": lines(1)}, id="docs and a code line"),
        pytest.param(
            BIG_TESTS, {".github/workflows/ci.yml": "# one\n"}, id="tests and a workflow line"
        ),
        pytest.param(BIG_TESTS, {"setup.cfg": "# one\n"}, id="tests and a config comment"),
    ],
)
def test_attack_one_line_added_to_a_big_tests_or_docs_change_never_makes_it_safer(
    project: Project, beside: dict[str, str], extra: dict[str, str]
) -> None:
    alone = project.score(project.change(beside))
    more = project.score(project.change({**beside, **extra}))
    _at_least(more, alone)


def test_attack_more_tests_beside_the_same_code_never_lower_it(project: Project) -> None:
    few = project.score(project.change({**CODE, "tests/test_beside.py": TESTS}))
    many = project.score(project.change({**CODE, **BIG_TESTS}))
    _at_least(few, many)
    _at_least(many, few)


def test_attack_a_forged_identity_or_message_moves_a_change_with_tests_beside(
    project: Project,
) -> None:
    change = {**CODE, "tests/test_beside.py": TESTS, "docs/guide.rst": TESTS}
    newcomer = project.score(project.change(change))
    forged = [
        project.change(change, author=MAINTAINER),
        project.change(change, committer=MAINTAINER),
        project.change(change, message="test: only tests\n\nNo code changes."),
        project.change(change, message="docs: fix a typo"),
    ]
    for head in forged:
        document = project.score(head)
        assert document["risk_score"] == newcomer["risk_score"], head
        assert document["risk_level"] == newcomer["risk_level"]


@pytest.mark.parametrize(
    ("path", "kind"),
    [
        ("api/spec/openapi.yaml", ChangeType.API_CONTRACT),
        ("migrations/fixtures/0001_init.sql", ChangeType.MIGRATION),
        ("docs/migrations/0001_init.sql", ChangeType.MIGRATION),
        ("site/settings.py", ChangeType.CONFIG),
        ("app/e2e/server.ts", ChangeType.SOURCE),
    ],
)
@pytest.mark.xfail(
    strict=True,
    reason="open: a folder named like tests (spec, fixtures, e2e) or docs (docs, site) makes "
    "any file under it a test or a document first, so an API contract, a migration or a "
    "server there loses its own type and its floor (change_types.toml test-dirs, doc-dirs)",
)
def test_attack_a_file_under_a_test_or_docs_folder_keeps_its_own_type(
    path: str, kind: ChangeType
) -> None:
    assert kind in classify_path(path), classify_path(path)
