"""What the secret rules read of a file the diff shows as binary (:func:`binary_text`)."""

from __future__ import annotations

import gzip
import zlib

import pytest

from cicd_agent.local.gitrepo import binary_text, lines_added

KEY = "AKIA" + "QWERTYUIOPASDFGH"


@pytest.mark.parametrize(
    "data",
    [
        f"\ufeff$k = '{KEY}'\r\n".encode("utf-16-le"),
        f"\ufeff$k = '{KEY}'\r\n".encode("utf-16-be"),
        f"$k = '{KEY}'\r\n".encode("utf-16-le"),  # no byte-order mark
        f"$k = '{KEY}'\r\n".encode("utf-16-be"),
        f"\ufeff$k = '{KEY}'\r\n".encode("utf-32-le"),
        f"$k = '{KEY}'\r\n".encode("utf-32-be"),
        f"\ufeff$k = '{KEY}'\r\n".encode("utf-16-le") + b"\x00",  # an odd byte at the end
        f"#\0\nk='{KEY}'\n".encode(),
        f"# caf\xe9\nk='{KEY}'\n".encode("latin-1"),
        f"var a=1;var k='{KEY}';".encode(),
    ],
)
def test_text_in_any_encoding_a_script_runs_in_is_read(data: bytes) -> None:
    text = binary_text(data)
    assert text is not None and KEY in text


@pytest.mark.parametrize(
    "data",
    [
        b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\x01\0\0\0\x01\0\x08\x06\0\0\0\x5c\x72\xa8\x66",
        gzip.compress(KEY.encode() * 50),
        zlib.compress(bytes(range(256)) * 40),
        bytes(range(256)) * 16,
    ],
)
def test_real_binaries_are_not_text(data: bytes) -> None:
    assert binary_text(data) is None


def test_the_lines_added_are_those_the_old_text_does_not_hold_as_often() -> None:
    old = "a\nb\nb\nc\n"
    new = "a\nb\nb\nb\nkey\r\nc\n"
    assert lines_added(old, new) == ((4, "b"), (5, "key"))
