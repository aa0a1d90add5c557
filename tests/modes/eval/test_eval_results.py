"""Results files other tools wrote, read with the pass rates those tools counted: promptfoo's
``results.stats``, inspect's accuracy, the JUnit report's own counts. The files are real (see
``data/README.md``)."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from cicd_agent.actions.errors import UsageError
from cicd_agent.modes.eval.config import Reader
from cicd_agent.modes.eval.judge import Outcome, pair
from cicd_agent.modes.eval.results import read_results
from cicd_agent.modes.eval.source import Commit
from tests.helpers.cli import run_cli
from tests.modes.eval.conftest import Repo

DATA = Path(__file__).parent / "data"


def unpacked(name: str, tmp_path: Path) -> Path:
    target = tmp_path / name.removesuffix(".gz")
    target.write_bytes(gzip.decompress((DATA / name).read_bytes()))
    return target


def overall(outcomes: list[Outcome]) -> float:
    samples = [passed for item in outcomes for passed in item.passes]
    return sum(samples) / len(samples)


@pytest.mark.parametrize("side", ["base", "head"])
def test_promptfoo_rates_are_its_own_stats(side: str, tmp_path: Path) -> None:
    path = unpacked(f"promptfoo-{side}.json.gz", tmp_path)
    stats = json.loads(path.read_text())["results"]["stats"]
    outcomes = read_results(path, "promptfoo")
    counted = stats["successes"] + stats["failures"] + stats["errors"]
    assert overall(outcomes) == stats["successes"] / counted
    assert len(outcomes) == 12 and all(len(item.passes) == 3 for item in outcomes)


def test_promptfoo_cases_pair_across_changed_prompts(tmp_path: Path) -> None:
    base = read_results(unpacked("promptfoo-base.json.gz", tmp_path), "promptfoo")
    head = read_results(unpacked("promptfoo-head.json.gz", tmp_path), "promptfoo")
    pairs = pair(base, head)
    assert len(pairs.both) == 12 and not pairs.base_only and not pairs.head_only
    assert {item.key for item in head} == {f"case {i}" for i in range(12)}


@pytest.mark.parametrize(("side", "accuracy"), [("base", 4 / 6), ("head", 2 / 6)])
def test_inspect_rates_are_its_accuracy(side: str, accuracy: float, tmp_path: Path) -> None:
    path = unpacked(f"inspect-{side}.json.gz", tmp_path)
    log = json.loads(path.read_text())
    reported = log["results"]["scores"][0]["metrics"]["accuracy"]["value"]
    outcomes = read_results(path, "inspect")
    assert overall(outcomes) == pytest.approx(reported) == pytest.approx(accuracy)
    assert all(len(item.passes) == 2 for item in outcomes)


@pytest.mark.parametrize(("side", "passed"), [("base", 6), ("head", 4)])
def test_junit_rates_are_its_test_cases(side: str, passed: int) -> None:
    outcomes = read_results(DATA / f"junit-{side}.xml", "junit")
    assert len(outcomes) == 8  # the skipped test is not counted
    assert overall(outcomes) == passed / 8
    assert "test_side.test_answer[3]" in {item.key for item in outcomes}


@pytest.mark.parametrize(
    ("kind", "text"),
    [("promptfoo", "[1, 2]"), ("promptfoo", '{"results": {"results": 3}}'),
     ("inspect", '{"samples": [{"id": 1}]}'), ("promptfoo", "not json"),
     ("junit", "<testsuite><testcase"), ("junit", "<!DOCTYPE x [<!ENTITY e SYSTEM "
      "'file:///etc/passwd'>]><testsuite><testcase name='&e;'/></testsuite>")],
)  # fmt: skip
def test_a_file_of_another_shape_is_one_clear_error(kind: str, text: str, tmp_path: Path) -> None:
    path = tmp_path / "results"
    path.write_text(text)
    with pytest.raises(UsageError) as raised:
        read_results(path, kind)
    assert str(path) in str(raised.value)


def test_the_config_and_promptfoos_results_name_the_same_cases(repo: Repo, tmp_path: Path) -> None:
    """The config that made the promptfoo results, read by the config reader: its cases are the
    ones promptfoo's own rows group into, so either path pairs the same cases."""
    text = (DATA / "promptfoo-head.yaml").read_text(encoding="utf-8")
    sha = repo.commit({"promptfooconfig.yaml": text})
    suite = Reader(Commit(repo.checkout(), sha), "promptfooconfig.yaml", None).suite()
    results = read_results(unpacked("promptfoo-head.json.gz", tmp_path), "promptfoo")
    assert [case.key for case in suite.cases] == [item.key for item in results]
    assert suite.cases[0].messages == (("user", "v2 Question 0: answer"),)


def test_results_files_need_no_repository_and_no_model(tmp_path: Path) -> None:
    done = run_cli(
        ["eval", "--repo", str(tmp_path), "--provider", "none", "--results-format", "junit",
         "--base-results", str(DATA / "junit-base.xml"),
         "--head-results", str(DATA / "junit-head.xml"), "--fail-on", "insufficient"],
        tmp_path,
    )  # fmt: skip
    assert done.code == 1, done.stderr  # 8 cases cannot show a 10-point drop
    assert done.outputs["verdict"] == "insufficient"
    assert (done.outputs["pass_rate_base"], done.outputs["pass_rate_head"]) == ("0.7500", "0.5000")
    assert done.outputs["p_value"] == "0.5000"  # exact McNemar: 2 cases changed, both worse
    assert "up to 1 sample(s)" in done.summary
