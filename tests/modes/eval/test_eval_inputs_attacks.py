"""Inputs a pull request shapes that the first round of attacks did not reach: a prompt or an
assert whose places multiply a large variable, and results files whose fields have another
type than the tool writes. Each is bounded and refused in one line, never a crash."""

from __future__ import annotations

import json
import tracemalloc
from pathlib import Path

import pytest

from cicd_agent.actions.errors import UsageError
from cicd_agent.modes.eval.checks import Check, judge
from cicd_agent.modes.eval.config import Reader
from cicd_agent.modes.eval.judge import base_tests
from cicd_agent.modes.eval.results import read_results
from cicd_agent.modes.eval.source import Commit
from cicd_agent.modes.eval.template import MAX_FILLED
from tests.modes.eval.conftest import Repo

PLACES = 2_000
"""Places of one 100,000-character variable: 200 MB once filled in."""


@pytest.mark.parametrize(
    "where",
    ["prompts: [{prompt}]\nproviders: [openai:m]\ntests:\n  - vars: {{a: file://a.txt}}\n",
     "prompts: [hi]\nproviders: [openai:m]\ntests:\n  - vars: {{a: file://a.txt}}\n"
     "    assert:\n      - {{type: contains, value: {prompt}}}\n"],
)  # fmt: skip
def test_places_that_multiply_a_large_variable_are_refused_before_they_are_filled(
    repo: Repo, where: str
) -> None:
    config = where.format(prompt=json.dumps("{{a}}" * PLACES))
    sha = repo.commit({"promptfooconfig.yaml": config, "a.txt": "x" * 100_000})
    reader = Reader(Commit(repo.checkout(), sha), "promptfooconfig.yaml", None)
    tracemalloc.start()
    try:
        suite = reader.suite()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    (case,) = suite.cases
    assert f"over {MAX_FILLED:,} characters" in case.error + case.judge_error
    assert peak < 20 * MAX_FILLED * 4


@pytest.mark.parametrize(
    ("kind", "text"),
    [("promptfoo", {"results": {"prompts": [1, 2], "results": [{"promptIdx": "x"}]}}),
     ("promptfoo", {"results": {"prompts": [1, 2], "results": [{"promptIdx": [1]}]}}),
     ("inspect", {"results": {"headline": {"scorer": ["a"]}},
                  "samples": [{"id": 1, "scores": {"a": {"value": "C"}}}]}),
     ("junit", "<html><testcase name='a'/></html>")],
)  # fmt: skip
def test_a_results_field_of_another_type_is_one_clear_error(
    kind: str, text: object, tmp_path: Path
) -> None:
    path = tmp_path / "results"
    path.write_text(text if isinstance(text, str) else json.dumps(text))
    with pytest.raises(UsageError) as raised:
        read_results(path, kind)
    assert str(path) in str(raised.value) and "\n" not in str(raised.value)


class Counted(Commit):
    """The commit's files as the reader reads them, counting each read of git."""

    reads: list[str]

    def read(self, path: str) -> str:
        self.reads.append(path)
        return super().read(path)


def test_a_tests_file_named_thousands_of_times_is_read_once(repo: Repo) -> None:
    """ATTACK: ``tests`` names the same empty file 20,000 times: no case is made, so the case
    limit never stops it, and each name was read from git twice (40,000 git reads)."""
    config = "prompts: [hi]\nproviders: [openai:m]\ntests: [" + ", ".join(
        ["file://t.yaml"] * 20_000) + "]\n"  # fmt: skip
    sha = repo.commit({"promptfooconfig.yaml": config, "t.yaml": "[]\n"})
    commit = Counted(repo.checkout(), sha)
    object.__setattr__(commit, "reads", [])
    assert Reader(commit, "promptfooconfig.yaml", None).suite().cases == ()
    assert commit.reads == ["promptfooconfig.yaml", "t.yaml"]


def test_the_files_one_config_names_are_bounded_in_all(repo: Repo) -> None:
    """ATTACK: a config names 24 distinct files of a megabyte each (a few KB in git, they
    compress); each alone is under the file limit, and all were held (24 MB, up to 1,000 files:
    a gigabyte). Past the bound in all, a file is an error on its cases."""
    files = {f"v{i}.txt": f"{i} " + "x" * (1024 * 1024 - 10) for i in range(24)}
    names = ", ".join(f"file://v{i}.txt" for i in range(24))
    config = f"prompts: [hi]\nproviders: [openai:m]\ntests:\n  - vars: {{a: [{names}]}}\n"
    sha = repo.commit({"promptfooconfig.yaml": config, **files})
    suite = Reader(Commit(repo.checkout(), sha), "promptfooconfig.yaml", None).suite()
    assert any("in all" in case.error for case in suite.cases)


@pytest.mark.parametrize("kind", ["is-json", "contains-json", "equals"])
def test_an_answer_nested_past_the_json_readers_depth_fails_its_check(kind: str) -> None:
    """ATTACK: the head's prompt has the model answer 60,000 ``[``; reading it as JSON raised
    RecursionError out of the judge, and the run crashed. It is no JSON: the check fails."""
    check = Check(kind, {"a": 1} if kind == "equals" else None)
    assert judge(check, "[" * 60_000) is False
    assert judge(Check(kind, None, negate=True) if kind != "equals" else
                 Check(kind, {"a": 1}, negate=True), "[" * 60_000) is True  # fmt: skip


def test_the_head_does_not_choose_the_draw_of_a_case_the_base_has(repo: Repo) -> None:
    """ATTACK: a seed chooses which answer a sample is; the head could try seeds until its
    worse prompt's draws pass, and set that one (every repeat then is the same lucky draw). A
    case both sides have is asked with the base's seed (here none); a new case keeps its own."""
    base_config = ("prompts: ['Q {{n}}']\nproviders: [{id: 'openai:m', config: {temperature: 1}}]"
                   "\ntests:\n  - description: one\n    vars: {n: 1}\n")  # fmt: skip
    head_config = base_config.replace("temperature: 1", "temperature: 1, seed: 8675309") + (
        "  - description: two\n    vars: {n: 2}\n")  # fmt: skip
    shas = [repo.commit({"promptfooconfig.yaml": text}) for text in (base_config, head_config)]
    suites = [Reader(Commit(repo.checkout(), sha), "promptfooconfig.yaml", None).suite()
              for sha in shas]  # fmt: skip
    trusted = base_tests(suites[0].cases, suites[1].cases)
    one, two = trusted.cases
    assert dict(one.options) == {"temperature": 1} and one.request() == suites[0].cases[0].request()
    assert dict(two.options) == {"temperature": 1, "seed": 8675309}
    assert trusted.seeds == ["one"]


def test_names_multiplied_into_every_case_key_are_bounded(repo: Repo) -> None:
    """ATTACK: one test's description and a provider's label of 100,000 characters each, with
    40 prompts and 50 settings the reader notes: every case's key held the description and the
    label (40 keys), and every note the label (50 notes), from a 200 KB config; with more
    prompts and providers, gigabytes. A name is cut where it is read."""
    long = "d" * 100_000
    prompts = ", ".join(f"'p{i}'" for i in range(40))
    settings = ", ".join(f"k{i}: 1" for i in range(50))
    config = (f"prompts: [{prompts}]\nproviders: [{{id: 'openai:m', label: {long}, config: "
              f"{{{settings}}}}}]\ntests:\n  - description: {long}\n")  # fmt: skip
    sha = repo.commit({"promptfooconfig.yaml": config})
    tracemalloc.start()
    try:
        suite = Reader(Commit(repo.checkout(), sha), "promptfooconfig.yaml", None).suite()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert len(suite.cases) == 40 and len({case.key for case in suite.cases}) == 40
    assert max(len(case.key) for case in suite.cases) < 1_000
    assert max(len(note) for note in suite.notes) < 1_000
    assert peak < 5 * 1024 * 1024
