"""A suite that already fails at head, before any generated test: the reader learns which tests
fail and that this run did not cause them, in the headline, the summary and the JSON, whatever
the runner (pytest's node ids, go test's ``file › name``). Before, the summary said only
"exit 1 at head" and a note on the gate. One offline CLI run per runner, real pytest and real
go test in the sandbox."""

from __future__ import annotations

from pathlib import Path

from tests.git_builder import GitRepoBuilder
from tests.helpers.gen_tests import run_gen_tests
from tests.helpers.sandbox import needs_sandbox
from tests.helpers.toolchains import needs_go

pytestmark = needs_sandbox

NOT_OURS = "before any generated test, so this run did not cause it"


def _offline(tmp_path: Path, start: dict[str, str], change: dict[str, str]) -> tuple[
    dict[str, object], str
]:
    repo = GitRepoBuilder(tmp_path / "project")
    base = repo.commit("base", start)
    head = repo.commit("change", change)
    code, document, _, stderr = run_gen_tests(
        ["--repo", str(repo.path), "--base", base, "--head", head, "--provider", "none",
         "--pr-test-runs", "1"], tmp_path,
    )  # fmt: skip
    assert code == 0, stderr[-3000:]
    return document, (tmp_path / "summary.md").read_text(encoding="utf-8")


def test_pytest_tests_failing_at_head_are_named_as_not_ours(tmp_path: Path) -> None:
    document, summary = _offline(tmp_path, {
        "pyproject.toml": '[tool.pytest.ini_options]\npythonpath = ["."]\n',
        "tests/test_app.py": "import app\n\n\ndef test_rate():\n    assert app.RATE == 2\n\n\n"
                             "def test_name():\n    assert app.NAME == 'shop'\n",
        "app.py": "RATE = 1\nNAME = 'shop'\n",
    }, {"app.py": "RATE = 1\nNAME = 'shop'\n\n\ndef double(x):\n    return 2 * x\n"})  # fmt: skip
    assert document["suite_exit_code"] == 1
    assert document["failing_at_head"] == ["tests/test_app.py::test_rate"]
    headline = str(document["headline"])
    assert "1 existing test already fails at head" in headline, headline
    assert "`tests/test_app.py::test_rate`" in headline and NOT_OURS in headline, headline
    assert "`tests/test_app.py::test_rate`" in summary and NOT_OURS in summary
    assert "test_name" not in summary.split("Notes")[-1]  # the passing one is not named


@needs_go
def test_go_tests_failing_at_head_are_named_as_not_ours(tmp_path: Path) -> None:
    failing = ("package calc\n\nimport \"testing\"\n\nfunc TestOld(t *testing.T) {\n"
               "\tif Old() != 2 {\n\t\tt.Fatal(\"old\")\n\t}\n}\n")  # fmt: skip
    document, summary = _offline(tmp_path, {
        "go.mod": "module example.com/m\n\ngo 1.19\n",
        "calc/old.go": "package calc\n\nfunc Old() int { return 1 }\n",
        "calc/old_test.go": failing,
    }, {"calc/sign.go": "package calc\n\nfunc Sign(n int) int {\n\tif n < 0 {\n\t\treturn -1\n"
                        "\t}\n\treturn 1\n}\n"})  # fmt: skip
    assert document["failing_at_head"] == ["calc/old_test.go › TestOld"]
    headline = str(document["headline"])
    assert "`calc/old_test.go › TestOld`" in headline and NOT_OURS in headline, headline
    assert "`calc/old_test.go › TestOld`" in summary
    # why, as its own check says (a new user's Go test failed at head with no reason anywhere)
    why = document["failing_at_head_why"]
    assert isinstance(why, dict) and why["calc/old_test.go › TestOld"] == "calc/old_test.go:7: old", why
    assert f"(`{why['calc/old_test.go › TestOld']}`)" in headline, headline
