"""Every spelling of a ``RUN --mount`` that buildah 1.28 resolves on the machine (a stage's
files, ``from=``; a cache path that is not one plain ``id``) is refused before buildah runs,
whatever buildah's own reading of the flag: a key given twice (buildah keeps one of them),
a type in capitals, a value a variable holds that only the builder knows (``ENV``), a line
continuation, a heredoc. Mounts that read nothing of the machine pass."""

from __future__ import annotations

import pytest

from cicd_agent.modes.build.dockerfile import mounts_through_the_machine

REFUSED = {
    "from-an-env-variable": "FROM alpine AS build\nFROM alpine\nENV STAGE=build\n"
    "RUN --mount=type=bind,from=$STAGE,source=/,target=/x true\n",
    "id-from-an-env-variable": "FROM alpine\nENV C=../../../etc\n"
    "RUN --mount=type=cache,id=$C,target=plain true\n",
    # seen reading a runner's file into the image under buildah 1.28 (the check read id=x)
    "id-ending-in-an-env-variable": "FROM alpine\nENV C=/../../../../../../../../..\n"
    "RUN --mount=type=cache,id=x$C,target=/g true\n",
    "id-twice": "FROM alpine\nRUN --mount=type=cache,id=../../x,id=ok,target=/c true\n",
    "from-then-empty": "FROM alpine AS build\nFROM alpine\n"
    "RUN --mount=type=bind,from=build,from=,target=/x true\n",
    "type-in-capitals": "FROM alpine\nRUN --mount=type=Cache,id=../x,target=/c true\n",
    "type-twice": "FROM alpine\nRUN --mount=type=tmpfs,type=cache,id=../x,target=/c true\n",
    "continued": "FROM alpine\nRUN \\\n  --mount=type=cache,id=../x,target=/c \\\n  true\n",
    "heredoc": "FROM alpine\nRUN --mount=type=cache,id=../x,target=/c <<EOF\ntrue\nEOF\n",
    "quoted": 'FROM alpine\nRUN --mount="type=cache,id=../x,target=/c" true\n',
    "escape-directive": "# escape=`\nFROM alpine\nRUN `\n  --mount=type=cache,id=../x,target=/c true\n",
    "arg-default": "FROM alpine\nARG ID=../x\nRUN --mount=type=cache,id=${ID},target=/c true\n",
}
HELD = {
    "plain-cache-id": "FROM alpine\nRUN --mount=type=cache,id=pip,target=/root/.cache true\n",
    "context-bind": "FROM alpine\nRUN --mount=type=bind,source=/,target=/src true\n",
    "secret-and-ssh": "FROM alpine\nRUN --mount=type=secret,id=npmrc --mount=type=ssh true\n",
    "tmpfs": "FROM alpine\nRUN --mount=type=tmpfs,target=/t true\n",
}


@pytest.mark.parametrize("text", REFUSED.values(), ids=REFUSED.keys())
def test_attack_each_spelling_of_a_mount_resolved_on_the_machine_is_refused(text: str) -> None:
    assert mounts_through_the_machine(text), text


@pytest.mark.parametrize("text", HELD.values(), ids=HELD.keys())
def test_a_mount_that_reads_nothing_of_the_machine_passes(text: str) -> None:
    assert mounts_through_the_machine(text) == [], text
