"""gen-tests' analyse step: the baseline's gaps as segments, most missing first, and the jobs.

Run on the real collect of the fixture shop project: its pull request adds ``bulk_discount``,
``shipping_cost`` and ``coupon_value`` to ``src/shop/pricing.py`` with no test, and the project
has ``tests/test_pricing.py`` for the rest of that module.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from cicd_agent.job.context import RunContext
from cicd_agent.modes.gen_tests.analyse import analyse
from cicd_agent.modes.gen_tests.collect import collect
from cicd_agent.modes.gen_tests.options import GenTestsOptions
from cicd_agent.modes.gen_tests.types import GenTestsFacts
from tests.fixtures.gentests_project.build import make_repo
from tests.git_builder import GitRepoBuilder
from tests.helpers.gen_tests import gen_tests_context


def _collected(root: Path, *argv: str) -> Iterator[tuple[RunContext[GenTestsOptions], GenTestsFacts]]:
    base, head = make_repo(root / "shop")
    flags = ["--repo", str(root / "shop"), "--base", base, "--head", head, "--provider", "none"]
    ctx = gen_tests_context(root, [*flags, *argv])
    with ctx.resources:
        yield ctx, collect(ctx, ctx.resources)[0]


@pytest.fixture(scope="module")
def collected(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[RunContext[GenTestsOptions], GenTestsFacts]]:
    yield from _collected(tmp_path_factory.mktemp("verdict"))


def test_the_gaps_become_segments_most_missing_first_each_a_job_with_its_nearest_tests(
    collected: tuple[RunContext[GenTestsOptions], GenTestsFacts],
) -> None:
    _ctx, facts = collected
    verdict = analyse(facts)
    assert [(s.qualname, s.weight) for s in verdict.segments] == [
        ("bulk_discount", 19),
        ("shipping_cost", 10),
        ("coupon_value", 5),
    ]
    assert sorted(verdict.segments[2].missing_lines) == [37, 38, 39]
    assert [job.segment for job in verdict.jobs] == list(verdict.segments)
    for job in verdict.jobs:
        assert job.related == ("tests/test_pricing.py",)
        assert job.related_text == (facts.repo / "tests/test_pricing.py").read_text()
        assert job.file_text == (facts.repo / "src/shop/pricing.py").read_text()
    assert sorted(verdict.missing_lines["src/shop/pricing.py"]) == [
        11, 12, 13, 14, 15, 16, 17, 18, 20, 21, 22, 27, 28, 29, 30, 31, 32, 37, 38, 39
    ]  # fmt: skip
    assert (37, 38) in verdict.missing_arcs["src/shop/pricing.py"]
    assert verdict.warnings == ()


def test_the_segment_missing_most_comes_first_across_files(tmp_path: Path) -> None:
    repo = GitRepoBuilder(tmp_path / "project")
    base = repo.commit("Initial", {
        "pyproject.toml": '[tool.pytest.ini_options]\npythonpath = ["."]\n',
        "tests/test_both.py": "import alpha, beta\n\ndef test_imports():\n    assert alpha and beta\n",
    })  # fmt: skip
    big = "".join(f"    total += {n}\n" for n in range(8))
    head = repo.commit("Add", {
        "alpha.py": "def small(x):\n    return x\n",
        "beta.py": f"def big(total):\n{big}    return total\n",
    })  # fmt: skip
    ctx = gen_tests_context(
        tmp_path, ["--repo", str(repo.path), "--base", base, "--head", head, "--provider", "none"]
    )
    with ctx.resources:
        verdict = analyse(collect(ctx, ctx.resources)[0])
    assert [(s.path, s.qualname) for s in verdict.segments] == [
        ("beta.py", "big"), ("alpha.py", "small")
    ]  # fmt: skip
    assert [j.segment.qualname for j in verdict.jobs] == ["big", "small"]


def test_analyse_reads_and_changes_nothing_of_the_facts(
    collected: tuple[RunContext[GenTestsOptions], GenTestsFacts],
) -> None:
    _ctx, facts = collected
    before = dataclasses.replace(facts, warnings=list(facts.warnings))
    assert analyse(facts) == analyse(facts)
    assert facts == before


def test_a_shard_gets_the_jobs_of_its_own_modules_and_sees_every_segment(
    tmp_path: Path,
) -> None:
    for shard, jobs in (("1/2", 3), ("2/2", 0)):
        for _ctx, facts in _collected(tmp_path / shard.replace("/", "-"), "--shard", shard):
            verdict = analyse(facts)
            assert len(verdict.segments) == 3 and len(verdict.jobs) == jobs, shard


def test_a_target_that_became_a_link_is_left_out_with_a_warning_not_followed(
    tmp_path: Path,
) -> None:
    outside = tmp_path / "outside.py"
    outside.write_text("SECRET = 'never read'\n")
    for _ctx, facts in _collected(tmp_path):
        target = facts.repo / "src/shop/pricing.py"
        target.unlink()
        os.symlink(outside, target)
        verdict = analyse(facts)
        assert verdict.segments == () and verdict.jobs == ()
        (warning,) = verdict.warnings
        assert warning.startswith("Left out `src/shop/pricing.py`: it ")
        assert "never read" not in repr(verdict)


def test_without_a_baseline_there_is_nothing_to_analyse(
    collected: tuple[RunContext[GenTestsOptions], GenTestsFacts],
) -> None:
    _ctx, facts = collected
    verdict = analyse(dataclasses.replace(facts, coverage=None))
    assert (verdict.segments, verdict.jobs, dict(verdict.missing_lines)) == ((), (), {})
