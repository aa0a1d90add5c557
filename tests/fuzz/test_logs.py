"""Job logs and their zips (analyse-failure's ``--logs``, and the run-logs zip the API serves)
under any bytes, end to end through the CLI in-process: the mode explains the failure or says
in one line why the logs cannot be read (exit 2), with its outputs written, never exit 3.

The hostile logs are real logs of this repository's fixtures with hostile lines, runner
markers and bytes put in, lines with no end, and zips whose member names, numbering, layout
and compression are anyone's (cut short, damaged, encrypted-looking)."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from tests.fuzz.hostile import assert_documented_exit, budget, texts
from tests.harness.payloads import REPO_ROOT
from tests.helpers.cli import run_cli
from tests.helpers.failed_run import zip_of

SEEDS = [
    path.read_bytes()[-6_000:]
    for path in sorted((REPO_ROOT / "tests/fixtures/logs").glob("*.txt"))[:4]
]
MARKERS = [
    "##[group]{}",
    "##[endgroup]",
    "##[error]{}",
    "2024-01-01T00:00:00.0000000Z {}",
    "Error: Process completed with exit code {}.",
    "FAILED {} - assert 1 == 2",
    "{}",
]


def line() -> st.SearchStrategy[bytes]:
    return st.builds(
        lambda marker, text: marker.format(text).encode("utf-8", "surrogatepass"),
        st.sampled_from(MARKERS),
        texts(60),
    )


@st.composite
def log(draw: st.DrawFn) -> bytes:
    """A real log with hostile lines or bytes put in, or a line with no end at all."""
    if draw(st.integers(0, 9)) == 0:
        return draw(st.sampled_from([b"x" * 3_000_000, b"\r" * 100_000, b"\n" * 200_000, b""]))
    data = draw(st.sampled_from(SEEDS))
    for _ in range(draw(st.integers(0, 4))):
        at = draw(st.integers(0, len(data)))
        data = data[:at] + draw(line() | st.binary(max_size=20)) + b"\n" + data[at:]
    return data


NAMES = st.one_of(
    st.builds(
        "{}_{}.txt".format,
        st.integers(-3, 3) | st.just(10**5000 // 10**4990),
        texts(10, huge=False),
    ),
    st.builds("{}/{}_{}.txt".format, texts(8, huge=False), st.integers(0, 3), texts(8, huge=False)),
    st.sampled_from(
        [
            "1_" + "9" * 5_000 + ".txt",
            "0_a" * 300 + ".txt",
            "../0_up.txt",
            "/0_abs.txt",
            "job/system.txt",
            "job/",
            "0_a.log",
            "0_\udcff.txt",
            "0_test.txt",
        ]
    ),
)


def unnamed_member() -> bytes:
    """A zip whose one member has an empty name (``zip_of`` cannot write one)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as written:
        written.writestr(zipfile.ZipInfo(""), b"x" * 3_000_000)
    return buffer.getvalue()


@st.composite
def archive(draw: st.DrawFn) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as written:
        for _ in range(draw(st.integers(0, 4))):
            name = draw(NAMES).encode("utf-8", "surrogatepass").decode("utf-8", "replace")
            method = draw(
                st.sampled_from([zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2])
            )
            written.writestr(zipfile.ZipInfo(name), draw(log()), compress_type=method)
    data = buffer.getvalue()
    damage = draw(st.sampled_from(["none", "none", "cut", "flip", "encrypted"]))
    at = draw(st.integers(0, max(len(data) - 1, 0)))
    if damage == "cut":
        data = data[:at]
    elif damage == "flip" and data:
        data = data[:at] + bytes([data[at] ^ 0xFF]) + data[at + 1 :]
    elif damage == "encrypted":  # the general-purpose flag's bit 0 on every local header
        data = data.replace(b"PK\x03\x04\x14\x00\x00", b"PK\x03\x04\x14\x00\x01")
    return data


@pytest.fixture(scope="module")
def place(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    yield tmp_path_factory.mktemp("logs")


@pytest.mark.filterwarnings("ignore:Duplicate name")  # two members of one name: a case too
@budget(20)
@given(
    logs=st.one_of(
        log().map(lambda data: ("job.txt", data)), archive().map(lambda data: ("logs.zip", data))
    )
)
@example(logs=("logs.zip", b""))
@example(logs=("logs.zip", unnamed_member()))  # the long run's find: IndexError, exit 3
@example(logs=("logs.zip", zip_of({"1_" + "9" * 5_000 + ".txt": b"Error: boom"})))
@example(logs=("logs.zip", zip_of({"job/" + "9" * 5_000 + "_step.txt": b"Error: boom"})))
@example(
    logs=(
        "logs.zip",
        zip_of({"0_test.txt": b"Error: boom"}).replace(
            b"PK\x03\x04\x14\x00\x00", b"PK\x03\x04\x14\x00\x01"
        ),
    )
)
def test_any_logs_are_explained_or_refused_in_one_line(
    place: Path, logs: tuple[str, bytes]
) -> None:
    name, data = logs
    for old in place.glob("logs*"):
        old.unlink()
    path = place / name
    path.write_bytes(data)
    done = run_cli(
        ["analyse-failure", "--provider", "none", "--logs", str(path)],
        place,
        {"GITHUB_WORKSPACE": str(place)},
    )
    assert_documented_exit(done.code, done.outputs, done.stdout + done.stderr)
