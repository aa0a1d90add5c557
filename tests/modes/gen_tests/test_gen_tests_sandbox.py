"""The sandbox generated tests run in: no secrets, a clock, no network, nothing written outside.

Every run here is a real process. The confinement checks need bubblewrap (``bwrap``,
installed by ``tests/harness/setup.sh``); where it cannot run they are skipped with the reason
the probe gives — the unsandboxed path's own guarantees are tested separately.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from cicd_agent import sandbox
from cicd_agent.runners.pytest.runner import PytestSandbox as Sandbox
from cicd_agent.sandbox import Isolation, borrowable, scrub_environment
from tests.helpers.gen_tests import path_env
from tests.helpers.sandbox import needs_sandbox

GITHUB_TOKEN = "ghp_" + "k3Yq9T2mXw7Lr4Vb8Nc1Zp6Hs0Jd5Fa2Gt7E"
MODEL_KEY = "sk-proj-" + "Qm4Rt8Wz2Xc6Vb1Nl5Kj9Hg3Fd7Sa0Pe"
DB_PASSWORD = "Sup3r-S3cret-pw-2024"
PLANTED = {
    "GITHUB_TOKEN": GITHUB_TOKEN,
    "OPENAI_API_KEY": MODEL_KEY,
    "INPUT_OPENAI-API-KEY": MODEL_KEY,
    "ACTIONS_RUNTIME_TOKEN": "eyJhbGciOiJSUzI1NiJ9.eyJydW50aW1lIjoxfQ.c2lnbmF0dXJlLXZhbHVl",
    "ACTIONS_ID_TOKEN_REQUEST_TOKEN": "id-token-request-value-778899",
    "GITHUB_ENV": "/home/runner/work/_temp/_runner_file_commands/set_env_1",
    "SERVICE_PASSWORD": DB_PASSWORD,
    "DATABASE_URL": f"postgres://app:{DB_PASSWORD}@db.internal:5432/app",
    "DEPLOY_HOOK": "hook-value-31415926535",
    "COPY_OF_TOKEN_VALUE": GITHUB_TOKEN,
}
SECRET_VALUES = [
    GITHUB_TOKEN,
    MODEL_KEY,
    DB_PASSWORD,
    "id-token-request-value-778899",
    "hook-value-31415926535",
]


def _project(tmp_path: Path) -> Path:
    checkout = tmp_path / "checkout"
    (checkout / "pkg").mkdir(parents=True)
    (checkout / "pkg" / "__init__.py").write_text("VALUE = 1\n")
    (checkout / ".git").mkdir()
    (checkout / ".git" / "config").write_text(
        f"[http]\n\textraheader = AUTHORIZATION: basic {GITHUB_TOKEN}\n"
    )
    return checkout


def _env(**extra: str) -> dict[str, str]:
    return {
        "PATH": os.environ["PATH"],
        "HOME": str(Path.home()),
        "LANG": "C.UTF-8",
        **PLANTED,
        **extra,
    }


def test_scrubbed_environment_keeps_ordinary_variables_only() -> None:
    kept = scrub_environment(
        _env(FOO="bar", GITHUB_ACTIONS="true", CI="true"),
        known_secrets=[GITHUB_TOKEN],
        secret_names=["deploy_hook"],
    )
    assert set(kept) == {"PATH", "HOME", "LANG", "FOO", "GITHUB_ACTIONS", "CI"}
    assert not any(secret in value for value in kept.values() for secret in SECRET_VALUES)


def test_a_logs_env_keeps_no_loader_shell_or_interpreter_hook_nor_our_places() -> None:
    logged = {
        "LD_PRELOAD": "./lib.so", "LD_LIBRARY_PATH": ".", "GCONV_PATH": ".", "BASH_ENV": "x.sh",
        "PYTHONSTARTUP": "x.py", "PYTHONHOME": "/", "NODE_OPTIONS": "-r ./x.js", "PATH": "/tmp",
        "HOME": "/etc", "TMPDIR": "/tmp", "BASH_FUNC_ls%%": "() { :; }", "XDG_CONFIG_HOME": "/",
        "PYTHONPATH": "src:tests", "NOTE": "nightly-7", "CI": "true",
    }  # fmt: skip
    assert borrowable(logged) == {"PYTHONPATH": "src:tests", "NOTE": "nightly-7", "CI": "true"}
    assert borrowable({"PYTHONPATH": "src:/tmp"}) == {}
    assert borrowable({"PYTHONPATH": "../up"}) == {}


def _spy(code: str) -> list[str]:
    return [sys.executable, "-c", textwrap.dedent(code)]


def test_runs_see_no_secret_and_a_home_of_their_own(tmp_path: Path) -> None:
    with Sandbox(
        _project(tmp_path), _env(), known_secrets=SECRET_VALUES, secret_names=["DEPLOY_HOOK"]
    ) as box:
        space = box.workspace("spy")
        result = box.run(_spy("import os; print(sorted(os.environ.items()))"), space, timeout=30)
    assert result.ok, result.output
    assert not any(secret in result.output for secret in SECRET_VALUES)
    assert f"'HOME', '{space.home}'" in result.output
    assert f"'TMPDIR', '{space.tmp}'" in result.output


def test_timeout_kills_the_run(tmp_path: Path) -> None:
    with Sandbox(_project(tmp_path), _env()) as box:
        result = box.run(_spy("import time; time.sleep(60)"), box.workspace("slow"), timeout=1)
    assert result.timed_out
    assert "timed out" in result.describe()


def test_fallback_without_namespaces_still_scrubs_and_times_out(tmp_path: Path) -> None:
    forced = Isolation(False, detail="forced by the test")
    with Sandbox(_project(tmp_path), _env(), known_secrets=SECRET_VALUES, isolation=forced) as box:
        space = box.workspace("fallback")
        seen = box.run(_spy("import os; print(dict(os.environ))"), space, timeout=30)
        slow = box.run(_spy("import time; time.sleep(60)"), space, timeout=1)
    assert seen.ok and not any(secret in seen.output for secret in SECRET_VALUES)
    assert slow.timed_out
    assert forced.describe().startswith(
        "NO SANDBOX: bubblewrap cannot run here (forced by the test)"
    )


def test_checkout_is_never_written_and_the_copy_has_no_git(tmp_path: Path) -> None:
    checkout = _project(tmp_path)
    before = sorted(p.relative_to(checkout).as_posix() for p in checkout.rglob("*"))
    with Sandbox(checkout, _env()) as box:
        space = box.workspace("copy")
        result = box.run(
            _spy("import pkg, pathlib; pathlib.Path('made.txt').write_text('x'); print(pkg.VALUE)"),
            space,
            timeout=30,
        )
        assert result.ok, result.output
        assert (space.repo / "made.txt").exists()
        assert not (space.repo / ".git").exists()
    after = sorted(p.relative_to(checkout).as_posix() for p in checkout.rglob("*"))
    assert after == before  # no made.txt, no __pycache__


@needs_sandbox
def test_inside_namespaces_nothing_outside_its_folder_is_writable_or_reachable(
    tmp_path: Path,
) -> None:
    checkout = _project(tmp_path)
    outside = tmp_path / "outside.txt"
    spy = _spy(
        f"""
        import pathlib, socket
        for target in ({str(outside)!r}, {str(checkout / "planted.txt")!r}):
            try:
                pathlib.Path(target).write_text("x")
                print("WROTE", target)
            except OSError as exc:
                print("blocked", exc.errno)
        try:
            socket.create_connection(("192.0.2.1", 80), timeout=2)
            print("CONNECTED")
        except OSError:
            print("no network")
        print("git config:", repr(pathlib.Path({str(checkout / ".git" / "config")!r}).read_text()
              if pathlib.Path({str(checkout / ".git" / "config")!r}).exists() else "hidden"))
        """
    )
    with Sandbox(checkout, _env()) as box:
        result = box.run(spy, box.workspace("confined"), timeout=30)
    assert result.ok, result.output
    # The checkout is read-only; /tmp is a tmpfs of the run's own, so a write there stays there.
    assert f"WROTE {checkout / 'planted.txt'}" not in result.output
    assert "blocked 30" in result.output
    assert "no network" in result.output
    assert GITHUB_TOKEN not in result.output
    assert not outside.exists() and not (checkout / "planted.txt").exists()


@needs_sandbox
def test_inside_namespaces_no_other_process_environment_is_readable(tmp_path: Path) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c", "import time; print('ready', flush=True); time.sleep(60)"],
        env={**_env(), "HOLDER_SECRET": DB_PASSWORD},
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None and holder.stdout.readline().strip() == "ready"  # exec'd
    try:
        assert DB_PASSWORD in Path(f"/proc/{holder.pid}/environ").read_text(errors="replace")
        spy = _spy(
            """
            import glob, pathlib
            for path in glob.glob("/proc/[0-9]*/environ"):
                try:
                    print(path, pathlib.Path(path).read_bytes().decode(errors="replace"))
                except OSError as exc:
                    print(path, "unreadable", exc.errno)
            """
        )
        with Sandbox(_project(tmp_path), _env(), secret_names=["DEPLOY_HOOK"]) as box:
            result = box.run(spy, box.workspace("proc"), timeout=30)
    finally:
        holder.kill()
        holder.wait()
    assert result.ok, result.output
    assert result.output.count("/proc/") <= 3  # only the run's own processes
    assert "HOLDER_SECRET" not in result.output
    assert not any(secret in result.output for secret in SECRET_VALUES)


@pytest.mark.slow
@needs_sandbox
def test_a_daemon_a_test_starts_dies_with_the_run(tmp_path: Path) -> None:
    marker = f"cicd-agent-daemon-{uuid.uuid4().hex}"
    spy = _spy(
        f"""
        import pathlib, subprocess, sys, time
        daemon = "import pathlib, time; pathlib.Path('daemon-up').touch(); time.sleep(3600)"
        pathlib.Path("daemon-up").unlink(missing_ok=True)  # left by an earlier try's daemon
        subprocess.Popen([sys.executable, "-c", daemon, {marker!r}], start_new_session=True)
        while not pathlib.Path("daemon-up").exists():
            time.sleep(0.05)
        print("daemon up", flush=True)
        time.sleep(3600)
        """
    )
    with Sandbox(_project(tmp_path), _env()) as box:
        space = box.workspace("daemon")
        for timeout in (5, 40, 300):  # a loaded machine may start the two later than 5 s
            result = box.run(spy, space, timeout=timeout)
            if "daemon up" in result.output:
                break
        assert "daemon up" in result.output  # the daemon was running when the run was killed
    assert result.timed_out

    def alive() -> bool:
        for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
            try:
                if marker.encode() in cmdline.read_bytes():
                    return True
            except OSError:
                continue
        return False

    deadline = time.monotonic() + 10
    while alive() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not alive()


@pytest.fixture
def under_tmp() -> Iterator[Path]:
    """A folder under ``/tmp`` itself, wherever the run's own folders are (``/dev/shm``)."""
    folder = Path(tempfile.mkdtemp(prefix="cicd-agent-test-", dir="/tmp"))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@needs_sandbox
def test_a_tool_the_job_installed_under_tmp_is_found_inside_the_sandbox_read_only(
    under_tmp: Path,
) -> None:
    """``/tmp`` is emptied inside the sandbox; a virtualenv or ``node_modules`` the job put there
    (its PATH names it) is bound back read-only, libraries beside ``bin`` included, so the job's
    own linter runs and cannot be changed by what it runs over."""
    tools = under_tmp / "job-tools"
    (tools / "bin").mkdir(parents=True)
    (tools / "lib.txt").write_text("library beside bin\n")
    tool = tools / "bin" / "job-linter"
    tool.write_text(f"#!/bin/sh\ncat {tools}/lib.txt\n(echo x > {tools}/lib.txt) || echo ro\n")
    tool.chmod(0o755)
    env = _env(PATH=f"{tools / 'bin'}{os.pathsep}{os.environ['PATH']}")
    with Sandbox(_project(under_tmp), env) as box:
        result = box.run(["job-linter"], box.workspace("lint"), timeout=30)
    assert result.ok, result.output
    assert "library beside bin" in result.output and "ro" in result.output.split()
    assert (tools / "lib.txt").read_text() == "library beside bin\n"


_HOME_CREDENTIALS = {
    ".pgpass": "db.internal:5432:app:app:pgpass-secret-1",
    ".my.cnf": "[client]\npassword=mycnf-secret-2\n",
    ".vault-token": "hvs.vault-secret-3",
    ".terraform.d/credentials.tfrc.json": '{"credentials": {"app.terraform.io": {"token": "tf-4"}}}',
    ".m2/settings.xml": "<settings><password>m2-secret-5</password></settings>",
    ".config/pip/pip.conf": "[global]\nindex-url = https://u:pip-secret-6@pypi.internal/simple\n",
    ".pip/pip.conf": "[global]\nindex-url = https://u:pip-secret-7@pypi.internal/simple\n",
    ".gradle/gradle.properties": "mavenPassword=gradle-secret-8\n",
    ".cargo/credentials.toml": '[registry]\ntoken = "cargo-secret-9"\n',
}


@needs_sandbox
@pytest.mark.parametrize("kind", [sandbox.Sandbox, Sandbox], ids=["fix-step", "gen-tests"])
def test_credential_files_under_home_are_unreadable_and_the_workspace_inside_home_works(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kind: type[sandbox.Sandbox]
) -> None:
    """Attack: credential files no deny-list names, under the runner's HOME,
    read by a sandboxed run. HOME is hidden whole; the toolchain folders on our own PATH under
    HOME come back read-only, and so does the workspace, which on a runner sits inside HOME
    (``/home/runner/work/...``), as does the sandbox's own temporary folder here.

    The home is a folder of the real one: under ``/tmp`` (``tmp_path``) the emptied ``/tmp``
    would hide it whatever the sandbox did with HOME."""
    home = Path(tempfile.mkdtemp(prefix=".cicd-agent-test-home-", dir=Path.home()))
    assert not home.is_relative_to("/tmp"), "this test needs a home outside /tmp"
    try:
        _credentials_attack(home, monkeypatch, kind)
    finally:
        shutil.rmtree(home, ignore_errors=True)


def _credentials_attack(
    home: Path, monkeypatch: pytest.MonkeyPatch, kind: type[sandbox.Sandbox]
) -> None:
    for relative, text in _HOME_CREDENTIALS.items():
        (home / relative).parent.mkdir(parents=True, exist_ok=True)
        (home / relative).write_text(text)
    tool = home / ".toolchain" / "bin" / "job-tool"
    tool.parent.mkdir(parents=True)
    (home / ".toolchain" / "share.txt").write_text("toolchain data\n")
    tool.write_text(f"#!/bin/sh\ncat {home}/.toolchain/share.txt\n")
    tool.chmod(0o755)
    (home / ".cargo" / "bin").mkdir(parents=True)
    checkout = _project(home / "work" / "repo")
    (home / "work" / "_tmp").mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(home / "work" / "_tmp"))
    spy = _spy(
        f"""
        import os, pathlib, subprocess
        for relative in {sorted(_HOME_CREDENTIALS)!r}:
            try:
                print("READ", relative, pathlib.Path({str(home)!r}, relative).read_text())
            except OSError as exc:
                print("unreadable", relative, exc.errno)
        print("listing", sorted(os.listdir({str(home)!r})))
        print(subprocess.run(["job-tool"], capture_output=True, text=True).stdout.strip())
        import pkg
        pathlib.Path("written.txt").write_text("ok")
        print("pkg", pkg.VALUE, pathlib.Path("written.txt").read_text())
        """
    )
    env = _env(HOME=str(home), PATH=f"{tool.parent}:{home / '.cargo' / 'bin'}:{path_env()}")
    with kind(checkout, env) as box:
        assert box.root.is_relative_to(home)
        result = box.run(spy, box.workspace("home"), timeout=60)
    assert result.ok, result.output
    assert "READ" not in result.output
    for secret in ("secret", "tf-4"):
        assert secret not in result.output, result.output
    assert result.output.count("unreadable") == len(_HOME_CREDENTIALS)
    assert "toolchain data" in result.output and "pkg 1 ok" in result.output
