"""A verdict on advice and the JSON beside it come from one value: a new user's build said
"verified ... every other file is the same" while its own JSON said ``same_files: false``."""

from __future__ import annotations

from pathlib import Path

from cicd_agent.modes.build.dockerfile import parse
from cicd_agent.modes.build.judge import judge
from cicd_agent.modes.build.rules import candidates
from cicd_agent.modes.build.types import Source
from tests.modes.build.test_build_advice_rules import BASE, built

COUNTED = (
    "FROM busybox:local\nWORKDIR /src\nCOPY . /src/\n"
    'RUN ls /src | wc -l > /src/COUNT\nCMD ["cat", "/src/COUNT"]\n'
)


def test_a_dockerignore_verdict_never_says_same_files_its_json_denies(tmp_path: Path) -> None:
    """Their project (Dockerfile, .github, sources) with ``COPY . /src/`` and a ``RUN`` line
    counting what it copied: leaving the Dockerfile out changes the count (refuted); where the
    count came out the same, the files the image keeps are the same, and the JSON says so."""
    (tmp_path / ".github").mkdir()
    for name in ("Dockerfile", "bytes.go", "si.go"):
        (tmp_path / name).write_text(name)
    source = Source(tmp_path, tmp_path, tmp_path / "Dockerfile", COUNTED, parse(COUNTED))
    (found,) = [c for c in candidates(source, None) if c.rule == "dockerignore"]
    sources = {"src/bytes.go": b"b", "src/si.go": b"s"}
    head = built(COUNTED, [BASE, {**sources, "src/Dockerfile": b"d", "src/.github/ci.yml": b"on"},
                           {"src/COUNT": b"3\n"}])  # fmt: skip
    counted_less = built(COUNTED, [BASE, sources, {"src/COUNT": b"2\n"}])
    counted_same = built(COUNTED, [BASE, sources, {"src/COUNT": b"3\n"}])
    proven = judge(head, counted_same, found)
    assert proven.ok and proven.same_files
    assert proven.why == (
        "only the 2 files the .dockerignore names are left out; every other file is the same"
    )
    refuted = judge(head, counted_less, found)
    assert not refuted.ok and not refuted.same_files
    assert refuted.why == "1 file differs, the first src/COUNT"
    for judged in (refuted, proven, judge(head, head, found)):
        assert "every other file is the same" not in judged.why or judged.same_files
        assert not judged.ok or judged.same_files
