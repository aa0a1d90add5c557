"""The build mode's small pieces a whole build reaches only at its end: the advice's copy of the
context, the smoke command's absence and the two storages' settings (its report as deploy-gate
reads it: tests/wiring/test_build_report_contract.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from cicd_agent.modes.build.advice import _context_with
from cicd_agent.modes.build.dockerfile import qualified, registry_images
from cicd_agent.modes.build.options import BuildOptions
from cicd_agent.modes.build.smoke import smoke
from cicd_agent.modes.build.store import beside, store
from tests.helpers.cli import run_cli
from tests.helpers.context import run_context

HEAD = "a" * 40


def test_an_advice_file_replaces_a_link_the_context_held_never_writes_through_it(
    tmp_path: Path,
) -> None:
    """Advice writes its file (a ``.dockerignore``) into a copy of the context; a link of that
    name the pull request committed is replaced, so the host file it names stays as it was."""
    outside = tmp_path / "host.txt"
    outside.write_text("the host's\n")
    context = tmp_path / "context"
    context.mkdir()
    (context / ".dockerignore").symlink_to(outside)
    copy = _context_with(context, tmp_path / "copy", {".dockerignore": ".git\n"})
    assert outside.read_text() == "the host's\n"
    assert not (copy / ".dockerignore").is_symlink()
    assert (copy / ".dockerignore").read_text() == ".git\n"


def test_no_smoke_command_runs_nothing(tmp_path: Path) -> None:
    ctx, _ = run_context("build", [], {}, BuildOptions.from_given)
    with ctx.resources:
        assert smoke(ctx, builder=None, built=None, what="head's image") is None  # type: ignore[arg-type]


def test_the_runs_own_storage_reads_the_kept_one_and_keeps_its_own_settings(
    tmp_path: Path,
) -> None:
    """The run's own storage names the kept one as an image store it reads, in buildah's options
    and in skopeo's name for an image; the kept one names none. Each has its own temporary
    folder (where cache mounts live) and its own settings, whatever the job's environment says."""
    kept = store(tmp_path / "trusted", {"TMPDIR": "/tmp", "PATH": "/usr/bin"})
    own = store(tmp_path / "run-1", {"TMPDIR": "/tmp"}, reads=(kept.folder,))
    assert not any("imagestore" in option for option in kept.options)
    assert f"vfs.imagestore={kept.folder / 'root'}" in own.options
    assert own.image("head").endswith(f":vfs.imagestore={kept.folder / 'root'}]head")
    assert "imagestore" not in kept.image("base")
    for one in (kept, own):
        assert one.env["TMPDIR"] == str(one.folder / "tmp") and (one.folder / "tmp").is_dir()
        assert Path(one.env["CONTAINERS_REGISTRIES_CONF"]).read_text().startswith(
            'unqualified-search-registries = ["docker.io"]'
        )
        assert str(one.folder / "networks") in Path(one.env["CONTAINERS_CONF"]).read_text()
    assert kept.env["PATH"] == "/usr/bin"
    over = store(tmp_path / "run-2", {}, reads=(kept.folder,), driver="overlay")
    assert over.options[-8:] == [
        *("--storage-driver", "overlay", "--storage-opt", "overlay.skip_mount_home=true"),
        *("--storage-opt", "overlay.mountopt=nodev"),
        *("--storage-opt", f"overlay.imagestore={kept.folder / 'root'}"),
    ]
    assert over.image("head") == (
        f"containers-storage:[overlay@{over.folder / 'root'}+{over.folder / 'run'}:"
        "overlay.skip_mount_home=true,overlay.mountopt=nodev,"
        f"overlay.imagestore={kept.folder / 'root'}]head"
    )


def test_an_advice_candidates_storage_reads_the_runs_and_the_kept_one_and_is_its_own(
    tmp_path: Path,
) -> None:
    """A candidate's storage is a new folder beside the run's, with its own temporary folder
    (its cache mounts), reading the run's storage and the kept one: the head's steps and the
    base's come from the cache, and it writes neither; the run's storage, its overlay links
    forged, it does not read."""
    kept = store(tmp_path / "trusted", {})
    own = store(tmp_path / "run-1", {"TMPDIR": "/tmp"}, reads=(kept.folder,), driver="overlay")
    first, second = beside(own), beside(own)
    assert len({own.folder, first.folder, second.folder}) == 3
    assert first.folder.parent == tmp_path and first.driver == "overlay"
    assert first.reads == (own.folder, kept.folder)
    assert [option for option in first.options if "imagestore" in option] == [
        f"overlay.imagestore={own.folder / 'root'}",
        f"overlay.imagestore={kept.folder / 'root'}",
    ]
    assert first.env["TMPDIR"] == str(first.folder / "tmp") != own.env["TMPDIR"]
    links = own.folder / "root" / "overlay" / "l"
    links.mkdir(parents=True)
    (links / "ABC").symlink_to("../../../../elsewhere/diff")  # a link a RUN line wrote
    assert beside(own).reads == (kept.folder,)  # the run's storage is not read


def test_a_failed_builds_line_names_the_cause_once() -> None:
    """buildah 1.28's last lines of a failed ``RUN`` (as it printed them): the one-line error
    keeps the command's own complaint, not buildah's repeated exit line twice."""
    from cicd_agent.modes.build.builder import BuildFailed

    tail = ["STEP 5/5: RUN /bin/busybox cp /bin/busybox /tmp/x",
            "cp: can't create '/tmp/x': No such file or directory",
            "subprocess exited with status 1", "subprocess exited with status 1",
            'Error: building at STEP "RUN /bin/busybox cp /bin/busybox /tmp/x": exit status 1']  # fmt: skip
    said = str(BuildFailed("buildah build exited 1", tail))

    assert "cp: can't create '/tmp/x'" in said
    assert said.count("subprocess exited with status 1") == 1


def test_help_lists_only_the_options_the_build_mode_reads(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The build mode asks no model: ``--help`` offers none of the model's options but
    ``--provider``, taken and unused (a new user's wrapper passing ``--provider none`` to
    every mode works); a model flag is unknown; a mode that asks one offers them all."""
    model = ("--model", "--fast-model", "--base-url", "--context-tokens", "--model-timeout",
             "--model-prices")  # fmt: skip
    assert run_cli(["build", "--help"], tmp_path, on_runner=False).code == 0
    shown = capsys.readouterr().out
    assert "--cache-dir" in shown and "--deadline-minutes" in shown and "--fail-on" in shown
    assert [flag for flag in model if f"{flag} " in shown or f"{flag}\n" in shown] == []
    assert "--provider {openai,none}" in shown and "asks no model" in shown, shown
    refused = run_cli(["build", "--model", "gpt-5.4"], tmp_path, on_runner=False)
    assert refused.code == 2 and "Unrecognized arguments: --model" in refused.stderr
    offline = run_cli(["build", "--provider", "none", "--repo", str(tmp_path / "none")], tmp_path,
                      on_runner=False)  # fmt: skip
    assert "Unrecognized" not in offline.stderr and "--provider" not in offline.stderr, offline
    run_cli(["review", "--help"], tmp_path, on_runner=False)
    review = capsys.readouterr().out
    assert all(f"{flag} " in review for flag in ("--provider", *model))


def test_the_images_a_build_pulls_are_its_registry_images_with_arguments_put_in() -> None:
    text = (
        "ARG V=3.11\nFROM python:${V}-slim AS build\nRUN x\nFROM build\n"
        "COPY --from=build /a /b\nCOPY --from=alpine:3 /c /d\nCOPY --from=0 /e /f\n"
        "FROM scratch\nENV X=1\nFROM oci:/x\nFROM Build\nFROM img:$X\nFROM python:3.12-slim\n"
        "FROM team/app\nFROM ghcr.io/o/a:1\nFROM localhost/a\nFROM registry:5000/a\n"
    )
    images = registry_images(text, [("V", "3.12")])
    assert images == [
        "python:3.12-slim",
        "alpine:3",
        "team/app",
        "ghcr.io/o/a:1",
        "localhost/a",
        "registry:5000/a",
    ]
    assert [qualified(image) for image in images] == [
        "docker.io/library/python:3.12-slim",
        "docker.io/library/alpine:3",
        "docker.io/team/app",
        "ghcr.io/o/a:1",
        "localhost/a",
        "registry:5000/a",
    ]


def test_the_build_sandbox_shows_the_machines_programs_only_by_name() -> None:
    """The library folders come in whole, the top-level links as links, and of the programs
    only those the build starts: never ``/usr`` or ``/usr/local`` whole."""
    from cicd_agent.modes.build.builder import PATH
    from cicd_agent.modes.build.machine import binds

    argv = binds(PATH)
    shown = {argv[i + 1] for i, option in enumerate(argv) if option == "--ro-bind-try"}
    assert not {"/usr", "/usr/local", "/usr/bin", "/bin", "/lib"} & shown
    assert not any(path.startswith("/usr/local") for path in shown)
    assert "/etc/passwd" in shown and "/usr/share/containers" in shown
    for link in ("/bin", "/lib"):
        if Path(link).is_symlink():
            assert argv[argv.index(link) - 2] == "--symlink"


def test_one_file_left_out_is_said_in_the_singular() -> None:
    """A new user's advice read "only the 1 files the .dockerignore names are left out"."""
    from cicd_agent.modes.build.judge import _ignored

    assert _ignored(["notes.md"], ["*.md"]).why == (
        "only the file the .dockerignore names is left out; every other file is the same"
    )
    assert _ignored(["a.md", "b.md"], ["*.md"]).why.startswith("only the 2 files the ")


def test_a_vulnerability_gate_with_no_vulnerability_data_is_exit_2(tmp_path: Path) -> None:
    """A new user's build.yml: ``fail-on: new-critical`` with the default ``vuln-db: none``
    passed every image, ``new_critical_cves: 0`` reading as clean. Now it is exit 2 naming the
    setting, before any build; with data given the gate stands."""
    done = run_cli(["build", "--repo", str(tmp_path), "--fail-on", "new-critical"], tmp_path)
    assert done.code == 2, done.stdout
    said = done.stdout + str(done.outputs.get("error", ""))
    assert "needs vulnerability data" in said and "vuln-db: osv" in said, said
    for gate in ("new-critical", "new-high"):
        ctx, _ = run_context("build", ["--fail-on", gate, "--vuln-db", "osv"], {},
                             BuildOptions.from_given)  # fmt: skip
        assert ctx.mode_options.vuln_db == "osv"
