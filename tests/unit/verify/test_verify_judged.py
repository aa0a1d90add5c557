"""The patched files as every judge reads them back: a link reads as no file, and a folder where
a file was is an error when a judge reads its own copy (never a deletion), none in the checkout."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from cicd_agent.local.checkout_files import CheckoutFileError
from cicd_agent.verify.judged import text_of


def test_a_file_reads_back_whatever_its_bytes(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_bytes(b"x = '\xff'\n")
    assert text_of(tmp_path, "a.py") == "x = '\udcff'\n"
    assert text_of(tmp_path, "gone.py", lenient=False) is None


def test_attack_a_link_reads_as_no_file(tmp_path: Path) -> None:
    (tmp_path / "secret").write_text("key\n", encoding="utf-8")
    os.symlink(tmp_path / "secret", tmp_path / "a.py")
    assert text_of(tmp_path, "a.py", lenient=False) is None


def test_a_folder_where_a_file_was_is_an_error_only_when_strict(tmp_path: Path) -> None:
    (tmp_path / "a.py").mkdir()
    assert text_of(tmp_path, "a.py") is None
    with pytest.raises(CheckoutFileError):
        text_of(tmp_path, "a.py", lenient=False)
