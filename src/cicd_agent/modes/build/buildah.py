"""buildah, the builder where the job has no docker buildx: every process that opens a build's
storage runs under bubblewrap (:func:`own_processes`), and which steps came from the cache is
read from the image it wrote."""

from __future__ import annotations

import contextlib
import copy
import itertools
import os
import re
import shutil
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path

from cicd_agent.modes.build.builder import (
    LOGINS,
    PATH,
    BuildFailed,
    Built,
    Request,
    build_environment,
    private_home,
    run_tool,
)
from cicd_agent.modes.build.dockerfile import (
    DockerfileError,
    heredocs,
    mounts_through_the_machine,
    pair,
    parse,
    qualified,
    registry_images,
)
from cicd_agent.modes.build.images import LocalImage, for_reference, load
from cicd_agent.modes.build.machine import binds
from cicd_agent.modes.build.mirrors import SEARCH
from cicd_agent.modes.build.network import HOST, NONE, own_network
from cicd_agent.modes.build.oci import keep_only_referenced, read_layout, share_blobs
from cicd_agent.modes.build.store import Store, beside, by_trust
from cicd_agent.modes.build.tree import TreeError


def own_processes(
    writable: Path | None = None,
    read_only: Sequence[Path | None] = (),
    network: Sequence[str] = NONE,
    writes: Sequence[Path] = (),
) -> list[str]:
    """bubblewrap around buildah: of the machine only what :func:`.machine.binds` shows and the
    builders' home, read-only; ``writable`` (the build's storage, whose
    ``tmp`` folder is also its ``/var/tmp``) and ``writes`` (a layout skopeo writes); each of
    ``read_only`` read-only (the build's context copy, its Dockerfile, the storages it
    reads, a registry login to pull); and a PID namespace, a ``/dev/shm`` and a ``/tmp`` of the
    build's own; ``network``, bubblewrap's options for its network (:mod:`.network`: none but
    its own loopback unless said).

    Every process that opens a storage a ``RUN`` line wrote runs in here, skopeo and
    ``buildah from``/``rm`` too: a ``RUN`` line writes its storage, links and the overlay
    driver's ``link`` files included, and a reader outside followed them onto the machine (as
    root, ``buildah rm`` removed the folder a ``link`` file named).

    buildah's chroot isolation makes no PID namespace of a ``RUN`` line's own: the line sees
    buildah's process, and through ``/proc/<pid>/root`` every file buildah sees, so what
    buildah sees is all a ``RUN`` line could read. buildah 1.28
    follows a link in a bind mount's source on the host: a ``RUN`` line that wrote a link into
    the context (``RUN --mount=type=bind,rw``) made the next ``RUN`` mount any folder of the
    runner. With the context read-only no ``RUN`` line writes a link there, and with the rest
    read-only no link buildah follows lets a build write outside its storage, whatever the
    Dockerfile says. chroot isolation keeps ``CAP_KILL`` too, so without the PID namespace a
    ``RUN`` line could stop any process of the runner, cicd-agent too; and it mounts the
    machine's ``/dev/shm``, where a ``RUN`` line would leave files for every later job's
    build."""
    argv = ["bwrap", *binds(PATH), "--ro-bind", str(private_home()), str(private_home())]
    # a /dev of the plain devices: the machine's holds its disks (read whole by root), its
    # kernel log and loop devices; a rootless storage's fuse-overlayfs needs /dev/fuse
    argv += ["--dev", "/dev", "--dev-bind-try", "/dev/fuse", "/dev/fuse"]
    argv += ["--tmpfs", "/tmp"]  # noqa: S108 - a mount point
    if writable is not None:  # its temporary files too: buildah writes some in /var/tmp
        argv += ["--bind", str(writable), str(writable)]
        argv += ["--bind", str(writable / "tmp"), "/var/tmp"]  # noqa: S108 - a mount point
    for written in writes:
        argv += ["--bind", str(written), str(written)]
    for path in read_only:
        argv += ["--ro-bind", str(path), str(path)] if path is not None else []
    argv += ["--tmpfs", "/dev/shm", "--unshare-pid", "--proc", "/proc"]  # noqa: S108 - a mount point
    if Path(ALIASES).is_dir():  # where buildah run as root records a short name's registry
        argv += ["--tmpfs", ALIASES]
    argv += network
    if os.geteuid() == 0:
        argv += ["--cap-add", "ALL"]  # bwrap drops root's capabilities; buildah needs them
    return [*argv, "--die-with-parent", "--"]


NETWORK_RIGHTS = ("--cap-drop", "CAP_NET_ADMIN", "--cap-drop", "CAP_NET_RAW")
"""What a ``RUN`` line is not given: the two capabilities the build's bounding set lacks
(:data:`.network.WITHOUT`), which buildah would otherwise fail to set."""

ALIASES = "/var/cache/containers"
"""The machine's short-name alias cache: read-only, every ``FROM python:3.11`` failed ("open
short-name-aliases.conf.lock: read-only file system"); writable, one build would choose the
registry a later job's short name resolves to. Each run gets an empty one of its own."""

SERIAL = itertools.count(1)
"""Numbers the images and containers of this process (its builders' names never meet)."""
STEP = re.compile(r"^(?:\[\d+/\d+\] )?STEP \d+/\d+: ")


def shown(line: str) -> str | None:
    """Of buildah's output, the lines said as progress: its ``STEP`` lines (or a ``RUN`` line's
    output that looks like one; they only tell the reader where the build is)."""
    return line if STEP.match(line) else None


def from_the_cache(request: Request, text: str, began: datetime) -> frozenset[int]:
    """The built stage's steps (1-based, FROM being 1) buildah's layer cache gave: those whose
    history entry in the built image was written before this build began, by the earlier build
    that committed the image the step reused (each step of a ``--layers`` build writes one
    entry, ``created`` when its image is committed). Read from the layout skopeo wrote after
    the build, never from the build's output, where a ``RUN`` line's output comes on buildah's
    own stream and can print buildah's ``--> Using cache``. A layout or Dockerfile that cannot
    be read says nothing came from the cache (reading the layout afterwards reports it)."""
    try:
        stage = parse(text).stage(request.target)
        steps = read_layout(request.output).steps
    except (DockerfileError, TreeError):
        return frozenset()
    return frozenset(
        index + 1 for index, step in pair(stage, steps).items() if _before(step.created, began)
    )


def _before(created: str, moment: datetime) -> bool:
    """Whether the RFC 3339 time ``created`` is before ``moment`` (False when it is no time)."""
    try:
        made = datetime.fromisoformat(created)
    except ValueError:
        return False
    return made.tzinfo is not None and made < moment


class Buildah:
    """buildah from Debian's package, rootless-capable: ``--isolation chroot`` works inside a
    container, with the overlay storage driver where it builds there, else vfs. The base's
    build runs in the storage kept between runs, the head's in the run's own, which reads the
    kept one's images and layers, and each advice candidate's in one of its own reading both
    (:meth:`apart`, :mod:`.store`): the head's steps the base made come from the cache, and
    nothing a pull request's build writes is read by a later run. Each storage holds the cache
    mounts of its builds' ``RUN`` lines too (buildah keeps them under ``TMPDIR``, else the
    machine's ``/var/tmp``, where a pull request's build would fill a cache a later job's
    build reads).

    buildah 1.28 writes a ``RUN --mount=type=bind,rw`` of the context through to the folder
    it was given, so each build gets its own copy of the context, removed after it and
    read-only to buildah (:func:`own_processes`): a ``RUN`` line that writes in its context
    fails. The copy is in a new folder of the work folder, outside every storage, and only its
    own build's sandbox shows it: builds that run side by side (:meth:`apart`) see neither
    each other's context nor each other's storage, nor each other's processes. ``storage``
    names the storage driver every storage uses, and why when it is vfs."""

    name = "buildah"

    def __init__(
        self,
        work: Path,
        environ: Mapping[str, str],
        timeout: float,
        images: Mapping[str, LocalImage] | None = None,
        registries: str = SEARCH,
    ) -> None:
        env = build_environment(environ)
        self.kept, self.own, self.storage = by_trust(work, env, own_processes, registries)
        self.work = work
        self.timeout = timeout
        self.images = dict(images or {})
        """The local image each ``FROM`` name is given (``--image``), taken in place of a pull."""
        self.written: list[Path] = []
        """The layouts this builder wrote, oldest first: their layers are linked into the next
        one's folder before skopeo writes it (:func:`.oci.share_blobs`)."""

    def apart(self) -> Buildah:
        """This builder with a storage of its own (:func:`.store.beside`) in place of the run's,
        for builds run beside others: they read the run's storage and the kept one, and write
        only theirs. The layouts written stay shared (each only read after it is written)."""
        other = copy.copy(self)
        other.own = beside(self.own)
        return other

    def build(self, request: Request, say: Callable[[str], None]) -> Built:
        text = request.dockerfile.read_text(encoding="utf-8", errors="replace")
        folded = heredocs(text)
        if folded:
            raise BuildFailed(
                f"refused {folded[0][:200]}: buildah before 1.33 reads no heredoc and runs each "
                "line of its body as an instruction; write them as instructions, or build "
                "with docker buildx",
                [],
            )
        unsafe = mounts_through_the_machine(text, request.build_args)
        if unsafe:
            raise BuildFailed(
                f"refused {unsafe[0][:200]}: buildah before 1.35.1 follows links in it on the "
                "machine; give a cache mount an id= of one plain name and mount no stage's "
                "files (from=), or build with docker buildx",
                [],
            )
        where = self.kept if request.trusted else self.own
        serial = next(SERIAL)
        tag = f"localhost/cicd-agent-build:{os.getpid()}-{serial}"
        limit = request.timeout or self.timeout
        self.pull(where, registry_images(text, request.build_args), say, request.trusted)
        argv: list[str] = [
            "buildah",
            *where.options,
            "build",
            "--isolation",
            "chroot",
            "--layers",
            "--pull=missing",
            *NETWORK_RIGHTS,
            "-f",
            str(request.dockerfile),
            "-t",
            tag,
        ]
        if request.target:
            argv += ["--target", request.target]
        for name, value in request.build_args:
            argv += ["--build-arg", f"{name}={value}"]
        scratch = Path(tempfile.mkdtemp(prefix="context-", dir=self.work))
        try:
            shutil.copytree(request.context, scratch, symlinks=True, dirs_exist_ok=True)
        except OSError as exc:
            shutil.rmtree(scratch, ignore_errors=True)
            raise BuildFailed(f"the build's context could not be copied: {exc}", []) from exc
        argv.append(str(scratch))
        began = datetime.now(UTC)
        started = time.monotonic()
        seen = (scratch, request.dockerfile, *where.reads)
        unseen = {name: value for name, value in where.env.items() if name not in LOGINS}
        try:  # a network of its own (.network): the outside, never the machine's loopback
            with own_network(unseen, say, limit) as network:
                argv[:0] = [*network.enter, *own_processes(where.folder, seen, network.options)]
                status, tail = run_tool(argv, unseen, say, shown, limit, fds=network.fds)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
        if status != 0:
            raise BuildFailed(f"buildah build exited {status}", tail)
        shutil.rmtree(request.output, ignore_errors=True)
        share_blobs(self.written, request.output)
        sandbox = own_processes(where.folder, where.reads, NONE, (request.output,))
        status, tail = run_tool(
            [*sandbox, *layout_copy(where, tag, request.output)],
            where.env,
            say,
            lambda _: None,
            limit,
        )
        if status != 0:
            raise BuildFailed(f"skopeo copy exited {status}", tail)
        keep_only_referenced(request.output)
        self.written.append(request.output)
        cached = from_the_cache(request, text, began)
        return Built(request.output, cached, time.monotonic() - started, tag)

    def pull(
        self, where: Store, images: Sequence[str], say: Callable[[str], None], trusted: bool
    ) -> None:
        """The images a build takes from a registry, pulled into ``where`` before it runs. The
        registry login is seen only by the pull for the trusted base's build, where nothing of
        the pull request runs: an image only the pull request names (a new ``FROM``, an ``ARG``
        it sets) is pulled without it, so the login never fetches an image the pull request
        chose; one the base names is in the kept storage already, read without a pull. The
        build never sees the login (its ``RUN`` lines see every file buildah sees); an image
        named so that only the builder knows it (an ``ENV`` in its name) is pulled by the
        build, with no login."""
        env = where.env if trusted else {k: v for k, v in where.env.items() if k not in LOGINS}
        logins = [Path(env[name]) for name in LOGINS if env.get(name)]
        for image in images:
            local = for_reference(image, self.images)
            if local is not None:  # the workflow's file: no registry, no login
                say(f"taking {image} from {local.source}")
                sandbox = own_processes(where.folder, (*where.reads, local.layout))
                status, tail = run_tool(
                    [*sandbox, *load(where, local, image)],
                    where.env,
                    say,
                    lambda _: None,
                    self.timeout,
                )
                if status != 0:
                    raise BuildFailed(f"skopeo copy of {local.source} exited {status}", tail)
                continue
            say(f"pulling {image}")
            argv = ["buildah", *where.options, "pull", "--policy", "missing", "--quiet", image]
            # the trusted base's pulls run nothing of the pull request: the machine's network
            own = contextlib.nullcontext() if trusted else own_network(env, say, self.timeout)
            with own as network:
                enter, net = (network.enter, network.options) if network else ((), HOST)
                argv[:0] = [*enter, *own_processes(where.folder, (*where.reads, *logins), net)]
                status, tail = run_tool(
                    argv, env, say, lambda _: None, self.timeout, fds=network.fds if network else ()
                )
            if status != 0:
                raise BuildFailed(f"buildah pull of {qualified(image)} exited {status}", tail)

    def smoke(self, image: str, command: str, timeout: float) -> tuple[int, list[str]]:
        """``command`` run by ``/bin/sh -c`` in a container of ``image``, as a build's RUN line
        runs but with no network at all (bubblewrap's own empty one): its exit status and its
        last lines. Its environment is the image's own (buildah run passes nothing of its
        own process's, which is made from nothing anyway). Its container is in a storage of
        its own beside the builder's (:func:`.store.beside`), which it reads read-only: the
        command runs the image's programs, the pull request's, and advice takes its cached
        steps from the storage the head was built in, after the head's smoke command ran."""
        name = f"cicd-agent-smoke-{os.getpid()}-{next(SERIAL)}"
        own = beside(self.own)
        buildah = [*own_processes(own.folder, own.reads), "buildah", *own.options]
        status, tail = run_tool(
            [*buildah, "from", "--pull=never", "--name", name, image],
            own.env,
            lambda _: None,
            lambda _: None,
            self.timeout,
        )
        if status != 0:
            return status, tail
        try:
            argv = [
                *buildah,
                "run",
                "--isolation",
                "chroot",
                *NETWORK_RIGHTS,
                name,
                "--",
                "/bin/sh",
                "-c",
                command,
            ]
            return run_tool(argv, own.env, lambda _: None, lambda _: None, timeout)
        finally:
            run_tool([*buildah, "rm", name], own.env, lambda _: None, lambda _: None, self.timeout)
            shutil.rmtree(own.folder, ignore_errors=True)


def layout_copy(where: Store, tag: str, output: Path) -> list[str]:
    """skopeo writing the image ``tag`` of ``where`` as an OCI layout with uncompressed layers.
    Only this process reads the layout, straight after: ``buildah push`` to an ``oci:`` folder
    always compresses (gzip; its ``--disable-compression`` is ignored there), and compressing
    and then reading back decompressed cost minutes for an image of hundreds of megabytes. A
    layer's blob is then its tar, and its digest its diff ID."""
    return [
        "skopeo",
        "copy",
        "--quiet",
        "--dest-oci-accept-uncompressed-layers",
        where.image(tag),
        f"oci:{output}:latest",
    ]
