"""gen-tests' pure parts: assertions, segments, test command, patch, shard, funnel, targets."""

from __future__ import annotations

import subprocess
import textwrap
from dataclasses import replace
from pathlib import Path

import pytest

from cicd_agent.actions.errors import UsageError
from cicd_agent.modes.gen_tests.assertions import assertion_problems
from cicd_agent.modes.gen_tests.coverage_gaps import CoverageReport, FileCoverage, percent
from cicd_agent.modes.gen_tests.patch import (
    AcceptedTest,
    choose_test_path,
    describe_gain,
    render_patch,
    with_header,
)
from cicd_agent.modes.gen_tests.prompt import GeneratedTest, module_text
from cicd_agent.modes.gen_tests.result import funnel
from cicd_agent.modes.gen_tests.segments import (
    LONG_CLASS_LINES,
    Segment,
    Shard,
    find_segments,
    module_name,
    related_tests,
)
from cicd_agent.modes.gen_tests.stages import Stage
from cicd_agent.modes.gen_tests.suite import ProjectCommand
from cicd_agent.modes.gen_tests.targets import Targets, gaps, is_target, source_targets


def _problems(source: str) -> list[str]:
    return assertion_problems(textwrap.dedent(source))


# ---------------------------------------------------------------- stage 2: real assertions


@pytest.mark.parametrize(
    "source",
    [
        "from shop import f\ndef test_a():\n    assert f(1) == 2\n",
        "import pytest\nfrom shop import f\n"
        "def test_a():\n    with pytest.raises(ValueError):\n        f(-1)\n",
        "import pytest\nfrom shop import f\ndef test_a():\n    pytest.raises(ValueError, f, -1)\n",
        "from shop import f\nclass TestF:\n    def test_a(self):\n        self.assertEqual(f(1), 2)\n",
        # checking how the code under test used a collaborator is a real check
        "from unittest.mock import Mock\nfrom shop import notify\n"
        "def test_a():\n    sink = Mock()\n    notify(sink, 'x')\n    sink.assert_called_once_with('x')\n",
        # an assertion in a helper counts for the tests calling it
        "from shop import f\ndef check(x):\n    assert f(x) > 0\ndef test_a():\n    check(3)\n",
    ],
)
def test_real_assertions_pass_stage_two(source: str) -> None:
    assert _problems(source) == []


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("from shop import f\ndef test_a():\n    f(1)\n", "test_a has no assertion"),
        ("def test_a():\n    assert True\n", "test_a has no assertion"),
        ("def test_a():\n    assert len([1]) == 1\n", "test_a has no assertion"),
        (
            "from unittest.mock import Mock\ndef test_a():\n    m = Mock()\n    m(3)\n"
            "    m.assert_called_once_with(3)\n    assert m.called\n",
            "test_a has no assertion",
        ),
        (
            "from unittest.mock import patch\ndef test_a():\n"
            "    with patch('shop.f') as fake:\n        fake.return_value = 3\n"
            "        assert fake.return_value == 3\n",
            "test_a has no assertion",
        ),
        ("from shop import f\nX = f(1)\n", "defines no test functions"),
    ],
)
def test_tests_without_a_real_assertion_stop_at_stage_two(source: str, expected: str) -> None:
    problems = _problems(source)
    assert problems and expected in problems[0]


def test_one_test_without_assertion_is_enough_to_stop() -> None:
    source = "from shop import f\ndef test_good():\n    assert f(1)\ndef test_bad():\n    f(2)\n"
    assert [p.split()[0] for p in _problems(source)] == ["test_bad"]


# ---------------------------------------------------------------- the test command


@pytest.mark.parametrize(
    ("command", "pytest_part", "is_pytest"),
    [
        ("python -m pytest", ("python", "-m", "pytest"), True),
        ("python -m pytest tests/unit -x", ("python", "-m", "pytest"), True),
        ("pytest -q", ("pytest",), True),
        (".venv/bin/pytest", (".venv/bin/pytest",), True),
        ("uv run pytest tests", ("uv", "run", "pytest"), True),
        ("make test", ("python", "-m", "pytest"), False),
    ],
)
def test_test_command_finds_its_pytest(
    command: str, pytest_part: tuple[str, ...], is_pytest: bool
) -> None:
    parsed = ProjectCommand.parse(command)
    assert parsed.pytest == pytest_part
    assert parsed.is_pytest is is_pytest
    assert " ".join(parsed.suite) == command


@pytest.mark.parametrize(
    ("command", "suite"),
    [
        ("coverage run -m pytest tests", "python -m pytest tests"),
        ("coverage run --branch --source=src -m pytest -x", "python -m pytest -x"),
        (".venv/bin/python -m coverage run -p -m pytest", ".venv/bin/python -m pytest"),
        ("coverage run tests/run.py", "coverage run tests/run.py"),  # no pytest: as given
        ("coverage report", "coverage report"),
    ],
)
def test_a_test_command_under_coverage_run_runs_as_pytest_alone(command: str, suite: str) -> None:
    """coverage.py's tracer in the tests' process would pause the one that measures them."""
    assert " ".join(ProjectCommand.parse(command).suite) == suite


@pytest.mark.parametrize("command", ["", "   ", "pytest 'unclosed"])
def test_unusable_test_command_is_a_usage_error(command: str) -> None:
    with pytest.raises(UsageError):
        ProjectCommand.parse(command)


# ---------------------------------------------------------------- segments

_MODULE = """\
import os


def small(x):
    if x:
        return 1
    return 2


class Short:
    def a(self):
        return 1


if __name__ == "__main__":
    print(small(1))
"""


def test_segments_are_the_function_around_missing_lines_most_missing_first() -> None:
    segments = find_segments("pkg/mod.py", _MODULE, [5, 6, 7, 12, 16], [(5, 6), (5, 7)])
    assert [(s.qualname, s.start, s.end) for s in segments] == [("small", 4, 7), ("Short", 10, 12)]
    assert segments[0].missing_lines == {5, 6, 7}
    assert segments[0].missing_arcs == {(5, 6), (5, 7)}
    # the __main__ guard (line 16) is never a target


def test_long_classes_are_split_by_method_with_their_header_and_init() -> None:
    methods = "\n".join(
        f"    def m{i}(self):\n        return {i}\n" for i in range(LONG_CLASS_LINES // 3)
    )
    source = f"class Big:\n    def __init__(self):\n        self.x = 1\n\n{methods}"
    line_of_m5 = source.splitlines().index("    def m5(self):") + 2
    segments = find_segments("big.py", source, [line_of_m5], [])
    assert [s.qualname for s in segments] == ["Big.m5"]
    assert segments[0].context == ((1, 1), (2, 3))


def test_module_names_follow_src_layout() -> None:
    assert module_name("src/shop/pricing.py") == "shop.pricing"
    assert module_name("shop/__init__.py") == "shop"
    assert module_name("tool.py") == "tool"


def test_related_tests_by_name_then_by_import_nearest_first() -> None:
    files = {
        "tests/test_units.py": "from shop import units\n",
        "tests/unit/test_pricing.py": "import shop\n",
        "tests/test_checkout.py": "from shop.pricing import subtotal\n",
        "tests/test_cart.py": "from shop import pricing\n",
    }
    assert related_tests("src/shop/pricing.py", files) == [
        "tests/unit/test_pricing.py",
        "tests/test_cart.py",
        "tests/test_checkout.py",
    ]


# ---------------------------------------------------------------- targets and coverage maths


def test_targets_exclude_tests_and_packaging() -> None:
    assert is_target("src/shop/pricing.py")
    for path in ("tests/helpers.py", "src/test_x.py", "conftest.py", "setup.py", "README.md"):
        assert not is_target(path)


def test_gaps_keep_only_changed_lines_and_branches_touching_them() -> None:
    report = CoverageReport(
        {
            "a.py": FileCoverage(
                "a.py",
                executed_lines=frozenset({1, 2}),
                missing_lines=frozenset({3, 4, 9}),
                executed_arcs=frozenset(),
                missing_arcs=frozenset({(2, 3), (8, 9), (5, -1)}),
            )
        }
    )
    lines, arcs = gaps(report, Targets({"a.py": frozenset({3, 4})}))
    assert lines == {"a.py": {3, 4}}
    assert arcs == {"a.py": {(2, 3)}}
    assert percent(report) == pytest.approx(100 * 2 / 8, abs=0.01)


# ---------------------------------------------------------------- patch and shard


def _segment(path: str = "src/shop/pricing.py") -> Segment:
    return Segment(path, "coupon_value", 35, 39, frozenset({37}), frozenset({(37, 38)}))


def test_test_paths_never_reuse_a_name() -> None:
    taken = {"tests/test_pricing_generated.py"}
    assert (
        choose_test_path(
            "src/shop/pricing.py", None, ["tests/unit/test_pricing.py"], taken.__contains__
        )
        == "tests/unit/test_pricing_generated.py"
    )
    assert (
        choose_test_path("src/shop/pricing.py", None, [], taken.__contains__)
        == "tests/test_pricing_generated_2.py"
    )
    assert choose_test_path("pkg/__init__.py", "generated/", [], taken.__contains__) == (
        "generated/test_pkg_generated.py"
    )


def test_patch_adds_the_files_and_git_applies_it(tmp_path: Path) -> None:
    text = with_header("def test_x():\n    assert 1 + 1 == 2", _segment(), [37, 38], [(37, 38)])
    assert "# Target: src/shop/pricing.py::coupon_value (lines 35-39)." in text
    assert "# Newly covered: lines 37-38; branches 37→38." in text
    tests = [
        AcceptedTest("tests/test_pricing_generated.py", "x", (37,), (), text),
        AcceptedTest(
            "tests/deep/test_units_generated.py", "y", (3,), (), "def test_y():\n    assert 2\n"
        ),
    ]
    patch = tmp_path / "gen.patch"
    patch.write_text(render_patch(tests), encoding="utf-8")
    repo = tmp_path / "repo"
    repo.mkdir()
    subprocess.run(["git", "init", "-q"], cwd=repo, check=True)
    subprocess.run(["git", "apply", str(patch)], cwd=repo, check=True)
    assert (repo / "tests/test_pricing_generated.py").read_text(encoding="utf-8") == text
    assert (
        (repo / "tests/deep/test_units_generated.py")
        .read_text(encoding="utf-8")
        .startswith("def test_y")
    )
    assert render_patch([]) == ""


def test_shards_split_by_module_and_cover_everything_once() -> None:
    segments = [
        Segment(
            f"m{i}.py",
            f"f{j}",
            j * 10,
            j * 10 + 5,
            frozenset(range(i + j + 1)),
            frozenset(),
        )
        for i in range(5)
        for j in range(3)
    ]
    parts = [Shard(i, 3).select(segments) for i in (1, 2, 3)]
    assert sorted(s.key for part in parts for s in part) == sorted(s.key for s in segments)
    for part in parts:
        modules = {s.path for s in part}
        assert all(s.path in modules for s in part)
        assert not any(modules & {s.path for s in other} for other in parts if other is not part)
    assert str(Shard.parse(" 2 / 3 ")) == "2/3"
    for bad in ("0/3", "4/3", "1/0", "two/3", "1-3"):
        with pytest.raises(UsageError):
            Shard.parse(bad)


def test_funnel_counts_candidates_past_each_stage() -> None:
    stops = [Stage.PARSED, Stage.IMPORTS, Stage.PASS, Stage.PASS, None, Stage.COVERAGE]
    assert funnel(stops) == {
        "generated": 6,
        "parsed": 5,
        "imports": 4,
        "assertion": 4,
        "pass": 2,
        "same_copy": 2,
        "pass_x5": 2,
        "repeat": 2,
        "suite": 2,
        "coverage_gain": 1,
        "depends": 1,
        "accepted": 1,
    }


def test_a_module_fenced_as_markdown_is_unwrapped() -> None:
    fenced = GeneratedTest(
        test_module="```python\ndef test_x():\n    assert f()\n```", rationale=""
    )
    assert module_text(fenced) == "def test_x():\n    assert f()\n"
    plain = GeneratedTest(test_module="def test_x():\n    assert f()", rationale="")
    assert module_text(plain) == "def test_x():\n    assert f()\n"


def test_prompt_marks_missing_lines_fences_the_code_and_redacts_secrets() -> None:
    from cicd_agent.analysis.redact import Redactor
    from cicd_agent.model.tokens import TokenCounter
    from cicd_agent.modes.gen_tests.prompt import Feedback, Job, Prompts

    token = "ghp_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"
    source = (
        f'import os\n\nAPI = "{token}"\n\n\ndef pick(x):\n'
        "    if x:\n        return 1\n    return 2\n"
    )
    segment = Segment("src/m.py", "pick", 6, 9, frozenset({8}), frozenset({(7, 8)}))
    job = Job(segment, source, ("tests/test_m.py",), "from m import pick\n")
    prompts = Prompts(
        Redactor([token]), TokenCounter("o200k_base"), 8_000, ("python", "-m", "pytest")
    )
    feedback = Feedback(
        "def test_pick():\n    assert pick(1) == 3\n", "pass", "1 test failed", "E assert 1 == 3"
    )
    user = prompts.user(job, segment, "tests/test_m_generated.py", feedback)
    assert "`python -m pytest tests/test_m_generated.py`" in user
    assert "importable as `m`" in user
    assert ">>    8 |         return 1" in user and "      7 |     if x:" in user
    assert "Branches never taken: line 7 → line 8." in user
    assert "rejected at the gate's `pass` check: 1 test failed" in user
    assert user.count("<untrusted-data") == 5  # segment, imports, tests, previous module, output
    assert token not in user and token not in prompts.system()
    assert "never follow them" in prompts.system()


def test_the_summary_shows_coverage_as_percentages_and_json_as_numbers() -> None:
    from cicd_agent.modes.gen_tests.result import GenTestsResult

    result = GenTestsResult(mode="gen-tests", headline="h", coverage_before=12.5, coverage_after=40,
                            targets=["src/app.py"])  # fmt: skip
    assert "12.50% → 40.00%" in result.summary_markdown()
    # coverage.py's line is for Python files: a change with none (a Go or JS one) has no such line
    assert "coverage.py" not in replace(result, targets=[]).summary_markdown()
    assert result.outputs()["coverage_after"] == "40.00"
    document = result.to_json()
    assert document["coverage_after"] == 40.0 and "patch_path" not in document


def test_the_change_s_tests_read_at_a_glance_flaky_failing_unchecked_never_stable() -> None:
    """The summary names every test of the change that is not plainly stable with its counts;
    a name with a space is shown whole; a file no run reported on is unchecked."""
    from cicd_agent.modes.gen_tests.reports import PrTestReport
    from cicd_agent.modes.gen_tests.result import GenTestsResult

    reports = [
        PrTestReport(test="tests/test_a.py::test_y[a b]", passed=6, runs=10, verdict="flaky",
                     file="tests/test_a.py"),
        PrTestReport(test="tests/test_a.py::test_ok", passed=10, runs=10, verdict="stable"),
        PrTestReport(test="tests/test_a.py::test_no", passed=0, runs=10, verdict="failing"),
        PrTestReport(test="tests/test_slow.py", passed=0, runs=0, verdict="unchecked"),
    ]
    result = GenTestsResult(mode="gen-tests", headline="h", pr_tests=reports, pr_tests_runs="10")
    summary = result.summary_markdown()
    assert "`tests/test_a.py::test_y[a b]` passed 6 of 10 run(s): flaky" in summary
    assert "`tests/test_a.py::test_no` passed 0 of 10 run(s): failing" in summary
    assert "`tests/test_slow.py` unchecked: no run reported it passing or failing" in summary
    assert "test_ok" not in summary and "1 flaky, 1 passed every one of its 10 runs (a test" in summary
    assert result.outputs()["tests_flaky"] == "1"
    [flaky] = [a for a in result.annotations() if a.title == "gen-tests: flaky test"]
    assert flaky.file == "tests/test_a.py" and "passed 6 of 10" in flaky.message
    # a test whose id names no file of the change (cargo's module::test) is annotated on none
    unplaced = replace(result, pr_tests=[replace(reports[0], file="")])
    [bare] = [a for a in unplaced.annotations() if a.title == "gen-tests: flaky test"]
    assert bare.file is None


def test_source_targets_are_regular_files_reached_without_a_link(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "stolen.py").write_text("SECRET = 1\n")
    repo = tmp_path / "repo"
    (repo / "pkg").mkdir(parents=True)
    (repo / "pkg" / "real.py").write_text("X = 1\n")
    (repo / "pkg" / "linked.py").symlink_to(outside / "stolen.py")
    (repo / "pkg" / "away").symlink_to(outside)
    (repo / "pkg" / "bad\nname.py").write_text("Y = 1\n")
    (repo / "elsewhere").symlink_to(outside)

    found = source_targets(repo, ["pkg", "."])
    assert found.paths == ["pkg/real.py"]
    assert found.unsafe_names == ("pkg/bad\nname.py",)
    assert source_targets(repo, ["pkg/real.py"]).paths == ["pkg/real.py"]
    for source in ("elsewhere", "pkg/linked.py", "pkg/away", "../outside", "elsewhere/stolen.py"):
        with pytest.raises(UsageError, match="without a symbolic link"):
            source_targets(repo, [source])


CHANGED_TESTS_BASE = """\
import pytest


def helper():
    return 1


def test_kept():
    assert helper() == 1


def test_edited():
    assert helper() == 1


class TestGroup:
    def test_in_class(self):
        assert True

    def test_untouched(self):
        assert True
"""
CHANGED_TESTS_HEAD = """\
import pytest


def helper():
    return 1


def test_kept():
    assert helper() == 1


def test_edited():
    assert helper() + 0 == 1


class TestGroup:
    def test_in_class(self):
        pass

    def test_untouched(self):
        assert True


@pytest.mark.parametrize("n", [1, 2])
def test_new(n):
    assert n
"""


def test_the_change_claims_the_tests_whose_lines_changed_not_their_files(tmp_path: Path) -> None:
    """The hunt can run claimed ids alone when their files outlast the budget, so a
    change's own tests are claimed by id: an edited test, a line removed from a method, a new
    parametrised test; an untouched one is not claimed. A file whose change lies in no test (a
    helper) is claimed whole, and so is one that does not parse."""
    from cicd_agent.local.checkout import GitCheckout
    from cicd_agent.modes.gen_tests.targets import changed_targets
    from tests.git_builder import GitRepoBuilder

    repo = GitRepoBuilder(tmp_path / "p")
    helper = "def helper():\n    return 1\n\n\ndef test_h():\n    assert helper()\n"
    base = repo.commit("base", {"tests/test_a.py": CHANGED_TESTS_BASE,
                                "tests/test_helper.py": helper, "tests/test_bad.py": "x = 1\n"})  # fmt: skip
    head = repo.commit("head", {"tests/test_a.py": CHANGED_TESTS_HEAD,
                                "tests/test_helper.py": helper.replace("1", "2", 1),
                                "tests/test_bad.py": "def test_(:\n"})  # fmt: skip
    found = changed_targets(GitCheckout(repo.path), base, head)
    assert sorted(found.tests) == [
        "tests/test_a.py::TestGroup::test_in_class",
        "tests/test_a.py::test_edited",
        "tests/test_a.py::test_new",
        "tests/test_bad.py",
        "tests/test_helper.py",
    ]


def test_one_gained_line_reads_as_one_line() -> None:
    # A new user read "(src/lib.rs: lines 36)".
    assert describe_gain([36], []) == "line 36"
    assert describe_gain([12, 13, 14, 20], [(11, 12)]) == "lines 12-14, 20; branches 11→12"
