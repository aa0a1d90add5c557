"""Attacks on the build mode from a pull request's Dockerfile, with real buildah builds: what a
``RUN`` line can leave behind on the host for cicd-agent or for a later job to trip over."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import threading
import uuid
from pathlib import Path

import pytest

from cicd_agent.modes.build.buildah import Buildah
from cicd_agent.modes.build.builder import BuildFailed, Request
from cicd_agent.modes.build.dockerfile import machine_images
from cicd_agent.modes.build.layer_archive import read_tree
from cicd_agent.modes.build.oci import read_layout
from tests.helpers.buildah import BUSYBOX, git, needs_buildah
from tests.helpers.cli import run_cli

pytestmark = needs_buildah


def context(folder: Path, dockerfile: str) -> Path:
    folder.mkdir(parents=True)
    assert BUSYBOX is not None
    shutil.copy(BUSYBOX, folder / "busybox")
    (folder / "Dockerfile").write_text(dockerfile)
    return folder


def test_attack_a_cache_mount_written_by_one_job_is_not_read_by_a_later_jobs_build(
    tmp_path: Path,
) -> None:
    """A pull request's ``RUN --mount=type=cache`` fills a cache a later build on the same
    runner reads (a pushed default branch's pip cache, say). Each run's builds keep their cache
    mounts in the run's own folder, never in the machine's shared temporary folder."""
    name = f"pip-{uuid.uuid4().hex}"
    poison = context(
        tmp_path / "pull-request",
        "FROM scratch\nCOPY busybox /bin/sh\n"
        f"RUN --mount=type=cache,target=/cache,id={name} echo poisoned > /cache/marker\n",
    )
    later = context(
        tmp_path / "pushed",
        "FROM scratch\nCOPY busybox /bin/sh\n"
        f"RUN --mount=type=cache,target=/cache,id={name} "
        "/bin/sh -c 'cat /cache/marker > /seen.txt 2>/dev/null; echo >> /seen.txt'\n",
    )
    for job, folder in (("first", poison), ("second", later)):
        builder = Buildah(tmp_path / f"{job}-job", {"PATH": "/usr/bin:/bin"}, 300)
        built = builder.build(
            Request(folder, folder / "Dockerfile", tmp_path / f"{job}-image"), lambda _: None
        )
    tree = read_tree(read_layout(built.layout).layers)
    assert "poisoned" not in tree.files["seen.txt"].read().decode()


def test_attack_a_run_cannot_plant_a_link_the_host_then_writes_through(tmp_path: Path) -> None:
    """buildah 1.28 writes a ``RUN --mount=type=bind,rw`` of the context through to the
    folder on the host; the advice step then copied that folder and wrote a file into the copy
    on the host. A link planted under that file's name made the host process write wherever it
    pointed. Each buildah build gets its own copy of the context, read-only to buildah, so no
    build writes where cicd-agent reads."""
    victim = tmp_path / "victim.txt"
    victim.write_text("the runner's own file\n")
    repo = context(
        tmp_path / "repo",
        "FROM scratch\nCOPY busybox /bin/sh\nCOPY busybox /bin/busybox\nCOPY . /app\n"
        "RUN /bin/busybox cp /app/requirements.txt /deps.txt\n",
    )
    (repo / "requirements.txt").write_text("flask==3.0\n")
    git(repo, "init", "-q")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "base")
    (repo / "Dockerfile").write_text(
        "FROM scratch\nCOPY busybox /bin/sh\nCOPY busybox /bin/busybox\n"
        "RUN --mount=type=bind,rw,target=/ctx /bin/busybox ln -sf "
        f"{victim} /ctx/cicd-agent-application-change.txt\n"
        "COPY . /app\nRUN /bin/busybox cp /app/requirements.txt /deps.txt\n"
    )
    git(repo, "commit", "-qam", "head: a RUN that plants a link in its context")
    cache = tmp_path / "cache"
    done = run_cli(
        [
            *("build", "--repo", str(repo), "--base", "HEAD~1", "--head", "HEAD"),
            *("--builder", "buildah", "--cache-dir", str(cache), "--json"),
        ],
        tmp_path,
        {"PATH": "/usr/local/bin:/usr/bin:/bin"},
    )
    # the context is read-only to buildah: the RUN that plants the link fails, so the head
    # does not build (exit 2); the advice step never sees a link
    assert done.code == 2 and "did not build" in done.stderr, done.stderr[-2000:]
    assert victim.read_text() == "the runner's own file\n"
    assert not (cache / "head-src" / "cicd-agent-application-change.txt").is_symlink()


def test_attack_a_run_line_cannot_signal_a_process_of_the_host(tmp_path: Path) -> None:
    """buildah's chroot isolation makes no PID namespace and keeps ``CAP_KILL``: a ``RUN``
    line saw every process of the runner and could stop or kill any (cicd-agent itself, so
    the job stalls past its deadline). The build runs in a PID namespace of its own."""
    number = 10_000 + uuid.uuid4().int % 10_000  # seconds: it outlives any build
    marker = f"{number}.25"  # the RUN's own command line spells it otherwise
    bystander = subprocess.Popen(["sleep", marker])
    try:
        folder = context(
            tmp_path / "pull-request",
            "FROM scratch\nCOPY busybox /bin/sh\nCOPY busybox /bin/busybox\n"
            f"RUN n={number}; for p in /proc/[0-9]*; do /bin/busybox grep -q "
            '"$n.25" $p/cmdline 2>/dev/null && /bin/busybox kill -9 ${p#/proc/}; done; '
            "/bin/busybox ls /proc > /seen.txt\n",
        )
        builder = Buildah(tmp_path / "job", {"PATH": "/usr/bin:/bin"}, 300)
        builder.build(Request(folder, folder / "Dockerfile", tmp_path / "image"), lambda _: None)
        assert bystander.poll() is None
    finally:
        bystander.kill()
        bystander.wait()


def test_attack_a_dockerfile_cannot_build_from_an_image_folder_of_the_runner(
    tmp_path: Path,
) -> None:
    """buildah reads ``FROM oci:/path`` (and ``dir:``, ``docker-archive:``,
    ``containers-storage:``, ``docker-daemon:``...) from the machine: a pull request's build
    took an image folder of the runner, or an image another job left in the engine, as its
    base. Through a build argument's default too."""
    layout = context(
        tmp_path / "runner-image", "FROM scratch\nCOPY busybox /bin/sh\nCOPY busybox /bin/busybox\n"
    )
    builder = Buildah(tmp_path / "earlier-job", {"PATH": "/usr/bin:/bin"}, 300)
    host = builder.build(
        Request(layout, layout / "Dockerfile", tmp_path / "runner-layout"), lambda _: None
    ).layout
    repo = context(tmp_path / "repo", "FROM scratch\nCOPY busybox /bin/sh\n")
    git(repo, "init", "-q")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "base")
    (repo / "Dockerfile").write_text(
        f"ARG BASE=oci:{host}:latest\nFROM $BASE\nRUN /bin/busybox ls /\n"
    )
    git(repo, "commit", "-qam", "head: built from a folder of the runner")
    done = run_cli(
        [
            *("build", "--repo", str(repo), "--base", "HEAD~1", "--head", "HEAD"),
            *("--builder", "buildah", "--cache-dir", str(tmp_path / "cache"), "--advice", "off"),
        ],
        tmp_path,
        {"PATH": "/usr/local/bin:/usr/bin:/bin"},
    )
    assert done.code == 2, done.stderr[-2000:]
    assert f"reads the image 'oci:{host}:latest' from this machine" in done.outputs["error"]


@pytest.mark.parametrize(
    ("text", "args"),
    [
        ("FROM dir:/var/lib/images/x\n", ()),
        ("FROM scratch\nCOPY --from=containers-storage:private /etc/key /k\n", ()),
        ("FROM scratch\nRUN --mount=type=bind,from=docker-daemon:app:1,target=/h ls\n", ()),
        ("ARG B\nFROM ${B:-docker-archive:/tmp/x.tar}\n", ()),
        ("ARG B=python:3.12\nFROM $B\n", (("B", "OCI:/srv/layout"),)),
    ],
)
def test_attack_each_spelling_of_a_machine_image_is_found(
    text: str, args: tuple[tuple[str, str], ...]
) -> None:
    assert machine_images(text, args)


def test_registry_images_and_stages_are_not_machine_images() -> None:
    text = (
        "ARG REGISTRY=localhost:5000\nFROM ${REGISTRY}/python:3.12 AS build\n"
        "FROM docker.io/library/busybox:1.36@sha256:" + "a" * 64 + "\n"
        "COPY --from=build /a /a\nRUN --mount=type=cache,target=/c ls\n"
    )
    assert machine_images(text) == []


def test_attack_a_run_line_leaves_nothing_in_the_runners_shared_memory(tmp_path: Path) -> None:
    """buildah's chroot isolation mounts the machine's own ``/dev/shm`` into a ``RUN``: a pull
    request's build wrote there, and every later job's build on the runner read it. Each build
    has a ``/dev/shm`` of its own."""
    name = f"cicd-agent-attack-{uuid.uuid4().hex}"
    folder = context(
        tmp_path / "pull-request",
        f"FROM scratch\nCOPY busybox /bin/sh\nRUN echo poisoned > /dev/shm/{name}\n",
    )
    builder = Buildah(tmp_path / "job", {"PATH": "/usr/bin:/bin"}, 300)
    try:
        builder.build(Request(folder, folder / "Dockerfile", tmp_path / "image"), lambda _: None)
        assert not (Path("/dev/shm") / name).exists()
    finally:
        (Path("/dev/shm") / name).unlink(missing_ok=True)


def test_attack_a_run_line_leaves_no_process_running_after_the_build(tmp_path: Path) -> None:
    """Under buildah's chroot isolation a ``RUN`` line's background process outlived the build
    and ran on in the runner through the job's later steps. In the build's own PID namespace
    it ends with the build."""
    seconds = 900 + uuid.uuid4().int % 900
    folder = context(
        tmp_path / "pull-request",
        "FROM scratch\nCOPY busybox /bin/sh\nCOPY busybox /bin/busybox\n"
        f"RUN /bin/busybox setsid /bin/busybox sleep {seconds} </dev/null >/dev/null 2>&1 &\n",
    )
    builder = Buildah(tmp_path / "job", {"PATH": "/usr/bin:/bin"}, 300)
    builder.build(Request(folder, folder / "Dockerfile", tmp_path / "image"), lambda _: None)
    left = []
    for process in Path("/proc").iterdir():
        try:
            line = (process / "cmdline").read_bytes()
        except OSError:
            continue
        if line == f"/bin/busybox\0sleep\0{seconds}\0".encode():
            left.append(int(process.name))
    for pid in left:
        os.kill(pid, signal.SIGKILL)
    assert not left


def test_attack_a_link_a_run_line_writes_in_the_context_is_no_bind_source_onto_the_host(
    tmp_path: Path,
) -> None:
    """The context is checked for links out before the build, but a ``RUN`` line can make one
    during it, in the copy buildah is given, and mount it in the next step."""
    host = tmp_path / "runner-files"
    host.mkdir()
    word = f"host-{uuid.uuid4().hex}"
    (host / "secret.txt").write_text(word)
    folder = context(
        tmp_path / "pull-request",
        "FROM scratch\nCOPY busybox /bin/sh\nCOPY busybox /bin/ln\nCOPY busybox /bin/cat\n"
        "RUN --mount=type=bind,rw,target=/c /bin/ln -s / /c/escape\n"
        "RUN --mount=type=bind,source=escape,target=/g "
        f"/bin/sh -c 'cat /g{host}/secret.txt > /seen.txt 2>&1; echo >> /seen.txt'\n",
    )
    builder = Buildah(tmp_path / "job", {"PATH": "/usr/bin:/bin"}, 300)
    try:
        built = builder.build(
            Request(folder, folder / "Dockerfile", tmp_path / "image"), lambda _: None
        )
    except BuildFailed:  # a build that refuses the mount is fine
        return
    tree = read_tree(read_layout(built.layout).layers)
    assert word not in tree.files["seen.txt"].read().decode()


def test_attack_a_link_a_run_line_writes_in_the_context_cannot_write_the_host(
    tmp_path: Path,
) -> None:
    host = tmp_path / "runner-files"
    host.mkdir()
    folder = context(
        tmp_path / "pull-request",
        "FROM scratch\nCOPY busybox /bin/sh\nCOPY busybox /bin/ln\n"
        "RUN --mount=type=bind,rw,target=/c /bin/ln -s / /c/escape\n"
        "RUN --mount=type=bind,rw,source=escape,target=/g "
        f"/bin/sh -c 'echo planted > /g{host}/written'\n",
    )
    builder = Buildah(tmp_path / "job", {"PATH": "/usr/bin:/bin"}, 300)
    with contextlib.suppress(BuildFailed):  # a build that refuses the mount is fine
        builder.build(Request(folder, folder / "Dockerfile", tmp_path / "image"), lambda _: None)
    assert not (host / "written").exists()


@pytest.mark.parametrize(
    "mount",
    [
        pytest.param("--mount=type=bind,from=links,source=/escape,target=/g", id="bind-from-stage"),
        pytest.param(
            "--mount=type=cache,id=../../../../../../../../..,target=/g", id="cache-id-up"
        ),
        pytest.param("--mount=type=cache,target=/x/escape", id="cache-through-a-link"),
    ],
)
def test_attack_a_mount_buildah_resolves_on_the_machine_reads_no_runner_file(
    tmp_path: Path, mount: str
) -> None:
    """buildah 1.28 resolves a mount's source in the machine's files and follows links there:
    a link to ``/`` in a stage's files (``from=``), a cache ``id`` climbing out of the cache
    folder, or a cache path through a link an earlier ``RUN`` left in the cache, each let a
    ``RUN`` line read any file of the runner. Refused before buildah runs."""
    host = tmp_path / "runner-files"
    host.mkdir()
    word = f"host-{uuid.uuid4().hex}"
    (host / "secret.txt").write_text(word)
    folder = context(
        tmp_path / "pull-request",
        "FROM scratch AS links\nCOPY busybox /bin/sh\nRUN /bin/sh -c 'ln -s / /escape'\n"
        "FROM scratch\nCOPY busybox /bin/sh\n"
        "RUN --mount=type=cache,id=x,target=/x /bin/sh -c 'ln -s / /x/escape'\n"
        f"RUN {mount} /bin/sh -c 'cat /g{host}/secret.txt /x/escape{host}/secret.txt > /seen.txt'\n",
    )
    builder = Buildah(tmp_path / "job", {"PATH": "/usr/bin:/bin"}, 300)
    with pytest.raises(BuildFailed, match="follows links"):
        builder.build(Request(folder, folder / "Dockerfile", tmp_path / "image"), lambda _: None)


def test_attack_a_run_line_cannot_write_the_registries_a_later_build_reads(tmp_path: Path) -> None:
    """The build writes its own ``registries.conf`` in its storage folder, beside the home
    buildah is given, whose ``.config/containers/registries.conf.d`` drop-ins buildah reads
    too: a cache mount naming a plain ``id`` and a ``src=`` climbing out of the cache folder
    (which the check of ``id`` and ``target`` does not read) would write a drop-in there, and
    a later build of the run (the base's, the advice's) resolve ``python:3.11`` on the pull
    request's registry. buildah takes ``src`` for nothing without ``from=``: the file stays
    in the cache folder, and the registries are ours."""
    climb = "../../home/.config/containers/registries.conf.d"
    folder = context(
        tmp_path / "pull-request",
        "FROM scratch\nCOPY busybox /bin/sh\n"
        f"RUN --mount=type=cache,id=plain,target=/c,src={climb} /bin/sh -c 'echo x > /c/evil.conf'\n",
    )
    builder = Buildah(tmp_path / "job", {"PATH": "/usr/bin:/bin"}, 300)
    builder.build(Request(folder, folder / "Dockerfile", tmp_path / "image"), lambda _: None)
    storage = builder.own.folder
    planted = [p.relative_to(storage).as_posix() for p in storage.rglob("evil.conf")]
    assert planted == ["tmp/buildah-cache/plain/evil.conf"], planted
    assert (storage / "registries.conf").read_text().startswith("unqualified-search-registries")


def test_attack_registries_planted_in_the_work_folders_home_are_not_read(tmp_path: Path) -> None:
    """The work folder is found by name (``cicd-agent-build-<uid>`` in the machine's temporary
    folder, kept between runs), and buildah read the per-user registry drop-ins of the home it
    was given there: a drop-in an earlier job or another user of the runner left aliased the
    short name a build's ``FROM`` gives to an image of their choosing. buildah's home is a
    fresh folder of the run's own, so only our registries file decides."""
    work = tmp_path / "cicd-agent-build-0"
    drop_ins = work / "home/.config/containers/registries.conf.d"
    drop_ins.mkdir(parents=True)
    (drop_ins / "planted.conf").write_text('[aliases]\n"cicd-agent-build" = "localhost/planted"\n')
    builder = Buildah(work, {"PATH": "/usr/bin:/bin", "HOME": str(work / "home")}, 300)
    for storage in (builder.kept, builder.own):  # the home every builder process gets
        home = Path(storage.env["HOME"])
        assert not home.is_relative_to(work) and not any(home.iterdir())
        assert home.stat().st_mode & 0o777 == 0o700
    images = {}
    for which in ("ours", "planted"):
        folder = context(tmp_path / which, f"FROM scratch\nLABEL which={which}\n")
        images[which] = builder.build(
            Request(folder, folder / "Dockerfile", tmp_path / f"{which}-image"), lambda _: None
        ).image
    ours_tag = images["ours"].rsplit(":", 1)[1]
    tagged = subprocess.run(
        ["buildah", *builder.own.options, "tag", images["planted"], f"localhost/planted:{ours_tag}"],
        env=builder.own.env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert tagged.returncode == 0, tagged.stderr
    folder = context(tmp_path / "later", f"FROM cicd-agent-build:{ours_tag}\nLABEL later=1\n")
    built = builder.build(Request(folder, folder / "Dockerfile", tmp_path / "later-image"),
                          lambda _: None)  # fmt: skip
    config = read_layout(built.layout).config.get("config")
    labels = config.get("Labels") if isinstance(config, dict) else None
    assert isinstance(labels, dict) and labels.get("which") == "ours", labels


def test_attack_a_pull_requests_build_plants_nothing_a_later_runs_base_build_takes(
    tmp_path: Path,
) -> None:
    """With ``cache-dir`` kept between runs, a pull request's build wrote the storage a later
    run's build of the trusted base reads without asking: a step's layer (buildah 1.28 takes a
    ``RUN --mount=type=bind`` step from its cache whatever the mounted files hold, so the pull
    request's answer became the later base's) and a cache mount's files. A pull request's
    builds run in a storage of the run's own; only the trusted base's build writes the kept
    one."""
    folder = context(
        tmp_path / "repo", "FROM scratch\nCOPY busybox /bin/sh\nCOPY busybox /bin/busybox\n"
    )
    (folder / "answer").write_text("the team's answer\n")
    git(folder, "init", "-q", "-b", "main")
    git(folder, "add", "-A")
    git(folder, "commit", "-qm", "main")
    name = f"pip-{uuid.uuid4().hex}"
    answer = "RUN --mount=type=bind,target=/ctx /bin/busybox cp /ctx/answer /answer.txt\n"
    main = (folder / "Dockerfile").read_text()
    (folder / "Dockerfile").write_text(
        f"{main}{answer}RUN --mount=type=cache,target=/c,id={name} /bin/sh -c 'echo planted > /c/marker'\n"
    )
    (folder / "answer").write_text("planted by a pull request\n")
    git(folder, "checkout", "-qb", "pull-request")
    git(folder, "commit", "-qam", "a pull request")
    git(folder, "checkout", "-q", "main")
    (folder / "Dockerfile").write_text(
        f"{main}{answer}RUN --mount=type=cache,target=/c,id={name} /bin/sh -c "
        "'/bin/busybox cat /c/marker > /seen.txt 2>&1; echo end >> /seen.txt'\n"
    )
    git(folder, "commit", "-qam", "the team's own change, later")
    cache = tmp_path / "cache"
    for base, head in (("main~1", "pull-request"), ("main", "main")):
        done = run_cli(
            [
                *("build", "--repo", str(folder), "--base", base, "--head", head),
                *("--builder", "buildah", "--cache-dir", str(cache), "--advice", "off", "--json"),
            ],
            tmp_path,
            {"PATH": "/usr/local/bin:/usr/bin:/bin"},
        )
        assert done.code == 0, done.stderr[-2000:]
    tree = read_tree(read_layout(cache / "base-image").layers)
    assert tree.files["answer.txt"].read() == b"the team's answer\n"
    assert "planted" not in tree.files["seen.txt"].read().decode()


SNOOP = (
    "FROM scratch\nCOPY busybox /bin/busybox\n"
    'RUN ["/bin/busybox", "sh", "-c", "'
    "for p in /proc/[0-9]*/root; do /bin/busybox cat $p{secret} 2>/dev/null && exit 41; done; "
    "/bin/busybox mkdir -p /m && /bin/busybox mount -t proc proc /m 2>/dev/null; "
    "for p in /m/[0-9]*/root; do /bin/busybox cat $p{secret} 2>/dev/null && exit 42; done; "
    'exit 0"]\n'
)


def test_attack_a_run_line_reads_no_file_of_the_machine_through_buildahs_process(
    tmp_path: Path,
) -> None:
    """buildah's chroot isolation gives a ``RUN`` line no PID namespace of its own: it sees
    buildah's process, and through ``/proc/<pid>/root`` (or a proc it mounts) every file
    buildah sees. A file of the machine outside the build's storage, context and system
    folders (the checkout's ``.git/config`` holds the job's token) is not among them. Before:
    the line read any file of the machine (exit 41)."""
    secret = tmp_path / "checkout" / ".git" / "config"
    secret.parent.mkdir(parents=True)
    secret.write_text("extraheader = AUTHORIZATION: basic c2VjcmV0\n")
    builder = Buildah(tmp_path / "job", {"PATH": "/usr/bin:/bin"}, 300)
    folder = context(tmp_path / "ctx", SNOOP.replace("{secret}", str(secret)))
    builder.build(Request(folder, folder / "Dockerfile", tmp_path / "out"), lambda _: None)


SETTINGS = (
    "FROM scratch\nCOPY busybox /bin/busybox\n"
    'RUN ["/bin/busybox", "sh", "-c", "'
    "for p in /proc/[0-9]*/root; do for f in shadow gshadow ssl/private ssh machine-id; do "
    "[ -e $p/etc/$f ] && echo seen $p/etc/$f && exit 43; done; "
    "for d in $p/dev/*; do [ -b $d ] && echo seen $d && exit 44; done; "
    "for f in kmsg mem kvm loop-control; do [ -e $p/dev/$f ] && echo seen $f && exit 44; done; "
    '[ -e $p/etc/passwd ] && found=1; done; [ -n \\"$found\\" ]"]\n'
)


def test_attack_a_run_line_sees_only_the_machine_files_a_build_needs(tmp_path: Path) -> None:
    """Through ``/proc/<pid>/root`` a ``RUN`` line sees every file buildah sees: the
    machine's ``/etc`` whole gave it ``/etc/shadow`` (read as root), the TLS private keys in
    ``/etc/ssl/private`` and the SSH host keys (before: exit 43); the machine's ``/dev`` whole
    gave it the kernel's log and, on a machine with its disk there, the disk itself (exit 44).
    buildah sees only the settings a build reads (its own, name resolution, users,
    certificates, the loader's) and a ``/dev`` of the plain devices; the line still finds
    ``/etc/passwd``, so the walk over ``/proc`` did reach buildah."""
    assert Path("/etc/shadow").exists() and Path("/dev/kmsg").exists()  # there to be seen
    builder = Buildah(tmp_path / "job", {"PATH": "/usr/bin:/bin"}, 300)
    folder = context(tmp_path / "ctx", SETTINGS)
    builder.build(Request(folder, folder / "Dockerfile", tmp_path / "out"), lambda _: None)


USR = (
    "FROM scratch\nCOPY busybox /bin/busybox\n"
    'RUN ["/bin/busybox", "sh", "-c", "'
    "for p in /proc/[0-9]*/root; do for f in usr/local usr/bin/git usr/bin/python3 usr/share/doc; "
    "do [ -e $p/$f ] && echo seen $p/$f && exit 47; done; "
    '[ -x $p/usr/bin/buildah ] && found=1; done; [ -n \\"$found\\" ]"]\n'
)


def test_attack_a_run_line_sees_none_of_the_machines_own_programs_and_settings(
    tmp_path: Path,
) -> None:
    """Through ``/proc/<pid>/root`` a ``RUN`` line saw the machine's ``/usr`` whole (and
    ``/bin``, ``/lib``, which lead there): ``/usr/local``, where a machine keeps its own tools
    and settings (an ``npmrc`` with a registry token), and every program and interpreter of the
    machine (before: exit 47). buildah sees only its programs, their libraries and the
    containers' settings; the line still finds buildah itself, so the walk did reach it."""
    assert Path("/usr/local").is_dir() and shutil.which("git", path="/usr/bin") is not None
    builder = Buildah(tmp_path / "job", {"PATH": "/usr/bin:/bin"}, 300)
    folder = context(tmp_path / "ctx", USR)
    builder.build(Request(folder, folder / "Dockerfile", tmp_path / "out"), lambda _: None)


def test_attack_a_link_a_run_line_plants_in_its_storage_is_not_followed_on_the_host(
    tmp_path: Path,
) -> None:
    """A ``RUN`` line writes its run's storage (through buildah's ``/proc/<pid>/root``): it
    turned a file of an earlier layer into a link to a file of the runner, and skopeo, which
    copied the image out of the storage as root outside the sandbox, opened that file (a FIFO
    here: the test sees the open; a FIFO or device of the machine stalls the run). skopeo now
    reads the storage in the build's sandbox, where no file of the runner is: the link leads
    nowhere and the image is not copied."""
    witness = tmp_path / "runner-fifo"
    os.mkfifo(witness)
    builder = Buildah(tmp_path / "job", {"PATH": "/usr/bin:/bin"}, 300)
    root = builder.own.folder / "root"
    folder = context(
        tmp_path / "ctx",
        "FROM scratch\nCOPY busybox /bin/busybox\nCOPY busybox /bin/other\n"
        'RUN ["/bin/busybox", "sh", "-c", "for p in /proc/[0-9]*/root; do '
        f"for f in $(/bin/busybox find $p{root} -path '*/bin/other' 2>/dev/null); do "
        f'/bin/busybox ln -sf {witness} $f; done; done"]\n',
    )
    opened = threading.Event()
    finished = threading.Event()

    def watch() -> None:  # a writer's open succeeds once a reader has the FIFO open
        while not finished.wait(0.02):
            with contextlib.suppress(OSError):
                os.close(os.open(witness, os.O_WRONLY | os.O_NONBLOCK))
                opened.set()
                return

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    try:
        with contextlib.suppress(BuildFailed):
            builder.build(Request(folder, folder / "Dockerfile", tmp_path / "out"), lambda _: None)
    finally:
        finished.set()
        watcher.join()
    assert not opened.is_set()


def test_attack_an_image_run_by_the_smoke_command_cannot_remove_a_runners_folder(
    tmp_path: Path,
) -> None:
    """The smoke command runs the pull request's image (its ``/bin/sh``), which can write the
    run's storage: it wrote into each layer's ``link`` file a path leading out of the storage,
    and ``buildah rm``, run as root outside the sandbox after the command, removed the folder
    that path named (the storage's overlay driver removes ``l/<link>``). Every buildah command
    that opens the storage now runs in the sandbox, where no folder of the runner is
    writable."""
    victim = tmp_path / "checkout"
    victim.mkdir()
    (victim / "app.py").write_text("the runner's own file\n")
    builder = Buildah(tmp_path / "job", {"PATH": "/usr/bin:/bin"}, 300)
    folder = context(tmp_path / "ctx", "FROM scratch\nCOPY busybox /bin/sh\n")
    built = builder.build(Request(folder, folder / "Dockerfile", tmp_path / "out"), lambda _: None)
    root = builder.own.folder / "root"
    out = os.path.relpath(victim, root / builder.own.driver / "l")
    command = (
        f"for f in /proc/[0-9]*/root{root}/{builder.own.driver}/*/link; do "
        f"[ -f $f ] && printf %s {out} > $f; done; true"
    )
    builder.smoke(built.image, command, 60)
    assert (victim / "app.py").read_text() == "the runner's own file\n"


def test_attack_a_run_line_cannot_read_the_registry_login(tmp_path: Path) -> None:
    """A registry login the workflow made (``REGISTRY_AUTH_FILE``, ``DOCKER_CONFIG``) was
    shown to buildah's build so that it could pull, and so through ``/proc/<pid>/root`` to
    every ``RUN`` line (before: exit 41). The base images are pulled before the build, by a
    buildah that runs nothing of the pull request; the build never sees the login."""
    login = tmp_path / "login" / "auth.json"
    login.parent.mkdir()
    login.write_text('{"auths": {"registry.example": {"auth": "c2VjcmV0"}}}\n')
    environ = {"PATH": "/usr/bin:/bin", "REGISTRY_AUTH_FILE": str(login)}
    builder = Buildah(tmp_path / "job", environ, 300)
    folder = context(tmp_path / "ctx", SNOOP.replace("{secret}", str(login)))
    builder.build(Request(folder, folder / "Dockerfile", tmp_path / "out"), lambda _: None)


def test_attack_a_layer_cannot_bury_a_file_under_its_own_whiteout(tmp_path: Path) -> None:
    """A ``RUN`` line that writes ``/!big`` and a file named ``/.wh.!big`` makes a layer tar
    holding the file and then its whiteout (``!`` sorts before ``.``): a runtime applying it
    removes the file, the tree reader keeps it, and its bytes would be wasted unseen. buildah
    applies the tar as it commits the step and refuses it, so no such image is read."""
    folder = context(
        tmp_path / "ctx",
        "FROM scratch\nCOPY busybox /bin/busybox\n"
        'RUN ["/bin/busybox", "sh", "-c", "/bin/busybox dd if=/dev/zero of=/!big bs=1k '
        'count=100 && /bin/busybox touch /.wh.!big"]\n',
    )
    builder = Buildah(tmp_path / "job", {"PATH": "/usr/bin:/bin"}, 300)
    with pytest.raises(BuildFailed, match="file exists"):
        builder.build(Request(folder, folder / "Dockerfile", tmp_path / "out"), lambda _: None)


def test_attack_a_run_line_opens_no_device_node_of_its_own(tmp_path: Path) -> None:
    """A ``RUN`` line runs as root with ``CAP_MKNOD`` where the job does: a device node it
    makes in its root file system, or one a base image's layer carries, opened the machine's
    device (``b 8 0`` is the whole first disk, the job's token in it). The node here is
    ``/dev/null``'s, which any machine lets open: before, reading it gave status 0 (exit 46).
    The storage mounts every root file system ``nodev`` (the storage's own folder is bound
    ``nodev`` already, as vfs's root file systems are)."""
    folder = context(
        tmp_path / "ctx",
        "FROM scratch\nCOPY busybox /bin/busybox\n"
        'RUN ["/bin/busybox", "sh", "-c", "/bin/busybox mknod /node c 1 3; '
        '/bin/busybox head -c 1 /node && exit 46; exit 0"]\n',
    )
    builder = Buildah(tmp_path / "job", {"PATH": "/usr/bin:/bin"}, 300)
    builder.build(Request(folder, folder / "Dockerfile", tmp_path / "out"), lambda _: None)
