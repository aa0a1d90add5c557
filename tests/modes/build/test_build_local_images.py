"""``--image NAME=PATH``: every ``FROM NAME`` (each stage, base and head) built from a local image
with no registry, in each form a team has one: an OCI layout folder or tar, a docker-archive, a
root file system tar as mmdebstrap writes it. The name is at a registry that cannot exist
(``.invalid``), so a build that tried a registry fails (exit 3) instead of passing by luck."""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import shutil
import subprocess
import tarfile
from pathlib import Path

import pytest

from cicd_agent.modes.build.images import wrap
from cicd_agent.modes.build.layer_archive import read_tree
from cicd_agent.modes.build.oci import read_layout
from tests.helpers.buildah import BUSYBOX, git, needs_buildah
from tests.helpers.cli import CliRun, run_cli

pytestmark = needs_buildah

NAME = "registry.invalid/team/base:1"
DOCKERFILE = f"""\
FROM {NAME} AS tools
RUN /bin/busybox echo built > /built.txt
FROM {NAME}
COPY --from=tools /built.txt /built.txt
COPY app.py /app/app.py
"""


def rootfs(folder: Path, gzipped: bool = False) -> Path:
    """A root file system tar as mmdebstrap writes one: ``./`` names, busybox as the shell."""
    tree = folder / "rootfs"
    (tree / "bin").mkdir(parents=True, exist_ok=True)
    assert BUSYBOX is not None
    shutil.copy(BUSYBOX, tree / "bin" / "busybox")
    (tree / "bin" / "sh").unlink(missing_ok=True)
    (tree / "bin" / "sh").symlink_to("busybox")
    (tree / "etc").mkdir(exist_ok=True)
    (tree / "etc" / "os-release").write_text("ID=rootfs\n")
    tar = folder / ("rootfs.tar.gz" if gzipped else "rootfs.tar")
    with tarfile.open(tar, "w:gz" if gzipped else "w") as written:
        written.add(tree, arcname=".")
    return tar


def skopeo(source: str, target: str) -> None:
    subprocess.run(["skopeo", "copy", "--quiet", source, target], check=True, capture_output=True)


def image_as(form: str, folder: Path) -> Path:
    """The busybox image in ``form``: rootfs, rootfs-gz, oci (a layout folder), oci-archive,
    docker-archive."""
    folder.mkdir(parents=True, exist_ok=True)
    if form.startswith("rootfs"):
        return rootfs(folder, gzipped=form == "rootfs-gz")
    layout = wrap(rootfs(folder), folder / "layout")
    if form == "oci":
        return layout
    target = folder / f"{form}.tar"
    skopeo(f"oci:{layout}", f"{form}:{target}" + (":base:1" if form == "docker-archive" else ""))
    return target


def repository(tmp_path: Path, dockerfile: str = DOCKERFILE) -> Path:
    repo = tmp_path / "repo"
    repo.mkdir(parents=True)
    (repo / "app.py").write_text("print(1)\n")
    (repo / "Dockerfile").write_text(dockerfile)
    git(repo, "init", "-q")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "base")
    (repo / "app.py").write_text("print(2)\n")
    git(repo, "commit", "-qam", "an application-only change")
    return repo


def build(repo: Path, cache: Path, *extra: str) -> CliRun:
    env = {"PATH": os.environ["PATH"]}
    argv = ["build", "--repo", str(repo), "--base", "HEAD~1", "--head", "HEAD", "--builder",
            "buildah", "--cache-dir", str(cache), "--json", *extra]  # fmt: skip
    return run_cli(argv, cache.parent, env)


@pytest.mark.parametrize("form", ["rootfs", "oci", "docker-archive"])
def test_every_from_of_base_and_head_is_built_from_the_local_image(
    tmp_path: Path, form: str
) -> None:
    image = image_as(form, tmp_path / "image")
    done = build(repository(tmp_path), tmp_path / "cache", "--advice", "off",
                 "--image", f"{NAME}={image}")  # fmt: skip
    assert done.code == 0, done.stderr[-3000:]
    report = json.loads(done.stdout)
    rows = {row["line"]: row for row in report["instructions"]}
    assert rows[4]["same_files"] is True and rows[5]["same_files"] is False
    assert report["image_size_delta"] == 0
    assert f"taking {NAME} from {image}" in done.stderr
    assert "pulling" not in done.stderr
    assert "it was not used" not in done.stderr


@pytest.mark.parametrize("dockerfile", [DOCKERFILE, "FROM scratch\nCOPY app.py /app/app.py\n"])
def test_an_image_no_from_names_is_a_usage_error_before_any_build(
    tmp_path: Path, dockerfile: str
) -> None:
    """A typo in a name built from the registry instead, and failed there (exit 3, the
    registry's words): it is exit 2 before any build, naming the name and the FROMs."""
    image = image_as("rootfs", tmp_path / "image")
    done = build(repository(tmp_path, dockerfile), tmp_path / "cache", "--advice", "off",
                 "--image", f"registry.invalid/team/typo:1={image}")  # fmt: skip
    assert done.code == 2, done.stderr[-3000:]
    froms = NAME if dockerfile == DOCKERFILE else "none but scratch or a stage"
    said = (f"--image registry.invalid/team/typo:1: no FROM of the Dockerfile names it "
            f"(its FROMs: {froms})")  # fmt: skip
    assert said in done.stderr, done.stderr[-3000:]
    assert "STEP 1/" not in done.stderr and "pulling" not in done.stderr


def test_each_name_its_own_image_by_repeated_flags_or_the_workflows_input(tmp_path: Path) -> None:
    """Two names, an OCI tar for the first stage and a gzipped root file system for the last:
    given as two ``--image`` flags, then as the workflow gives them (``INPUT_IMAGE``, one a
    line)."""
    tools = "registry.invalid/team/tools:2"
    dockerfile = DOCKERFILE.replace(f"FROM {NAME} AS tools", f"FROM {tools} AS tools")
    repo = repository(tmp_path, dockerfile)
    given = [f"{tools}={image_as('oci-archive', tmp_path / 'tools')}",
             f"{NAME}={image_as('rootfs-gz', tmp_path / 'base')}"]  # fmt: skip
    done = build(repo, tmp_path / "cache", "--advice", "off",
                 "--image", given[0], "--image", given[1])  # fmt: skip
    assert done.code == 0, done.stderr[-3000:]
    assert f"taking {tools} from" in done.stderr and f"taking {NAME} from" in done.stderr
    env = {"PATH": os.environ["PATH"], "INPUT_IMAGE": "\n".join(given)}
    argv = ["build", "--repo", str(repo), "--base", "HEAD~1", "--builder", "buildah",
            "--cache-dir", str(tmp_path / "cache-input"), "--advice", "off"]  # fmt: skip
    done = run_cli(argv, tmp_path, env)
    assert done.code == 0, done.stderr[-3000:]


def test_a_wrapped_root_file_system_is_the_same_image_every_run(tmp_path: Path) -> None:
    """No time in the wrapping: the image's ID, and the kept cache of what is built on it,
    hold from one run to the next."""
    tar = rootfs(tmp_path)
    first = json.loads((wrap(tar, tmp_path / "one") / "index.json").read_text())
    second = json.loads((wrap(tar, tmp_path / "two") / "index.json").read_text())
    assert first == second


def test_attack_an_image_path_in_the_checkout_or_a_link_there_is_refused(tmp_path: Path) -> None:
    """The pull request fills the checkout: a link there to /etc/shadow, or an image of its
    choosing, named by a workflow's relative path, is never read."""
    repo = repository(tmp_path)
    (repo / "base.tar").symlink_to("/etc/shadow")
    outside = tmp_path / "named-by-the-workflow.tar"
    outside.symlink_to(repo / "base.tar")
    chosen = rootfs(repo)  # an image the pull request brings
    for named in (repo / "base.tar", outside, chosen):
        done = build(repo, tmp_path / "cache", "--image", f"{NAME}={named}")
        assert done.code == 2, done.stderr[-2000:]
        assert "is in the checkout" in done.stderr, done.stderr
        assert "Give an image outside the checkout" in done.stderr
        assert "root:" not in done.stderr + done.stdout


def test_attack_a_settings_file_cannot_name_an_image(tmp_path: Path) -> None:
    """Only the workflow names a path the runner reads: the repository's settings file (the
    base's, which a merged pull request wrote) may not."""
    repo = repository(tmp_path)
    (repo / ".github").mkdir()
    (repo / ".github" / "cicd-agent.yml").write_text(f"build:\n  image: {NAME}=/etc/shadow\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "a settings file naming an image")
    git(repo, "commit", "-q", "--allow-empty", "-m", "head")
    done = build(repo, tmp_path / "cache")
    assert done.code == 2
    assert "unknown setting build.image" in done.stderr


@pytest.mark.parametrize(
    ("given", "said"),
    [
        ("no-path-here", "is not NAME=PATH"),
        ("oci:/etc=/tmp/x", "is not NAME=PATH"),
        (f"{NAME}=/nonexistent/base.tar", "cannot be read"),
        (f"{NAME}=/etc/hostname", "cannot be read: it is not a tar"),
    ],
)
def test_a_bad_mapping_is_one_line_naming_the_fix(tmp_path: Path, given: str, said: str) -> None:
    done = build(repository(tmp_path), tmp_path / "cache", "--image", given)
    assert done.code == 2, done.stderr[-2000:]
    errors = [line for line in done.stderr.splitlines() if line.startswith("::error")]
    assert len(errors) == 1 and said in errors[0], done.stderr[-2000:]
    assert "--image NAME=PATH" in done.stderr


def test_a_pin_to_another_digest_than_the_local_image_is_refused(tmp_path: Path) -> None:
    pinned = DOCKERFILE.replace(f"FROM {NAME}\n", f"FROM {NAME}@sha256:{'0' * 64}\n")
    image = image_as("oci", tmp_path / "image")
    done = build(repository(tmp_path, pinned), tmp_path / "cache", "--image", f"{NAME}={image}")
    assert done.code == 2, done.stderr[-2000:]
    assert f"pins {NAME}@sha256:{'0' * 64} (--image gives sha256:" in done.stderr


def test_a_gzip_root_file_system_keeps_its_bytes_as_the_layer(tmp_path: Path) -> None:
    tar = rootfs(tmp_path, gzipped=True)
    blobs = wrap(tar, tmp_path / "layout") / "blobs" / "sha256"
    index = json.loads((blobs.parent.parent / "index.json").read_text())
    manifest = json.loads((blobs / index["manifests"][0]["digest"][7:]).read_text())
    assert manifest["layers"][0]["mediaType"].endswith("+gzip")
    packed_digest = hashlib.sha256(tar.read_bytes()).hexdigest()
    assert manifest["layers"][0]["digest"] == f"sha256:{packed_digest}"
    config = json.loads((blobs / manifest["config"]["digest"][7:]).read_text())
    with gzip.open(tar) as unpacked:
        unpacked_digest = hashlib.sha256(unpacked.read()).hexdigest()
    assert config["rootfs"]["diff_ids"] == [f"sha256:{unpacked_digest}"]


def test_the_digest_pin_of_a_local_image_names_its_digest_and_is_built(tmp_path: Path) -> None:
    """``base-pinned-by-digest`` was never built ("the registry gives the digest"): for a local
    image the digest is known, and the pinned Dockerfile builds the same files from it."""
    dockerfile = f"FROM {NAME}\nCOPY app.py /app/app.py\n"
    tar = rootfs(tmp_path / "image")
    digest = json.loads((wrap(tar, tmp_path / "layout") / "index.json").read_text())
    digest = digest["manifests"][0]["digest"]
    done = build(repository(tmp_path, dockerfile), tmp_path / "cache", "--image", f"{NAME}={tar}")
    assert done.code == 0, done.stderr[-3000:]
    advice = {item["rule"]: item for item in json.loads(done.stdout)["advice"]}
    pin = advice["base-pinned-by-digest"]
    assert pin["suggestion"] == f"FROM {NAME}@{digest}", pin
    assert pin["status"] == "verified", pin
    assert pin["same_files"] is True and pin["size_after"] == pin["size_before"]
    # a new user pasted the pin of a root file system they had packed themselves: the
    # registry's image of that name has another digest, and every build pulling it would break
    assert pin["why"].endswith(
        "this is the digest of the image --image gave, not of the registry's image of that "
        "name: pin it only where the build uses that very image, else the digest the registry "
        "gives"), pin["why"]  # fmt: skip


def test_attack_a_fifo_or_a_folder_of_no_image_named_as_the_image_stalls_nothing(
    tmp_path: Path,
) -> None:
    """A FIFO's open waits for a writer that never comes: it is refused unread, exit 2."""
    fifo = tmp_path / "image.tar"
    os.mkfifo(fifo)
    (tmp_path / "folder").mkdir()
    for named in (fifo, tmp_path / "folder"):
        done = build(repository(tmp_path / f"for-{named.name}"), tmp_path / "cache",
                     "--image", f"{NAME}={named}")  # fmt: skip
        assert done.code == 2, done.stderr[-2000:]
        assert f"--image {NAME}={named} cannot be read" in done.stderr


def test_a_base_image_may_be_a_root_file_system_or_a_docker_archive(tmp_path: Path) -> None:
    """``--base-image rootfs.tar`` was refused as "not an OCI image layout"."""
    from cicd_agent.modes.build.collect import base_image

    for form in ("rootfs", "docker-archive"):
        image = image_as(form, tmp_path / form)
        layout = base_image(None, str(image), tmp_path / f"work-{form}")  # type: ignore[arg-type]
        tree = read_tree(read_layout(layout).layers)
        assert tree.read("etc/os-release") == b"ID=rootfs\n", form


def test_attack_a_base_image_reached_through_a_link_in_the_checkout_is_refused(
    tmp_path: Path,
) -> None:
    """A link the workflow names, to a link in the checkout, to a layout outside: where the
    chain ends is outside, but the pull request chose it. Before: the layout was read."""
    repo = repository(tmp_path)
    (repo / "hop").symlink_to(image_as("oci", tmp_path / "elsewhere"))
    named = tmp_path / "named"
    named.symlink_to(repo / "hop")
    done = build(repo, tmp_path / "cache", "--advice", "off", "--base-image", str(named))
    assert done.code == 2, done.stderr[-2000:]
    assert f"--base-image {named} is in the checkout" in done.stderr
