"""A promptfoo config read as promptfoo reads it: the cross product of prompts, providers and
tests, ``defaultTest`` under each test, variables filled in and read from files, each test's
line in the config."""

from __future__ import annotations

from pathlib import Path

from cicd_agent.modes.eval.cases import Suite
from cicd_agent.modes.eval.checks import Check
from cicd_agent.modes.eval.config import Reader, item_lines
from cicd_agent.modes.eval.source import Commit
from tests.modes.eval.conftest import Repo

DATA = Path(__file__).parent / "data"


def read(repo: Repo, config: str, files: dict[str, str] | None = None,
         model: str | None = None, path: str = "promptfooconfig.yaml") -> Suite:  # fmt: skip
    sha = repo.commit({path: config, **(files or {})})
    return Reader(Commit(repo.checkout(), sha), path, model).suite()


def test_promptfoos_own_example_makes_its_eight_cases(repo: Repo) -> None:
    suite = read(repo, (DATA / "getting-started.yaml").read_text(encoding="utf-8"))
    assert len(suite.cases) == 2 * 2 * 2
    first = suite.cases[0]
    assert first.model == "gpt-4.1"
    assert first.messages == (("user", "Convert this English to French: Hello world"),)
    assert first.checks == (Check("contains", "Bonjour le monde"),)
    assert first.where == ("promptfooconfig.yaml", 18)
    assert suite.cases[-1].where == ("promptfooconfig.yaml", 24)
    assert {case.model for case in suite.cases} == {"gpt-4.1", "o4-mini"}
    assert len({case.key for case in suite.cases}) == 8
    assert all(case.error == "" for case in suite.cases)


def test_model_flag_overrides_the_configs_model(repo: Repo) -> None:
    config = (DATA / "getting-started.yaml").read_text(encoding="utf-8")
    suite = read(repo, config, model="local-model")
    assert {case.model for case in suite.cases} == {"local-model"}


def test_default_test_vars_and_asserts_sit_under_each_test(repo: Repo) -> None:
    config = """
prompts: ['[{"role": "system", "content": "Be brief."}, {"role": "user", "content": "{{q}} {{tone}}"}]']
providers: [{id: 'openai:chat:m', label: small, config: {temperature: 0.2, seed: 3}}]
defaultTest:
  vars: {tone: politely}
  assert: [{type: not-icontains, value: sorry}]
tests:
  - description: capital
    vars: {q: 'Capital of France?', tone: tersely}
    threshold: 0.5
    assert:
      - {type: equals, value: Paris, weight: 2}
"""
    (case,) = read(repo, config).cases
    assert case.key == "capital"
    assert case.messages == (("system", "Be brief."), ("user", "Capital of France? tersely"))
    assert dict(case.options) == {"temperature": 0.2, "seed": 3}
    assert case.checks == (Check("icontains", "sorry", negate=True),
                           Check("equals", "Paris", weight=2.0))  # fmt: skip
    assert case.threshold == 0.5


def test_list_vars_expand_and_file_vars_are_read_from_the_commit(repo: Repo) -> None:
    config = """
prompts: [file://prompts/ask.txt]
providers: [openai:m]
tests:
  - vars: {lang: [French, German], doc: file://../docs/a.txt}
    assert: [{type: contains, value: '{{lang}}'}]
"""
    files = {"evals/prompts/ask.txt": "In {{lang}}: {{doc}}", "docs/a.txt": "the doc"}
    suite = read(repo, config, files, path="evals/promptfooconfig.yaml")
    assert [case.messages for case in suite.cases] == [
        (("user", "In French: the doc"),),
        (("user", "In German: the doc"),),
    ]
    assert [case.checks[0].value for case in suite.cases] == ["French", "German"]
    assert len({case.key for case in suite.cases}) == 2


def test_tests_from_a_file_keep_their_own_lines(repo: Repo) -> None:
    config = "prompts: [hi]\nproviders: [openai:m]\ntests: file://cases.yaml\n"
    cases = "# cases\n- description: one\n  vars: {}\n\n- description: two\n"
    suite = read(repo, config, {"cases.yaml": cases})
    assert [case.where for case in suite.cases] == [("cases.yaml", 2), ("cases.yaml", 5)]


def test_duplicate_tests_stay_apart_and_env_is_said_ignored(repo: Repo) -> None:
    config = """
env: {OPENAI_BASE_URL: http://evil.example}
prompts: [hi]
providers: [openai:m]
tests: [{description: same}, {description: same}]
"""
    suite = read(repo, config)
    assert [case.key for case in suite.cases] == ["same", "same #2"]
    assert [case.where for case in suite.cases] == [("promptfooconfig.yaml", 5)] * 2
    assert any("env is ignored" in note for note in suite.notes)


def test_item_lines_reads_block_lists_and_falls_back_on_flow_ones() -> None:
    text = "tests:\n  - a: 1\n    b:\n      - nested\n  - c: 2\nother: 1\n"
    assert item_lines(text, 2) == [2, 5]
    assert item_lines("tests: [1, 2]\n", 2) == [1, 1]
