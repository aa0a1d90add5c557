"""A pull request's Dockerfile naming its own BuildKit frontend (``# syntax=``): under docker
buildx BuildKit pulls that image and lets it decide what the Dockerfile means and which steps
its progress calls cached, the report this mode reads. Only BuildKit's own frontend is built."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from cicd_agent.modes.build.dockerfile import other_frontends
from tests.helpers.buildah import BUSYBOX, git, needs_buildah
from tests.helpers.cli import run_cli


@pytest.mark.parametrize(
    "text",
    [
        "# syntax=evil.example/frontend:1\nFROM scratch\n",
        "#syntax = ghcr.io/someone/dockerfile:latest\nFROM scratch\n",
        "# SYNTAX=docker/dockerfile-upstream:master\nFROM scratch\n",
        "\ufeff# syntax=example.com/docker/dockerfile:1\nFROM scratch\n",
        "# escape=`\n# syntax=evil/frontend\nFROM scratch\n",
        "# a comment\n\n# syntax=evil/frontend\nFROM scratch\n",
        "# syntax=docker/dockerfile:1 \r\n# syntax=evil/frontend\r\nFROM scratch\r\n",
        "// syntax=evil/frontend\nFROM scratch\n",
        "#!/usr/bin/env builder\n//syntax = evil/frontend\nFROM scratch\n",
        '{"syntax": "evil/frontend"}\n',
        '\ufeff {\n  "SYNTAX": "evil/frontend"\n}\n',
        '#!/usr/bin/env builder\n{"syntax": "evil/frontend"}\n',
    ],
)
def test_attack_each_spelling_of_another_frontend_is_found(text: str) -> None:
    assert other_frontends(text)


@pytest.mark.parametrize(
    "text",
    [
        "FROM scratch\n",
        "# syntax=docker/dockerfile:1\nFROM scratch\n",
        "# syntax=docker/dockerfile:1.7-labs\nFROM scratch\n",
        "#syntax=docker.io/docker/dockerfile@sha256:" + "0" * 64 + "\nFROM scratch\n",
        "FROM scratch\n# syntax=evil/frontend\n",
        "FROM scratch\n// syntax=evil/frontend\n",
        '{"syntax": "docker/dockerfile:1"}\n',
        '["FROM", "scratch"]\n',
    ],
)
def test_buildkits_own_frontend_and_a_comment_below_the_first_line_are_built(text: str) -> None:
    assert other_frontends(text) == []


@needs_buildah
def test_attack_a_pull_request_naming_its_own_frontend_is_refused_before_building(
    tmp_path: Path,
) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    assert BUSYBOX is not None
    shutil.copy(BUSYBOX, repo / "busybox")
    (repo / "Dockerfile").write_text("FROM scratch\nCOPY busybox /bin/sh\n")
    git(repo, "init", "-q")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "base")
    (repo / "Dockerfile").write_text(
        "# syntax=evil.example/frontend:1\nFROM scratch\nCOPY busybox /bin/sh\n"
    )
    git(repo, "commit", "-qam", "head: its own frontend")
    done = run_cli(
        [
            *("build", "--repo", str(repo), "--base", "HEAD~1", "--head", "HEAD"),
            *("--builder", "buildah", "--cache-dir", str(tmp_path / "cache"), "--advice", "off"),
        ],
        tmp_path,
        {"PATH": "/usr/local/bin:/usr/bin:/bin"},
    )
    assert done.code == 2, done.stderr[-2000:]
    assert "names the frontend 'evil.example/frontend:1'" in done.outputs["error"]
