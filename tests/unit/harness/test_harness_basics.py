"""The session basics every other test relies on: offline tiktoken and a hermetic environment."""

from __future__ import annotations

import os

import pytest
import tiktoken

from tests.harness.payloads import REPO_ROOT, examples


@pytest.mark.parametrize(
    ("encoding", "tokens"),
    [("cl100k_base", [15339, 1917]), ("o200k_base", [24912, 2375])],
)
def test_tiktoken_encodings_load_offline_from_the_harness_cache(
    encoding: str, tokens: list[int]
) -> None:
    """tiktoken checks the cached file's SHA-256, so a wrong conversion cannot load."""
    assert os.environ["TIKTOKEN_CACHE_DIR"] == str(REPO_ROOT / ".harness" / "tiktoken")

    assert tiktoken.get_encoding(encoding).encode("hello world") == tokens


def test_runner_and_model_variables_never_reach_a_test(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    leaky = ["GITHUB_TOKEN", "GITHUB_EVENT_PATH", "INPUT_MODE", "OPENAI_API_KEY", "RUNNER_DEBUG"]
    for name in leaky:
        monkeypatch.setenv(name, "from-the-real-environment")
    monkeypatch.setenv("KEEP_ME", "yes")
    monkeypatch.setenv("PYTHONPATH", str(REPO_ROOT))
    pytester.makeconftest((REPO_ROOT / "tests" / "conftest.py").read_text())
    pytester.makepyfile(
        f"""
        import os

        def test_environment():
            assert [n for n in {leaky!r} if n in os.environ] == []
            assert os.environ["KEEP_ME"] == "yes"
        """
    )

    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")

    result.assert_outcomes(passed=1)


def test_an_example_filter_that_matches_nothing_fails_loudly() -> None:
    with pytest.raises(ValueError, match="no pull_request example with action 'opend'"):
        examples("pull_request", "opend")


def test_examples_are_copies_a_test_may_edit() -> None:
    first = examples("push")[0]
    first["ref"] = "refs/heads/edited"

    assert examples("push")[0]["ref"] != "refs/heads/edited"
