"""The one way checkout files are opened: links the pull request made are never followed."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from cicd_agent.local.checkout_files import (
    CheckoutFileError,
    create_file,
    is_file,
    lexists,
    read_bytes,
    read_text,
    unlinked,
    walk_every_name,
    walk_files,
    write_output,
)

SECRET = "extraheader = AUTHORIZATION: basic c2VjcmV0"


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    """A checkout with a credential in ``.git/config`` and every kind of link a PR can commit."""
    root = tmp_path / "checkout"
    (root / ".git").mkdir(parents=True)
    (root / ".git" / "config").write_text(SECRET)
    (root / "src").mkdir()
    (root / "src" / "app.py").write_text("print('hi')\n")
    (root / "tests").mkdir()
    (root / "tests" / "test_app.py").symlink_to("../.git/config")
    (root / "tests" / "test_env.py").symlink_to("/proc/self/environ")
    (root / "tests" / "test_inside.py").symlink_to("../src/app.py")
    (root / "linked").symlink_to(".git")
    (root / "outside").symlink_to(tmp_path)
    os.mkfifo(root / "src" / "pipe.py")
    return root


@pytest.mark.parametrize(
    ("path", "problem"),
    [
        ("tests/test_app.py", "link"),
        ("tests/test_env.py", "link"),
        ("tests/test_inside.py", "link"),  # even a link that stays inside
        ("linked/config", "link"),
        ("outside/checkout/src/app.py", "link"),
        (".git/config", "path"),
        (".GIT/config", "path"),
        ("src/../.git/config", "path"),
        ("/proc/self/environ", "path"),
        ("src", "not-a-file"),
        ("src/pipe.py", "not-a-file"),  # a FIFO: refused, and the open does not hang
        ("src/missing.py", "missing"),
        ("src/app.py/x", "missing"),
    ],
)
def test_every_link_and_every_path_out_is_refused_with_its_reason(
    checkout: Path, path: str, problem: str
) -> None:
    with pytest.raises(CheckoutFileError) as refused:
        read_text(checkout, path)
    assert refused.value.problem == problem
    assert path[:20] in str(refused.value)
    assert not is_file(checkout, path)


def test_a_regular_file_is_read_within_its_bound(checkout: Path) -> None:
    assert read_text(checkout, "src/app.py") == "print('hi')\n"
    assert is_file(checkout, "src/app.py")
    with pytest.raises(CheckoutFileError) as refused:
        read_bytes(checkout, "src/app.py", max_bytes=4)
    assert refused.value.problem == "too-large"


def test_the_walk_names_regular_files_only_and_never_enters_a_link(checkout: Path) -> None:
    assert list(walk_files(checkout)) == ["src/app.py"]


def test_a_name_that_is_not_utf8_is_walked_only_by_the_walk_that_says_so(tmp_path: Path) -> None:
    (tmp_path / "ok.py").write_text("")
    (tmp_path / os.fsdecode(b"bad\xff.py")).write_text("")
    assert list(walk_files(tmp_path)) == ["ok.py"]
    assert list(walk_every_name(tmp_path)) == [os.fsdecode(b"bad\xff.py"), "ok.py"]


def test_paths_for_tools_are_refused_when_any_part_is_a_link(checkout: Path) -> None:
    assert str(unlinked(checkout, "src/app.py")) == "src/app.py"
    for path in ("linked", "linked/config", "tests/test_app.py", "outside/x"):
        with pytest.raises(CheckoutFileError, match="symbolic link"):
            unlinked(checkout, path)


def test_a_new_file_never_goes_through_a_link_nor_replaces_anything(
    checkout: Path, tmp_path: Path
) -> None:
    create_file(checkout, "tests/new/test_gen.py", "x = 1\n")
    assert (checkout / "tests" / "new" / "test_gen.py").read_text() == "x = 1\n"
    for path, problem in [
        ("outside/planted.py", "link"),
        ("tests/test_app.py", "exists"),
        ("src/app.py/x.py", "missing"),
    ]:
        with pytest.raises(CheckoutFileError) as refused:
            create_file(checkout, path, "x = 2\n")
        assert refused.value.problem == problem, path
    assert not (tmp_path / "planted.py").exists()
    assert (checkout / ".git" / "config").read_text() == SECRET
    assert lexists(checkout, "tests/test_app.py") and lexists(checkout, "outside/anything.py")
    assert not lexists(checkout, "tests/test_free.py")
    # a file on the way: create_file would refuse it (ENOTDIR), so the name is not free (attack1)
    assert lexists(checkout, "src/app.py/x.py") and lexists(checkout, "src/app.py/a/b.py")
    assert not lexists(checkout, "src/new/deeper/x.py")


def test_a_named_output_file_is_never_written_through_a_link_in_the_checkout(
    checkout: Path, tmp_path: Path
) -> None:
    """SARIF, patch, audit and result files go where the workflow or its settings say; a
    link the pull request committed on that path (folder or file) is refused, not followed."""
    (checkout / "reports").symlink_to(tmp_path)
    for named in ("reports/review.sarif", "tests/test_app.py"):
        with pytest.raises(OSError, match="symbolic link") as refused:
            write_output(checkout, checkout / named, b"{}")
        assert refused.value.filename == str(checkout / named)
    assert (checkout / ".git" / "config").read_text() == SECRET
    assert not (tmp_path / "review.sarif").exists()
    kept = write_output(checkout, checkout / "out" / "audit.jsonl", b"1\n", append=True)
    write_output(checkout, kept, b"2\n", append=True)
    assert kept.read_bytes() == b"1\n2\n"
    outside = write_output(checkout, tmp_path / "temp" / "review.sarif", b"{}")  # RUNNER_TEMP
    assert outside.read_bytes() == b"{}"
