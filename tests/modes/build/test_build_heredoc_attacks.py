"""Attacks through a heredoc, which buildah 1.28 does not read: it runs an instruction's first
line alone and each line of the heredoc's body as an instruction of its own, while every check
of the build mode reads the Dockerfile with BuildKit's grammar, where the body is text. A
body's ``RUN --mount`` then passed the mount check and ran; a body's ``FROM`` of the
machine's files passed the image check; a body of instructions shifted which history entry,
and so which cached step and which bytes, each line of the Dockerfile was given."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from cicd_agent.modes.build.buildah import Buildah
from cicd_agent.modes.build.builder import BuildFailed, Request
from cicd_agent.modes.build.dockerfile import machine_images, mounts_through_the_machine
from cicd_agent.modes.build.layer_archive import read_tree
from cicd_agent.modes.build.oci import read_layout
from tests.helpers.buildah import BUSYBOX, needs_buildah

pytestmark = needs_buildah

BASE = 'FROM scratch\nCOPY busybox /bin/busybox\nRUN ["/bin/busybox", "--install", "-s", "/bin"]\n'
CLIMB = "RUN --mount=type=cache,id=../../..,target=/c ls -a /c > /seen"
"""A mount the check refuses written plainly: a cache mount climbing out of the build's cache
folder into the run's storage, its listing kept in the image."""
BODIES = {
    "a mount the check refuses": f"{CLIMB}\n",
    "an image of the machine's files": "FROM oci:/var/lib\n",
    "instructions of their own": "LABEL hidden=yes\n",
}


def build(tmp_path: Path, text: str) -> dict[str, str]:
    """The top-level files of the image buildah builds from ``text`` (busybox in its
    context), as text."""
    context = tmp_path / "context"
    context.mkdir(exist_ok=True)
    assert BUSYBOX is not None
    shutil.copy(BUSYBOX, context / "busybox")
    (context / "Dockerfile").write_text(text)
    builder = Buildah(tmp_path / "job", {"PATH": "/usr/bin:/bin"}, 240)
    built = builder.build(Request(context, context / "Dockerfile", tmp_path / "image"),
                          lambda _: None)  # fmt: skip
    tree = read_tree(read_layout(built.layout).layers)
    return {name: tree.files[name].read().decode(errors="replace")
            for name in tree.files if "/" not in name}  # fmt: skip


def test_the_checks_refuse_what_a_heredocs_body_says_when_it_is_written_plainly() -> None:
    """What each body says, as a line of its own, is what the checks exist for."""
    assert mounts_through_the_machine(f"FROM alpine\n{CLIMB}\n")
    assert machine_images("FROM alpine\nFROM oci:/var/lib\n") == ["oci:/var/lib"]
    hidden = f"FROM alpine\nRUN <<CMD\n{CLIMB}\nFROM oci:/var/lib\nCMD\n"
    assert mounts_through_the_machine(hidden) == [] and machine_images(hidden) == []


@pytest.mark.timeout(300, method="thread")
@pytest.mark.parametrize("body", BODIES.values(), ids=BODIES.keys())
def test_attack_buildah_runs_no_line_of_a_heredocs_body_as_an_instruction(
    tmp_path: Path, body: str
) -> None:
    """A heredoc whose closing word (``CMD``) buildah also reads as an instruction: its body
    never reaches buildah, the build refused in one line naming the heredoc (before: the
    cache mount listed the run's storage into the image, and the body's instructions were
    built)."""
    text = f"{BASE}RUN <<CMD\n{body}CMD\nRUN echo built > /built\n"
    with pytest.raises(BuildFailed, match="heredoc") as refused:
        seen = build(tmp_path, text)
        pytest.fail(f"built: {sorted(seen)}, /seen: {seen.get('seen', '')[:300]!r}")
    assert "RUN <<CMD" in str(refused.value)
    assert not (tmp_path / "image").exists()


@pytest.mark.timeout(300, method="thread")
def test_a_dockerfile_without_a_heredoc_still_builds(tmp_path: Path) -> None:
    """A shell's own here-document written on one line, with no Dockerfile heredoc, builds."""
    seen = build(tmp_path, f"{BASE}RUN printf 'a\\nb\\n' > /built && cat /built >/dev/null\n")
    assert seen["built"] == "a\nb\n"
