"""Build the base and the head (or read the base image given) and read both: the world part of
the build mode. Every build goes through one builder with one cache, the base first, so the
head's cached steps say what the change kept."""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from cicd_agent.actions.errors import CicdError, ExternalServiceError, UsageError
from cicd_agent.job.context import RunContext
from cicd_agent.job.events import Event
from cicd_agent.local.checkout import GitCheckout
from cicd_agent.local.processes import runs, stream
from cicd_agent.modes.build import images, oci, safety
from cicd_agent.modes.build.buildah import Buildah, own_processes
from cicd_agent.modes.build.builder import Builder, BuildFailed, Request, build_environment
from cicd_agent.modes.build.buildx import Buildx
from cicd_agent.modes.build.dockerfile import (
    DockerfileError,
    Instruction,
    machine_images,
    other_frontends,
    parse,
)
from cicd_agent.modes.build.layer_archive import Known, read_tree
from cicd_agent.modes.build.layers import Built
from cicd_agent.modes.build.mirrors import registries_conf
from cicd_agent.modes.build.options import BuildOptions
from cicd_agent.modes.build.tree import TreeError
from cicd_agent.modes.build.types import BuildFacts, Source


def work_folder(ctx: RunContext[BuildOptions]) -> Path:
    chosen = ctx.mode_options.cache_dir
    if chosen is None:
        temp = ctx.environ.get("RUNNER_TEMP") or tempfile.gettempdir()
        chosen = Path(temp) / f"cicd-agent-build-{os.getuid()}"
    elif ctx.checkout.holds(chosen):
        raise UsageError(
            f"--cache-dir {chosen} is in the checkout; the pull request would fill the storage "
            "the trusted base builds in (or link it elsewhere).",
            hint="Give a folder outside the checkout (in $RUNNER_TEMP), or none.",
        )
    chosen.mkdir(parents=True, exist_ok=True)
    return chosen


def make_builder(
    ctx: RunContext[BuildOptions], work: Path, local: Mapping[str, images.LocalImage]
) -> Builder:
    """The builder ``--builder`` names that runs here; with ``--image`` or ``mirror``, buildah
    (``auto`` takes it before docker buildx, which is not given either here)."""
    options = ctx.mode_options
    given = "--image" if local else "mirror" if options.mirrors else ""
    wanted = "buildah" if given and options.builder == "auto" else options.builder
    name = available(wanted, ctx.environ)
    timeout = ctx.options.deadline_minutes * 60
    if name == "docker" and given:
        raise UsageError(
            f"{given} is given to buildah's builds only; --builder docker does not take it.",
            hint=f"Use --builder buildah (or auto) with {given}.",
        )
    if name == "docker":
        return Buildx(ctx.environ, timeout)
    if name == "buildah":
        ctx.progress.stage("build: choosing buildah's storage driver")
        registries = registries_conf(options.mirrors)
        buildah = Buildah(work, ctx.environ, timeout, local, registries)
        ctx.progress.say(f"storage: {buildah.storage}")
        if buildah.storage != "overlay":
            ctx.note(f"buildah's storage: {buildah.storage}; each layer a build reads is copied.")
        return buildah
    wanted = {"docker": "docker buildx", "buildah": "buildah and skopeo"}.get(
        options.builder, "docker buildx, or buildah and skopeo"
    )
    raise UsageError(
        f"No builder: {wanted} does not run here.",
        hint="Install buildah (apt-get install buildah bubblewrap skopeo umoci slirp4netns "
        "nftables) or use docker/setup-buildx-action.",
    )


def source(
    ctx: RunContext[BuildOptions],
    rev: str,
    folder: Path,
    given: Mapping[str, images.LocalImage] | None = None,
) -> Source:
    """Commit ``rev``'s files exported to ``folder``, its Dockerfile parsed, links checked, a
    ``FROM`` pinned to another digest than the local image given for its name refused."""
    options = ctx.mode_options
    shutil.rmtree(folder, ignore_errors=True)
    left_out = ctx.checkout.export(rev, folder)
    context = safety.inside(folder, options.context, "context")
    dockerfile = safety.inside(folder, options.dockerfile, "dockerfile")
    if not context.is_dir() or context.is_symlink():
        raise UsageError(f"--context {options.context} is not a folder at {rev[:12]}.")
    if not dockerfile.is_file() or dockerfile.is_symlink():
        raise UsageError(
            f"--dockerfile {options.dockerfile} is not a file at {rev[:12]}.",
            hint="Name the Dockerfile relative to the checkout.",
        )
    out = safety.links_out(context, left_out, folder)
    if out:
        raise UsageError(
            f"The build context links out of the checkout ({out[0]}); the build "
            "mode does not build it.",
            hint="Remove the link or copy what it names.",
        )
    text = dockerfile.read_text(encoding="utf-8", errors="replace")
    try:
        parsed = parse(text)
        local = machine_images(text, options.build_args)
    except DockerfileError as exc:
        raise UsageError(f"{options.dockerfile} at {rev[:12]}: {exc}") from exc
    if local:
        raise UsageError(
            f"{options.dockerfile} at {rev[:12]} reads the image {local[0][:200]!r} from this "
            "machine, not a registry; the build mode does not build it.",
            hint="Name a registry image (FROM python:3.12) or an earlier stage.",
        )
    pinned = images.pin_mismatches(text, options.build_args, given or {})
    if pinned:
        raise UsageError(
            f"{options.dockerfile} at {rev[:12]} pins {pinned[0]}; the build would look for "
            "the pinned image in a registry.",
            hint="Give --image the image of that digest, or pin the digest it gives.",
        )
    frontends = other_frontends(text)
    if frontends:
        raise UsageError(
            f"{options.dockerfile} at {rev[:12]} names the frontend {frontends[0][:200]!r} in its "
            "syntax line: BuildKit would let it decide what is built and what the report reads.",
            hint="Use # syntax=docker/dockerfile:1 or no syntax line.",
        )
    return Source(folder, context, dockerfile, text, parsed)


def request(
    options: BuildOptions,
    src: Source,
    output: Path,
    trusted: bool = False,
    timeout: float | None = None,
) -> Request:
    """The builder's request for ``src``: the stage's name as BuildKit's progress names it
    (``AS`` name, else ``stage-N``; none for one stage)."""
    stages = src.parsed.stages
    name = options.target or (stages[-1] if stages else "")
    if name not in stages:
        raise UsageError(f"The Dockerfile has no stage {name!r}.", hint="Fix --target.")
    shown = "" if len(stages) == 1 else (name if not name.isdigit() else f"stage-{name}")
    return Request(
        src.context,
        src.dockerfile,
        output,
        options.target,
        options.build_args,
        stage_name=shown,
        trusted=trusted,
        timeout=timeout,
    )


def build(
    ctx: RunContext[BuildOptions],
    builder: Builder,
    src: Source,
    output: Path,
    what: str,
    *,
    trusted: bool = False,
    also: str = "",
    said_by: Callable[[str], None] | None = None,
    timeout: float | None = None,
) -> Built:
    """``src`` built into ``output``; ``trusted`` only for the trusted base commit (it runs in
    the storage kept between runs). A failure says the builder's last lines not already said
    as progress, and ``also`` (what else did not build) after its own sentence. ``said_by``
    says the progress of a build run beside others (each line marked as its own) in place of
    a stage of its own; ``timeout``: the seconds it may take, when fewer than the run's."""
    tell = said_by or ctx.progress.say
    if said_by is None:
        ctx.progress.stage(f"build: {what} ({builder.name})")
    else:
        said_by(f"build: {what} ({builder.name})")
    said: set[str] = set()

    def say(line: str) -> None:
        said.add(line)
        tell(line)

    try:
        done = builder.build(request(ctx.mode_options, src, output, trusted, timeout), say)
    except BuildFailed as exc:
        for line in exc.tail[-10:]:
            if line not in said:
                tell(line)
        either = f" ({also} did not build either)" if also else ""
        if exc.pulling:
            raise ExternalServiceError(
                f"The {what} did not build: the registry did not give its base image: {exc}"
                f"{either}",
                hint="Check the FROM line's image name and that the runner reaches its "
                "registry (docker.io for a short name); a runner that cannot reach it builds "
                'from an image file: --image NAME=PATH (docs/modes/build.md, "Building with '
                'no registry").',
            ) from exc
        raise CicdError(
            f"The {what} did not build: {exc}{either}", hint="The builder's last lines are above."
        ) from exc
    return read_built(output, src.parsed.stage(ctx.mode_options.target), done.cached, done.image)


READ: Known = {}
"""The layers this process read, so the run reads a layer its images share once
(:func:`.layer_archive.read_tree`)."""
READING = threading.Lock()
"""One image read at a time: builds run side by side share :data:`READ`."""


def read_built(
    layout: Path,
    instructions: Sequence[Instruction],
    cached: frozenset[int],
    name: str = "",
    *,
    given: str = "",
) -> Built:
    """The image of ``layout`` read; one that cannot be is an error naming ``--base-image``
    when it is the one ``given`` there (exit 2: the fix is the caller's)."""
    try:
        with READING:
            image = oci.read_layout(layout)
            tree = read_tree(image.layers, known=READ)
    except TreeError as exc:
        if given:
            raise UsageError(
                f"--base-image {given} cannot be read: {exc}", hint=BASE_IMAGE_HINT
            ) from exc
        raise CicdError(f"The built image cannot be read: {exc}") from exc
    return Built(tree, image.steps, tuple(instructions), cached, name)


BASE_IMAGE_HINT = (
    "Name an OCI folder, an OCI or docker-archive tar, a root file system tar or an image "
    "skopeo can copy."
)


def outside_checkout(checkout: GitCheckout, reference: str) -> None:
    """A ``--base-image`` folder or tar in the checkout (or a link on the way to it there) is
    refused: the pull request would choose the image its own is compared with, and every
    vulnerability it brings would read as the base's. An image reference is not a path."""
    given = Path(reference)
    if not (given.exists() or given.is_symlink()):
        return
    if images.through_checkout(checkout, given):
        raise UsageError(
            f"--base-image {reference} is in the checkout; the pull request would choose the "
            "image it is compared with.",
            hint="Give an OCI folder or tar outside the checkout (in $RUNNER_TEMP), or an "
            "image reference.",
        )


def base_image(ctx: RunContext[BuildOptions], reference: str, work: Path) -> Path:
    """The layout of ``--base-image``: an OCI folder as it is, a tar unpacked (an OCI or
    docker-archive tar, or a root file system wrapped as one layer), a registry reference
    copied by skopeo."""
    given = Path(reference)
    try:
        if (given / "index.json").is_file():  # another's layout: every blob checked
            oci.check_layers(oci.read_layout(given))
            return given
        if given.is_file():  # an OCI or docker-archive tar, or a root file system's
            env = build_environment(ctx.environ) if ctx is not None else {}
            return images.layout_of_file(given, work / "base-image", env)
    except TreeError as exc:
        raise UsageError(
            f"--base-image {reference} cannot be read: {exc}", hint=BASE_IMAGE_HINT
        ) from exc
    ctx.progress.stage(f"collect: copying {reference} with skopeo")
    target = work / "base-image"
    shutil.rmtree(target, ignore_errors=True)
    registries = work / "registries.conf"  # short names on Docker Hub, and the mirrors
    registries.write_text(registries_conf(ctx.mode_options.mirrors))
    status, tail = stream(
        ["skopeo", "copy", f"docker://{reference}", f"oci:{target}:latest"],
        env={**build_environment(ctx.environ), "CONTAINERS_REGISTRIES_CONF": str(registries)},
        on_line=lambda _: None,
        timeout=1800,
    )
    if status != 0:
        last = (tail or ["skopeo failed"])[-1]
        raise UsageError(
            f"--base-image {reference} cannot be read: {last}",
            hint=BASE_IMAGE_HINT,
        )
    return target


def commits(event: Event | None, head: str | None, base: str | None) -> tuple[str, str]:
    """The head and base to build, as given, else as the event says: a pull request's, or a
    merge queue's group (its commit, and ``base_sha``, which GitHub's webhook schema calls the
    group's parent commit: the target branch's, or with two pull requests queued the first's
    group, so the report shows what this group adds), or a push's ``after`` and ``before``
    (the commit the kept storage may be written by: a push of several commits has another
    parent, and a checkout left elsewhere another head). Without any, ``HEAD`` and "" (its
    parent)."""
    pull = event.pull_request if event is not None else None
    group = event.merge_group if event is not None else None
    push = event.push if event is not None else None
    if pull is not None:
        return head or pull.head.sha, base or pull.base.sha
    if group is not None:
        return head or group.head_sha, base or group.base_sha
    if push is not None and safety.vouched_base(event) and set(push.after) != {"0"}:
        return head or push.after, base or push.before
    return head or "HEAD", base or ""


def _base_source(
    ctx: RunContext[BuildOptions], sha: str, folder: Path, local: Mapping[str, images.LocalImage]
) -> tuple[Source | None, str]:
    """The base's files and Dockerfile (:func:`source`), or None and which build failed, said."""
    try:
        return source(ctx, sha, folder, local), ""
    except CicdError as exc:
        ctx.note(f"The base was not built ({exc.message}); the report has no comparison.")
        return None, f"the base at {sha[:12]}"


def collect(ctx: RunContext[BuildOptions]) -> BuildFacts:
    options = ctx.mode_options
    started = time.monotonic()
    event = ctx.event if ctx.has_event else None
    refused = safety.refusal(ctx.options.event_name, event)
    if refused:
        raise UsageError(refused)
    pull = event.pull_request if event is not None else None
    head_ref, base_ref = commits(event, options.head, options.base)
    head = ctx.checkout.resolve(head_ref, "head")
    base_ref = base_ref or f"{head}~1"
    work = work_folder(ctx)
    env = build_environment(ctx.environ)
    local = images.prepare(ctx.checkout, options.images, work, env) if options.images else {}
    builder = make_builder(ctx, work, local)
    ctx.tool(builder.name)
    base: Built | None = None
    failed = ""
    trusted = None
    longest = 0.0
    head_src = source(ctx, head, work / "head-src", local)
    vouched = safety.vouched_base(event)
    if vouched and ctx.checkout.has_commit(vouched):
        trusted = ctx.checkout.merge_base(vouched, head)
    base_sha = None
    if ctx.checkout.has_commit(base_ref):
        base_sha = (
            ctx.checkout.merge_base(base_ref, head) if pull else ctx.checkout.resolve(base_ref)
        )
    base_src = None
    if base_sha is not None and not options.base_image:
        base_src, failed = _base_source(ctx, base_sha, work / "base-src", local)
    base_text = base_src.text if base_src is not None else None
    images.check_used(local, (head_src.text, base_text or ""), options.build_args)
    if options.base_image:
        outside_checkout(ctx.checkout, options.base_image)
        layout = base_image(ctx, options.base_image, work)
        base = read_built(layout, [], frozenset(), given=options.base_image)
    elif base_src is not None and base_sha is not None:
        try:
            began = time.monotonic()
            base = build(
                ctx,
                builder,
                base_src,
                work / "base-image",
                f"base at {base_sha[:12]}",
                trusted=base_sha == trusted,
            )
            longest = time.monotonic() - began
        except CicdError as exc:
            failed = f"the base at {base_sha[:12]}"
            ctx.note(f"The base was not built ({exc.message}); the report has no comparison.")
    elif base_sha is None:
        ctx.note(
            f"The base {base_ref} is not in this checkout (a shallow clone?); the report "
            "has no comparison. Fetch it (fetch-depth: 0) or give --base-image."
        )
    began = time.monotonic()
    built = build(ctx, builder, head_src, work / "head-image", f"head at {head[:12]}", also=failed)
    longest = max(longest, time.monotonic() - began)
    return BuildFacts(
        built,
        base,
        work / "head-image",
        head_src,
        builder,
        work,
        trusted,
        base_text,
        head,
        started,
        longest,
        local,
    )


def available(name: str, environ: Mapping[str, str]) -> str:
    """``name`` (auto, docker or buildah) made a builder that works here, or why none does."""
    env = build_environment(environ)
    if name in ("auto", "docker") and runs(["docker", "buildx", "version"], env=env):
        return "docker"
    if (
        name in ("auto", "buildah")
        and runs([*own_processes(), "buildah", "--version"], env=env)
        and runs(["skopeo", "--version"], env=env)
    ):
        return "buildah"
    return ""
