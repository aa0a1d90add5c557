"""What the secret rules read of a file the diff shows as binary (:func:`binary_text`)."""

from __future__ import annotations

import gzip
import zlib

import pytest

from cicd_agent.local.checkout import binary_lines, binary_text, lines_added

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
        gzip.compress(KEY.encode() * 50, mtime=0),
        zlib.compress(bytes(range(256)) * 40),
        bytes(range(256)) * 16,
    ],
    ids=["png", "gzip", "zlib", "every-byte"],  # gzip's header holds the time: no id from data
)
def test_real_binaries_are_not_text(data: bytes) -> None:
    assert binary_text(data) is None


def test_the_lines_added_are_those_the_old_text_does_not_hold() -> None:
    old = binary_lines(b"\0a line\nb line\nc line\n")
    new = binary_lines(b"\0a line\nb line\nb line\nkey line\r\nc line\n")
    assert lines_added(old, new) == ((4, "key line"),)


@pytest.mark.parametrize(
    "data",
    [
        # more control bytes than text may hold, after a NUL (a log's colour codes)
        ("\0" + "\x1b[31mERR\x1b[0m\n" * 40 + f"k={KEY}\n").encode(),
        # plain bytes, then enough UTF-16 that the whole reads as UTF-16
        f"k={KEY}\n".encode() + "region: eu-west-1\n".encode("utf-16-le") * 8,
        f"k={KEY}\n".encode("utf-16-be") + b"\0" + "region: eu\n".encode("utf-16-le") * 8,
        # inside binary data, as bytes or UTF-16 at an odd offset
        bytes(range(256)) * 4 + f"k={KEY}".encode() + bytes(range(256)),
        b"MZ\x90" + bytes(range(256)) + f"k={KEY}".encode("utf-16-le"),
    ],
)
def test_a_key_is_read_whatever_else_the_file_holds(data: bytes) -> None:
    assert any(KEY in line for _, line in binary_lines(data))


def test_a_run_is_numbered_by_the_newlines_before_it() -> None:
    data = b"\0\x01\n\x02\n" + f"k={KEY}\nsecond line\n".encode() + bytes(range(32)) * 4
    assert (3, f"k={KEY}") in binary_lines(data)
    assert (4, "second line") in binary_lines(data)
