"""Attacks on what gen-tests reads and writes on the host: links and file names the PR chose.

The real CLI on the fixture shop project, with the local model server: a pull request that turns
the existing test file (read as "the style to follow") into a link to the checkout's git config
or to the agent's own environment and adds a target module that is a link; another plants a
link where a generated test would be written. Nothing any link points at may reach a prompt, an
output or the summary, and nothing may be written through one.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.fixtures.gentests_project.build import git, make_repo
from tests.harness.model_server import TEST_API_KEY, ModelServer
from tests.helpers.gen_tests import gate_reruns, run_gen_tests

CHECKOUT_TOKEN = "ghs_" + "Qz4Yt2Rw9Qp4Xn1Mv6Bz3Lh8Jd5Gf0Sa7K"


def own_environ() -> list[str]:
    """The ``NAME=value`` entries a link to ``/proc/self/environ`` would show (the CLI runs in
    this process, whose environment block is fixed at its start)."""
    entries = Path("/proc/self/environ").read_bytes().decode("utf-8", "replace").split("\0")
    return [entry for entry in entries if len(entry) > 8]


@pytest.mark.slow
@pytest.mark.parametrize("points_at", ["git-config", "environ"])
def test_links_in_the_pull_request_are_never_read_written_or_sent(
    tmp_path: Path, model_server: ModelServer, points_at: str
) -> None:
    repo = tmp_path / "shop"
    base, _ = make_repo(repo)
    git(
        repo,
        "config",
        "http.https://github.com/.extraheader",
        f"AUTHORIZATION: basic {CHECKOUT_TOKEN}",
    )
    secret_file = (
        repo / ".git" / "config" if points_at == "git-config" else Path("/proc/self/environ")
    )
    (repo / "tests" / "test_pricing.py").unlink()
    (repo / "tests" / "test_pricing.py").symlink_to(secret_file)
    # As an attacker would: the suite leaves the link out, so it still runs (a test file that
    # reads as the sandbox's own environment, NUL bytes and all, stops pytest's collection, and
    # gen-tests then ends before any prompt: exit 2), and the link reaches the model's stage.
    (repo / "tests" / "conftest.py").write_text('collect_ignore = ["test_pricing.py"]\n')
    (repo / "src" / "shop" / "linked.py").symlink_to(repo / ".git" / "config")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "links")
    model_server.answer({"test_module": "def test_(:\n", "rationale": "does not parse"})
    model_server.fail(500, times=None)

    code, document, outputs, _ = run_gen_tests(
        [
            "--repo",
            str(repo),
            "--base",
            base,
            "--head",
            "HEAD",
            "--base-url",
            model_server.base_url,
        ],
        tmp_path,
        OPENAI_API_KEY=TEST_API_KEY,
    )

    assert code == 0, document
    assert model_server.chat_requests, "the model was never asked: the attack was not tried"
    shown = "\n".join(
        [
            model_server.all_prompt_text(),
            json.dumps(document),
            outputs,
            (tmp_path / "summary.md").read_text(),
        ]
    )
    for secret in (CHECKOUT_TOKEN, "extraheader", *own_environ()):
        assert secret not in shown
    assert "linked.py" not in json.dumps(document["segments"])  # a link is never a target


GOOD_BULK = (
    "import pytest\nfrom shop.pricing import bulk_discount\n\n\n"
    "@pytest.mark.parametrize(('quantity', 'total'), [(5, 5.0), (10, 9.5), (50, 45.0), (100, 85.0)])\n"
    "def test_discount_steps(quantity, total):\n    assert bulk_discount(quantity, 1.0) == total\n\n\n"
    "def test_negative_quantity_is_refused():\n    with pytest.raises(ValueError):\n"
    "        bulk_discount(-1, 1.0)\n"
)


@pytest.mark.slow
@pytest.mark.parametrize("link", ["the-file", "its-folder"])
def test_an_accepted_test_is_never_written_through_a_link_where_it_would_go(
    tmp_path: Path, model_server: ModelServer, link: str
) -> None:
    repo = tmp_path / "shop"
    base, _ = make_repo(repo)
    outside = tmp_path / "outside"
    outside.mkdir()
    if link == "the-file":  # dangling: "does not exist", so it looked free
        (repo / "tests" / "test_pricing_generated.py").symlink_to(outside / "planted.py")
        placement: list[str] = []
    else:
        (repo / "generated").symlink_to(outside, target_is_directory=True)
        placement = ["--test-dir", "generated"]
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "a link where the generated test goes")
    model_server.answer({"test_module": GOOD_BULK, "rationale": "every discount step"})
    model_server.fail(500, times=None)

    with gate_reruns(1):  # where the test is written is at stake, not a flaky candidate
        code, document, _, _ = run_gen_tests(
            [
                *("--repo", str(repo), "--base", base, "--head", "HEAD"),
                *("--base-url", model_server.base_url, *placement),
            ],
            tmp_path,
            OPENAI_API_KEY=TEST_API_KEY,
        )

    assert code == 0, document
    assert list(outside.iterdir()) == []
    accepted = [test["path"] for test in document["accepted"]]  # type: ignore[attr-defined]
    if link == "the-file":
        assert accepted == ["tests/test_pricing_generated_2.py"]
    else:
        assert accepted == [] and model_server.chat_requests == []
        statuses = [segment["status"] for segment in document["segments"]]  # type: ignore[attr-defined]
        assert all("no new test file name is free" in status for status in statuses), statuses


EVIL_TARGET = "src/shop/evil\n[run]\nplugins = x.py"
EVIL_TEST = "tests/test_pricing\n[report]\nx.py"


def test_file_names_with_control_characters_are_left_out_and_named_escaped(
    tmp_path: Path,
) -> None:
    """A name with a newline became lines of coverage's configuration: a second ``[run]``
    section, exit 3 and no coverage."""
    repo = tmp_path / "shop"
    base, _ = make_repo(repo)
    (repo / EVIL_TARGET).write_text("def evil(x):\n    return x + 1\n")
    (repo / EVIL_TEST).write_text("def test_nothing():\n    assert True\n")
    (repo / "src" / "shop" / "bell\x07.py").write_text("def bell():\n    return 7\n")
    (repo / "src" / "shop" / "cost_${NOPE?}.py").write_text("def cost(x):\n    return x * 2\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "names with control characters")

    code, document, outputs, stderr = run_gen_tests(
        ["--repo", str(repo), "--base", base, "--head", "HEAD", "--provider", "none"], tmp_path
    )

    assert code == 0, (document, stderr)
    summary = (tmp_path / "summary.md").read_text()
    for name in (EVIL_TARGET, "src/shop/bell\x07.py"):
        assert name not in summary and name not in outputs
    assert "`src/shop/evil\\n[run]\\nplugins = x.py`" in summary
    assert "`src/shop/bell\\x07.py`" in summary
    targets = {segment["path"] for segment in document["segments"]}  # type: ignore[attr-defined]
    assert targets == {"src/shop/pricing.py", "src/shop/cost_${NOPE?}.py"}  # "$" is escaped
    assert document["coverage_before"] is not None


@pytest.mark.slow
def test_a_file_where_the_test_folder_would_go_is_a_skip_not_a_crash(
    tmp_path: Path, model_server: ModelServer
) -> None:
    """The pull request adds a regular file named like the test folder (``generated``):
    ``lexists`` says ``generated/test_…py`` is free (ENOTDIR), ``create_file`` then refuses
    the folder; every segment must say why it was not tried, and the run must finish."""
    repo = tmp_path / "shop"
    base, _ = make_repo(repo)
    (repo / "generated").write_text("not a folder\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "a file where the test folder goes")
    model_server.answer({"test_module": GOOD_BULK, "rationale": "every discount step"})
    model_server.fail(500, times=None)

    code, document, _, stderr = run_gen_tests(
        [
            *("--repo", str(repo), "--base", base, "--head", "HEAD"),
            *("--base-url", model_server.base_url, "--test-dir", "generated"),
        ],
        tmp_path,
        OPENAI_API_KEY=TEST_API_KEY,
    )

    assert code == 0, (document, stderr)
    assert document["accepted"] == [] and model_server.chat_requests == []
    statuses = [segment["status"] for segment in document["segments"]]  # type: ignore[attr-defined]
    assert statuses and all("no new test file name is free" in s for s in statuses), statuses
    assert (repo / "generated").read_text() == "not a folder\n"


def test_a_file_name_that_is_not_utf8_is_left_out_and_named_escaped(tmp_path: Path) -> None:
    """``caf\\xe9.py`` (Latin-1) reads back as ``caf\\udce9.py``, which no UTF-8 file can hold:
    written into coverage's configuration it ended ``--source`` with an internal error
    (attack1)."""
    repo = tmp_path / "shop"
    make_repo(repo)
    folder = bytes(repo / "src" / "shop")
    with open(folder + b"/caf\xe9.py", "w") as handle:
        handle.write("def cafe(x):\n    return x + 1\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "a Latin-1 name")

    code, document, _, stderr = run_gen_tests(
        ["--repo", str(repo), "--source", "src", "--provider", "none"], tmp_path
    )

    assert code == 0, (document, stderr)
    summary = (tmp_path / "summary.md").read_text()
    assert "`src/shop/caf\\udce9.py`" in summary
    assert document["coverage_before"] is not None
