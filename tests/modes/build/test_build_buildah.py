"""The build mode end to end with real buildah builds: a ``FROM scratch`` image with Debian's
static busybox copied in, base and head built with one cache, advice proven by building it."""

from __future__ import annotations

import json
import os
import re
import shutil
from dataclasses import replace
from pathlib import Path

from cicd_agent.job.options import Given
from cicd_agent.modes.build.collect import request
from cicd_agent.modes.build.dockerfile import parse
from cicd_agent.modes.build.layer_archive import read_tree
from cicd_agent.modes.build.mode import MODE
from cicd_agent.modes.build.oci import read_layout
from cicd_agent.modes.build.options import BuildOptions
from cicd_agent.modes.build.types import Source
from tests.helpers.buildah import BUSYBOX, git, needs_buildah
from tests.helpers.cli import CliRun, run_cli

pytestmark = needs_buildah

DOCKERFILE = """\
FROM scratch
COPY busybox /bin/sh
COPY busybox /bin/busybox
COPY . /app
RUN /bin/busybox cp /app/requirements.txt /deps.txt && env -u HOSTNAME > /build-env.txt
COPY busybox /tmp/big
RUN /bin/busybox rm /tmp/big
"""


def repository(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    repo.mkdir()
    assert BUSYBOX is not None
    shutil.copy(BUSYBOX, repo / "busybox")
    (repo / "requirements.txt").write_text("flask==3.0\n")
    (repo / "app.py").write_text("print(1)\n")
    (repo / ".github").mkdir()
    (repo / ".github" / "ci.yml").write_text("on: push\n")  # what a .dockerignore would leave out
    (repo / "Dockerfile").write_text(DOCKERFILE)
    git(repo, "init", "-q")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "base")
    (repo / "app.py").write_text("print(2)\n")
    git(repo, "commit", "-qam", "an application-only change")
    return repo


def build(repo: Path, cache: Path, *extra: str) -> CliRun:
    """The mode run in this process, on a runner's files, with secrets in its environment."""
    env = {
        "PATH": os.environ["PATH"],
        "GITHUB_TOKEN": "ghs_" + "s3cr3t" * 6,
        "DEPLOY_PASSWORD": "hunter2x",
    }
    return run_cli(
        [
            "build",
            "--repo",
            str(repo),
            "--base",
            "HEAD~1",
            "--head",
            "HEAD",
            "--builder",
            "buildah",
            "--cache-dir",
            str(cache),
            "--json",
            *extra,
        ],
        cache.parent,
        env,
    )


def test_base_and_head_built_advice_proven_and_no_secret_in_the_build(tmp_path: Path) -> None:
    smoke = "/bin/busybox cat /proc/net/dev && /bin/busybox env && /bin/busybox test -f /deps.txt"
    done = build(repository(tmp_path), tmp_path / "cache", "--smoke-command", smoke)
    assert done.code == 0, done.stderr[-2000:]
    report = json.loads(done.stdout)
    assert report["build_strategy"] == "cached"  # only the application's COPY rebuilt
    rows = {row["line"]: row for row in report["instructions"]}
    assert rows[3]["cached"] and not rows[4]["cached"]
    assert rows[4]["same_files"] is False and rows[2]["same_files"] is True
    assert rows[6]["wasted_bytes"] == Path(BUSYBOX or "").stat().st_size
    assert report["wasted_bytes"] == rows[6]["wasted_bytes"]
    assert report["image_size_delta"] == 0
    # every tool that ran is named among the tools (before: hadolint ran and was not)
    assert {"buildah", "hadolint"} <= {tool["tool"] for tool in report["tools"]}, report["tools"]
    advice = {item["rule"]: item for item in report["advice"]}
    assert advice["copy-then-delete"]["status"] == "verified"
    assert advice["copy-then-delete"]["size_after"] < advice["copy-then-delete"]["size_before"]
    assert advice["dependencies-before-copy"]["status"] == "verified"
    assert advice["dependencies-before-copy"]["cache_kept"] is True
    assert advice["dockerignore"]["status"] == "verified"
    assert advice["dockerignore"]["size_after"] < advice["dockerignore"]["size_before"]
    assert report["verified_advice"] == 3
    head_layers = read_layout(Path(report["image"])).layers
    base_layers = read_layout(tmp_path / "cache" / "base-image").layers
    # written uncompressed, and a layer the base's build made (cached) linked, not copied
    assert not [path for path in head_layers if path.read_bytes()[:2] == b"\x1f\x8b"]
    assert head_layers[0].stat().st_ino == base_layers[0].stat().st_ino
    tree = read_tree(head_layers)
    seen = (tree.files["build-env.txt"].read()).decode()
    assert "PATH=" in seen and "s3cr3t" not in seen and "hunter2x" not in seen
    shown = [line for line in done.stderr.splitlines() if not line.startswith("::add-mask::")]
    assert not [line for line in shown if "s3cr3t" in line or "hunter2x" in line]
    assert done.outputs["verified_advice"] == "3" and "Advice proven by building" in done.summary
    # the smoke command ran in the head's image (and in each advice's: all still verified),
    # with no network but loopback and nothing of the job's environment
    assert report["smoke"]["passed"] is True, report["smoke"]
    said = "\n".join(report["smoke"]["output"])
    interfaces = {line.split(":")[0].strip() for line in said.splitlines() if ":" in line
                  and line.split(":")[0].strip().isalnum() and "=" not in line}  # fmt: skip
    assert interfaces == {"lo"}, said
    assert "s3cr3t" not in said and "hunter2x" not in said and "GITHUB" not in said


def test_a_context_link_out_of_the_checkout_is_refused(tmp_path: Path) -> None:
    repo = repository(tmp_path)
    (repo / "secrets").symlink_to("/etc/passwd")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "a link out")
    done = build(repo, tmp_path / "cache", "--advice", "off")
    assert done.code == 2
    assert "links out of the checkout (secrets)" in done.stderr


APT_GET = """\
#!/bin/sh
# apt-get as these tests need it: update writes lists, install writes the package's file
if [ "$1" = update ]; then
    /bin/busybox mkdir -p /var/lib/apt/lists && /bin/busybox seq 20000 > /var/lib/apt/lists/index
else
    echo tool > /usr/bin/tool
fi
"""


def test_lists_fetched_on_a_run_of_their_own_are_cleaned_by_joining_it_proven_by_building(
    tmp_path: Path,
) -> None:
    """``RUN apt-get update`` on its own line, then ``RUN apt-get install``: cleaning the lists
    in the install's RUN saves no byte (they stay in the update's layer); the advice joins
    the two and cleans, and building it shows the image smaller with the same files."""
    repo = tmp_path / "repo"
    repo.mkdir()
    assert BUSYBOX is not None
    shutil.copy(BUSYBOX, repo / "busybox")
    (repo / "apt-get").write_text(APT_GET)
    (repo / "apt-get").chmod(0o755)
    (repo / "Dockerfile").write_text(
        "FROM scratch\nCOPY busybox /bin/sh\nCOPY busybox /bin/busybox\n"
        "COPY apt-get /usr/bin/apt-get\nRUN apt-get update\n"
        "RUN apt-get install --no-install-recommends -y tool\n"
    )
    git(repo, "init", "-q")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "one commit: base and head")
    done = build(repo, tmp_path / "cache", "--base", "HEAD")
    assert done.code == 0, done.stderr[-2000:]
    report = json.loads(done.stdout)
    (lists,) = [item for item in report["advice"] if item["rule"] == "apt-lists-cleaned"]
    assert lists["line"] == 5 and lists["status"] == "verified", lists
    assert lists["suggestion"] == (
        "RUN apt-get update \\\n    && apt-get install --no-install-recommends -y tool \\\n"
        "    && rm -rf /var/lib/apt/lists/*"
    )
    listed = len("".join(f"{n}\n" for n in range(1, 20001)))
    assert lists["size_before"] - lists["size_after"] >= listed
    assert lists["same_files"] is True


ADVISORIES = Path(__file__).parent / "advisories"


def test_a_new_vulnerability_is_tied_to_the_line_that_brought_it_and_gates(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    assert BUSYBOX is not None
    shutil.copy(BUSYBOX, repo / "busybox")
    dist = repo / "site" / "requests-2.30.0.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: requests\nVersion: 2.30.0\n")
    (repo / "Dockerfile").write_text(
        "FROM scratch\nCOPY busybox /bin/sh\nCOPY site /usr/lib/python3/site-packages\n"
    )
    git(repo, "init", "-q")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "base: requests 2.30.0")
    shutil.rmtree(dist)
    fixed = repo / "site" / "requests-2.31.0.dist-info"
    fixed.mkdir()
    (fixed / "METADATA").write_text("Metadata-Version: 2.1\nName: requests\nVersion: 2.31.0\n")
    npm = repo / "web" / "node_modules" / "ansi-html"
    npm.mkdir(parents=True)
    (npm / "package.json").write_text('{"name": "ansi-html", "version": "0.0.7"}')
    with (repo / "Dockerfile").open("a") as dockerfile:
        dockerfile.write("COPY web /srv/web\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "head: requests upgraded, ansi-html 0.0.7 added")

    done = build(
        repo,
        tmp_path / "cache",
        "--advice",
        "off",
        "--vuln-db",
        str(ADVISORIES),
        "--fail-on",
        "new-high",
    )
    assert done.code == 1, done.stderr[-2000:]  # fail-on new-high met
    report = json.loads(done.stdout)
    added = {p["purl"]: p["line"] for p in report["packages_added"] + report["packages_changed"]}
    assert added == {"pkg:npm/ansi-html@0.0.7": 4, "pkg:pypi/requests@2.31.0": 3}
    (new,) = report["new_vulnerabilities"]
    assert (new["id"], new["severity"], new["line"], new["fixed_version"]) == (
        "GHSA-whgm-jr23-g3j9",
        "high",
        4,
        "0.0.8",
    )
    assert {v["id"] for v in report["fixed_vulnerabilities"]} & {
        "GHSA-j8r2-6x86-q33q",
        "PYSEC-2023-74",
    }
    assert report["new_high_cves"] == 1 and report["fixed_cves"] >= 1
    assert "1 new vulnerabilities (0 critical)" in report["headline"]
    sbom = json.loads(Path(report["sbom_path"]).read_text())
    assert {c["purl"] for c in sbom["components"]} == {
        "pkg:npm/ansi-html@0.0.7",
        "pkg:pypi/requests@2.31.0",
    }


def test_a_failed_build_says_why_in_one_line_with_the_builders_last_lines(tmp_path: Path) -> None:
    repo = repository(tmp_path)
    (repo / "Dockerfile").write_text("FROM scratch\nCOPY busybox /bin/sh\nRUN exit 3\n")
    git(repo, "commit", "-qam", "a RUN that fails")
    done = build(repo, tmp_path / "cache", "--advice", "off")
    assert done.code == 2, done.stderr[-2000:]
    assert "The head at" in done.stderr and "did not build: buildah build exited" in done.stderr
    # each line is said once, not again among the builder's last lines ("STEP 1/10: FROM" was
    # said twice)
    head = re.split(r"\] build: head at ", done.stderr)[1]
    said = [re.sub(r"^build \[ *[\d.]+s\]", "", line) for line in head.splitlines()[1:]
            if line.startswith("build [")]  # fmt: skip
    steps = [line for line in said if line.lstrip().startswith("STEP ")]
    assert len(steps) == 3 and len(set(steps)) == 3, said
    assert done.outputs["build_strategy"] == MODE.fail_closed_outputs["build_strategy"] == "full"


def test_the_stage_is_named_as_each_builder_names_it(tmp_path: Path) -> None:
    text = "FROM scratch AS tools\nCOPY a /a\nFROM scratch\nCOPY --from=tools /a /a\n"
    source = Source(tmp_path, tmp_path, tmp_path / "Dockerfile", text, parse(text))
    options = BuildOptions.from_given(Given({}))
    chosen = request(options, source, tmp_path / "out")
    assert chosen.stage_name == "stage-1"
    tools = request(replace(options, target="tools"), source, tmp_path / "out")
    assert (tools.stage_name, tools.target) == ("tools", "tools")


def test_a_short_image_name_reaches_its_registry_and_a_registry_failure_is_exit_3(
    tmp_path: Path,
) -> None:
    """``FROM python:3.11-slim`` failed on the machine's read-only alias cache (exit 2, "open
    short-name-aliases.conf.lock: read-only file system"); now the short name goes to Docker
    Hub, and what the registry says (unreachable here, an unknown name where it is reached) is
    an outside service failing: exit 3 and one line naming the fix."""
    repo = repository(tmp_path)
    (repo / "Dockerfile").write_text("FROM cicd-agent-no-such-image-anywhere:1\nCOPY app.py /\n")
    git(repo, "commit", "-qam", "a short base image name")
    (repo / "app.py").write_text("print(3)\n")  # the base (HEAD~1) has that FROM line too
    git(repo, "commit", "-qam", "a change on top")
    done = build(repo, tmp_path / "cache", "--advice", "off")
    assert done.code == 3, done.stderr[-2000:]
    assert "read-only file system" not in done.stderr
    assert "docker.io/library/cicd-agent-no-such-image-anywhere:1" in done.stderr
    error = [line for line in done.stderr.splitlines() if "did not build" in line
             and "error" in line.lower()]  # fmt: skip
    assert len(error) == 1, done.stderr[-2000:]
    assert "the registry did not give its base image" in error[0]
    assert "Check the FROM line's image name" in error[0]
    # re-running does not help a runner that cannot reach the registry: the image file does
    assert "--image NAME=PATH" in error[0] and "Building with no registry" in error[0], error[0]
    assert "then re-run" not in error[0], error[0]
    # the base that failed first is named in the error too, not only in a note
    assert "(the base at " in error[0] and "did not build either)" in error[0], error[0]


def test_attack_a_cache_claim_the_context_hid_the_change_from_is_not_verified(
    tmp_path: Path,
) -> None:
    """A context whose ``.dockerignore`` lists what the image takes (``*`` then ``!`` names)
    leaves out the application change a rule about the cache is tested with: every step stays
    cached whatever the Dockerfile, and the advice read "verified ... and keeps the cache"
    though the build proved nothing about the cache. It is unchecked, and says why."""
    repo = repository(tmp_path)
    (repo / ".dockerignore").write_text("*\n!busybox\n!requirements.txt\n!app.py\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "a context that lists what it takes")
    done = build(repo, tmp_path / "cache")
    assert done.code == 0, done.stderr[-2000:]
    advice = {item["rule"]: item for item in json.loads(done.stdout)["advice"]}
    moved = advice["dependencies-before-copy"]
    assert moved["status"] == "unchecked", moved
    assert moved["cache_kept"] is None
    assert ".dockerignore" in moved["why"]
