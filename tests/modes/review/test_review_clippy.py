"""review runs clippy where the Rust toolchain is on the runner: rustup keeps its
toolchains in the home folder the sandbox hides, so they come back read-only
(``RUSTUP_HOME``); the pull request's build script and cargo configuration run, as clippy
runs them, only inside the sandbox.

Real cargo and clippy from rustup; skipped where they are not installed.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from cicd_agent.modes.review.lint import linters
from cicd_agent.modes.review.lint.lint_reports import LintHit, UnreadableReport, read_report
from tests.git_builder import GitRepoBuilder
from tests.helpers.cli import CliRun, run_cli
from tests.helpers.gen_tests import path_env
from tests.helpers.sandbox import needs_sandbox

CARGO = '[package]\nname = "app"\nversion = "0.1.0"\nedition = "2021"\n'
LIB = "pub fn one() -> i32 {\n    1\n}\n"
CHANGED = "pub fn one() -> i32 {\n    1\n}\n\npub fn two(x: i32) -> i32 {\n    return x + 1;\n}\n"


def _rust() -> tuple[str, str]:
    """(PATH with rustup's proxies, RUSTUP_HOME), or a skip where clippy is not installed."""
    cargo = shutil.which("cargo-clippy") or shutil.which(
        "cargo-clippy", path=str(Path.home() / ".cargo" / "bin")
    )
    rustup = Path(os.environ.get("RUSTUP_HOME") or Path.home() / ".rustup")
    if cargo is None or not rustup.is_dir():
        pytest.skip("rustup's cargo and clippy are not installed here")
    return os.pathsep.join([str(Path(cargo).parent), path_env()]), str(rustup)


def _review(
    tmp_path: Path,
    files: dict[str, str],
    changed: dict[str, str],
    run: str = "",
    checkout: dict[str, str] | None = None,
    env: dict[str, str] | None = None,
) -> CliRun:
    """Review the change ``files`` → ``changed`` (``run``: a file made executable;
    ``checkout``: files whose text in the checkout then differs from the reviewed head's)."""
    path, rustup = _rust()
    repo = GitRepoBuilder(tmp_path / "repo")
    base = repo.commit("start", files)
    repo.write(dict(changed))
    if run:
        (repo.path / run).chmod(0o755)
    head = repo.commit("Add two")
    repo.write(dict(checkout or {}))
    argv = ["review", "--provider", "none", "--report-on", "low", "--json",
            "--repo", str(repo.path), "--base", base, "--head", head]  # fmt: skip
    home = tmp_path / "home"
    environ = {"PATH": path, "HOME": str(home), "RUSTUP_HOME": rustup, **(env or {})}
    return run_cli(argv, tmp_path, environ)


def _rules(done: CliRun) -> list[tuple[str, str, int]]:
    return [(f["rule"], f["path"], f["line"]) for f in (done.document or {})["findings"]]


@needs_sandbox
def test_clippy_reports_the_changed_lines_with_the_runners_toolchain(tmp_path: Path) -> None:
    done = _review(tmp_path, {"Cargo.toml": CARGO, "src/lib.rs": LIB}, {"src/lib.rs": CHANGED})

    assert done.document is not None, done.stderr
    assert done.document["tools"] == [{"tool": "clippy", "could_not_run": ""}], done.stdout
    assert _rules(done) == [("clippy/needless_return", "src/lib.rs", 6)]


BUILD_RS = """\
fn main() {
    let home = std::env::var("RUSTUP_HOME").unwrap_or_default();
    let toolchain = std::fs::write(format!("{home}/planted-by-build-rs"), "x").is_ok();
    let host = std::fs::write("HOST_FILE", "x").is_ok();
    println!("cargo:warning=toolchain written: {toolchain}, host written: {host}");
}
"""
WRAPPER = '#!/bin/sh\necho x > "HOST_FILE.wrapper"\nexec "$@"\n'


@needs_sandbox
def test_a_pull_requests_build_script_and_cargo_config_run_only_in_the_sandbox(
    tmp_path: Path,
) -> None:
    """Attack: the pull request's ``build.rs`` writes into the toolchain clippy is lent and to
    a host path; its ``.cargo/config.toml`` names a rustc wrapper that writes to the host.
    Both run (clippy builds the crate), inside the sandbox: nothing lands."""
    host = tmp_path / "outside" / "pwned"
    host.parent.mkdir()
    rustup = Path(_rust()[1])
    planted = rustup / "planted-by-build-rs"
    files = {
        "Cargo.toml": CARGO,
        "src/lib.rs": LIB,
        "build.rs": BUILD_RS.replace("HOST_FILE", str(host)),
        ".cargo/config.toml": '[build]\nrustc-wrapper = "./wrap.sh"\n',
    }
    wrapper = {"wrap.sh": WRAPPER.replace("HOST_FILE", str(host))}
    try:
        done = _review(tmp_path, files, {"src/lib.rs": CHANGED, **wrapper}, run="wrap.sh")
        assert not planted.exists()
    finally:
        planted.unlink(missing_ok=True)

    assert not host.exists() and not Path(f"{host}.wrapper").exists()
    assert done.document is not None, done.stderr
    assert done.document["tools"] == [{"tool": "clippy", "could_not_run": ""}], done.stdout
    assert _rules(done) == [("clippy/needless_return", "src/lib.rs", 6)]


def test_clippys_report_is_read_as_cargo_prints_it() -> None:
    """cargo's JSON lines (clippy 0.1.95, trimmed): primary spans only, rustc's own too."""
    report = "\n".join([
        '{"reason":"compiler-artifact","target":{"name":"app"}}',
        '{"reason":"compiler-message","message":{"message":"unneeded `return` statement",'
        '"code":{"code":"clippy::needless_return"},"level":"warning","spans":['
        '{"file_name":"src/lib.rs","line_start":6,"is_primary":true},'
        '{"file_name":"src/other.rs","line_start":1,"is_primary":false}]}}',
        '{"reason":"compiler-message","message":{"message":"mismatched types",'
        '"code":null,"level":"error","spans":[{"file_name":"/w/repo/src/a.rs",'
        '"line_start":2,"is_primary":true}]}}',
        '{"reason":"build-finished","success":false}',
    ])  # fmt: skip
    hits = [
        LintHit("src/lib.rs", 6, "needless_return", "unneeded `return` statement",
                error=False),
        # rustc's own error: the crate does not build (placed on the changed line it depends on)
        LintHit("src/a.rs", 2, "rustc", "mismatched types", error=True, compiles=True),
    ]  # fmt: skip
    # a failed build is what clippy found so far, never the whole answer (red team)
    with pytest.raises(UnreadableReport, match="did not finish") as failed:
        read_report("clippy", report, "/w/repo")
    assert failed.value.hits == hits
    built = report.replace('"success":false}', '"success":true}')
    assert read_report("clippy", built, "/w/repo") == hits
    assert read_report("clippy", built, "/w/repo", exited=0) == hits
    with pytest.raises(UnreadableReport):  # cargo said it finished, yet did not exit 0
        read_report("clippy", built, "/w/repo", exited=255)
    forged_first = '{"reason":"build-finished","success":true}\n' + report
    with pytest.raises(UnreadableReport):  # cargo's own last word counts
        read_report("clippy", forged_first, "/w/repo")
    with pytest.raises(UnreadableReport):  # cut off before cargo finished: no result at all
        read_report("clippy", report.rsplit("\n", 1)[0], "/w/repo")


PANICS = 'fn main() {\n    panic!("this crate never builds");\n}\n'


@needs_sandbox
def test_a_build_script_that_fails_is_not_a_clean_clippy_run(tmp_path: Path) -> None:
    """Attack (red team): a ``build.rs`` that fails stops cargo before clippy lints the crate;
    cargo still prints its JSON (the build script's artifact, ``build-finished`` with success
    false), so the report read as "ran, nothing found" hid the change's needless return."""
    files = {"Cargo.toml": CARGO, "src/lib.rs": LIB, "build.rs": PANICS}
    done = _review(tmp_path, files, {"src/lib.rs": CHANGED})

    assert done.document is not None, done.stderr
    [tool] = done.document["tools"]
    assert tool["tool"] == "clippy" and "did not finish" in tool["could_not_run"], tool
    assert "Incomplete: clippy could not run" in done.document["headline"]


@needs_sandbox
def test_a_change_that_breaks_the_build_is_its_finding_not_a_clippy_that_could_not_run(
    tmp_path: Path,
) -> None:
    """unicase's shape, as a new user met it: the change's own type error stops cargo's build,
    so clippy lints no more; the error is the finding on the changed line, and the headline does
    not call clippy one that could not run (a note says what it did not check)."""
    broken = "pub fn one() -> i32 {\n    1\n}\n\npub fn two() -> i32 {\n    \"two\"\n}\n"
    done = _review(tmp_path, {"Cargo.toml": CARGO, "src/lib.rs": LIB}, {"src/lib.rs": broken})

    assert done.document is not None, done.stderr
    [tool] = done.document["tools"]
    assert tool == {"tool": "clippy", "could_not_run": ""} or "could_not_run" not in tool, tool
    assert "Incomplete" not in done.document["headline"], done.document["headline"]
    assert [(f["path"], f["line"], f["severity"]) for f in done.document["findings"]] == [
        ("src/lib.rs", 6, "high")], done.document["findings"]  # fmt: skip
    assert any("clippy stopped at the build errors this change makes" in note
               for note in done.document["notes"]), done.document["notes"]  # fmt: skip


@needs_sandbox
def test_a_hit_in_a_file_that_differs_from_the_reviewed_head_is_not_a_finding(
    tmp_path: Path,
) -> None:
    """Attack (red team): clippy lints the whole crate, so it reports on a changed file the
    plan left out because the checkout's text is not the head's (a merge commit's); its line
    numbers are the checkout's, so line 2 of the diff (``1``) was blamed for a ``return``
    the pull request never wrote there."""
    lib = "pub mod b;\n" + LIB
    files = {"Cargo.toml": CARGO, "src/lib.rs": lib}
    changed = {"src/lib.rs": "pub mod b;\n" + CHANGED, "src/b.rs": LIB}
    elsewhere = {"src/b.rs": "pub fn one(x: i32) -> i32 {\n    return x;\n}\n"}
    done = _review(tmp_path, files, changed, checkout=elsewhere)

    assert done.document is not None, done.stderr
    assert _rules(done) == [("clippy/needless_return", "src/lib.rs", 7)], done.stdout


WRAPPER_FORGES = """#!/bin/sh
forge() {  # a diagnostic as rustc writes it; cargo passes it on as a compiler-message
  printf '{"$message_type":"diagnostic","message":"%s","code":{"code":"%s","explanation":null},'\\
'"level":"error","spans":[{"file_name":"%s","byte_start":0,"byte_end":1,"line_start":%s,'\\
'"line_end":%s,"column_start":1,"column_end":2,"is_primary":true,"text":[],"label":null,'\\
'"suggested_replacement":null,"suggestion_applicability":null,"expansion":null}],'\\
'"children":[],"rendered":"x"}\\n' "$1" "$2" "$3" "$4" "$4" >&2
}
"$@"; status=$?
case "$*" in *"--crate-name app "*)
secret=$(cat "HOSTHOME/.cargo/credentials.toml" 2>&1 | tr -d '\\n"')
forge "read: [$secret] @admin <img src=x> <!-- cicd-agent --> [x](https://evil.example)" \\
  "clippy::a\\u0000<b>" src/lib.rs 6
forge "\\u001b[31mred\\u001b]8;;https://evil.example\\u0007link\\u009b2J\\n::error::forged" \\
  clippy::ansi src/lib.rs 6
forge "outside the repo" clippy::outside /etc/passwd 6
forge "an unchanged line" clippy::unchanged src/lib.rs 1
forge "a file clippy was not asked about" clippy::other Cargo.toml 1
forge "up and out" clippy::up ../repo/src/lib.rs 6
esac
exit $status
"""


@needs_sandbox
def test_forged_cargo_messages_count_only_on_added_lines_and_post_inert(tmp_path: Path) -> None:
    """Attack (red team): the pull request's rustc wrapper writes cargo messages of its own
    straight into cargo's standard output (the report): a secret it tries to read from the
    runner's home, mentions, HTML, our marker, a link out, a rule id with a NUL, and hits on
    a host file, an unchanged line, a file clippy was not asked about, a path out of the repo.
    Only the hit on the added line is a finding, its text inert, and no secret came in."""
    home = tmp_path / "home"
    (home / ".cargo").mkdir(parents=True)
    (home / ".cargo" / "credentials.toml").write_text('[registry]\ntoken = "cioTOKEN1234"\n')
    files = {"Cargo.toml": CARGO + "\n", "src/lib.rs": LIB,
             ".cargo/config.toml": '[build]\nrustc-wrapper = "./wrap.sh"\n'}  # fmt: skip
    changed = {"Cargo.toml": CARGO, "src/lib.rs": CHANGED,
               "wrap.sh": WRAPPER_FORGES.replace("HOSTHOME", str(home))}  # fmt: skip
    done = _review(tmp_path, files, changed, run="wrap.sh")

    assert done.document is not None, done.stderr
    assert "cioTOKEN1234" not in done.stdout + done.summary + done.stderr
    # terminal controls reach neither the runner's log nor the summary; no workflow command
    ansi = next(f for f in done.document["findings"] if f["rule"] == "clippy/ansi")
    for text in (ansi["title"], ansi["body"], done.summary, done.stderr):
        assert not {"\x1b", "\x07", "\x9b"} & set(text), repr(text)
        assert "\n::error::" not in text
    rules = _rules(done)
    assert ("clippy/ab", "src/lib.rs", 6) in rules, rules
    assert {path for _, path, _ in rules} == {"src/lib.rs"}, rules
    assert {line for _, _, line in rules} == {6}, rules
    assert {rule for rule, _, _ in rules} == {"clippy/ab", "clippy/ansi", "clippy/needless_return"}
    forged = next(f for f in done.document["findings"] if f["rule"] == "clippy/ab")
    assert "cioTOKEN" not in forged["body"] and "read: [" in forged["body"], forged
    for text in (forged["title"], forged["body"], done.summary):
        assert "@admin" not in text and "<img" not in text and "<!-- cicd-agent" not in text
        assert "](https://evil.example" not in text


TOOLCHAIN = '[toolchain]\nchannel = "1.70.0"\ncomponents = ["clippy"]\n'


@needs_sandbox
def test_a_toolchain_file_naming_another_rust_downloads_nothing_and_says_so(
    tmp_path: Path,
) -> None:
    """Attack (red team): ``rust-toolchain.toml`` asks rustup for a toolchain the runner does
    not have (rustup would download and install it): the sandbox has no network and the
    toolchains are read-only, so clippy could not run, and says so, without a clean read;
    rustup's own words (naming what the file asked for) come back inert."""
    rustup = Path(_rust()[1])
    before = sorted(p.name for p in (rustup / "toolchains").iterdir())
    files = {"Cargo.toml": CARGO, "src/lib.rs": LIB,
             "rust-toolchain.toml": TOOLCHAIN}  # fmt: skip
    done = _review(tmp_path, files, {"src/lib.rs": CHANGED})

    assert sorted(p.name for p in (rustup / "toolchains").iterdir()) == before
    assert done.document is not None, done.stderr
    [tool] = done.document["tools"]
    assert tool["tool"] == "clippy" and tool["could_not_run"], tool
    assert "Incomplete: clippy could not run" in done.document["headline"]


NEVER_ENDS = """\
fn main() {
    // a child in its own session, outliving cargo, then a build script that never ends
    let _ = std::process::Command::new("setsid").args(["sleep", "86399.5"]).spawn();
    loop {
        std::thread::sleep(std::time::Duration::from_secs(1));
    }
}
"""


def _running(marker: str) -> list[str]:
    """Processes whose command line holds ``marker``."""
    found = []
    for proc in Path("/proc").iterdir():
        try:
            line = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if proc.name.isdigit() and marker in line:
            found.append(line)
    return found


@needs_sandbox
def test_a_build_script_that_never_ends_is_killed_with_its_children_and_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Attack (red team): ``build.rs`` never ends and leaves a child in its own session:
    the run is killed at the linter's bound, nothing of it outlives the review, and clippy
    could not run (never a clean read)."""
    monkeypatch.setattr(linters, "LINT_TIMEOUT", 15.0)  # the build never ends: any bound
    files = {"Cargo.toml": CARGO, "src/lib.rs": LIB, "build.rs": NEVER_ENDS}
    done = _review(tmp_path, files, {"src/lib.rs": CHANGED})

    assert not _running("86399.5")
    assert done.document is not None, done.stderr
    [tool] = done.document["tools"]
    assert tool["tool"] == "clippy" and "timed out" in tool["could_not_run"], tool
    assert "Incomplete: clippy could not run" in done.document["headline"]


@needs_sandbox
@pytest.mark.parametrize("how", ["link", "target-dir"])
def test_cargo_cannot_build_into_the_toolchain_it_is_lent(tmp_path: Path, how: str) -> None:
    """Attack (red team): the pull request points cargo's build folder into rustup's
    toolchains (a ``target`` link in the checkout, or ``target-dir`` in its cargo
    configuration): the toolchains are read-only, nothing lands, and clippy says it could
    not run rather than reading clean."""
    toolchains = Path(_rust()[1]) / "toolchains"
    before = sorted(toolchains.iterdir())
    planted = toolchains / "planted-target"
    files = {"Cargo.toml": CARGO, "src/lib.rs": LIB}
    if how == "target-dir":
        files[".cargo/config.toml"] = f'[build]\ntarget-dir = "{planted}"\n'
    repo = tmp_path / "repo"
    repo.mkdir()
    if how == "link":  # an existing folder: cargo would make debug/ in it
        (repo / "target").symlink_to(toolchains)
    try:
        done = _review(tmp_path, files, {"src/lib.rs": CHANGED})
        assert sorted(toolchains.iterdir()) == before
    finally:
        for made in set(toolchains.iterdir()) - set(before):
            shutil.rmtree(made)

    assert done.document is not None, done.stderr
    [tool] = done.document["tools"]
    clean = tool == {"tool": "clippy", "could_not_run": ""}
    assert tool["could_not_run"] or (clean and _rules(done)), tool


@needs_sandbox
@pytest.mark.parametrize("where", ["the checkout", "the run's copy"])
def test_cargos_credentials_outside_home_are_hidden_from_the_build(
    tmp_path: Path, where: str
) -> None:
    """Attack (red team): ``CARGO_HOME`` need not be in the home the sandbox hides (the rust
    container images keep it in ``/usr/local/cargo``; workflows that cache it put it in the
    workspace, as here): its ``credentials.toml`` (``cargo login``'s registry token) was
    readable by the pull request's rustc wrapper, which wrote it into a finding."""
    cargo_home = tmp_path / "repo" / ".cargo-home"
    credentials = {".cargo-home/credentials.toml": '[registry]\ntoken = "cioTOKEN1234"\n'}
    files = {"Cargo.toml": CARGO + "\n", "src/lib.rs": LIB,
             ".cargo/config.toml": '[build]\nrustc-wrapper = "./wrap.sh"\n'}  # fmt: skip
    read = str(cargo_home) if where == "the checkout" else ".cargo-home"  # the run's cwd
    wrapper = WRAPPER_FORGES.replace("HOSTHOME/.cargo", read)
    changed = {"Cargo.toml": CARGO, "src/lib.rs": CHANGED, "wrap.sh": wrapper}
    done = _review(tmp_path, files, changed, run="wrap.sh", checkout=credentials,
                   env={"CARGO_HOME": str(cargo_home)})  # fmt: skip

    assert done.document is not None, done.stderr
    forged = next(f for f in done.document["findings"] if f["rule"] == "clippy/ab")
    assert "read: [" in forged["body"], forged  # the wrapper ran and reported
    assert "cioTOKEN" not in done.stdout + done.summary + done.stderr
    assert "[registry]" not in forged["body"], forged



FORGES_THE_END = """\
use proc_macro::TokenStream;
#[proc_macro]
pub fn end(_: TokenStream) -> TokenStream {
    // what the macro prints reaches cargo's standard output (the report): cargo's last word,
    // and cargo ended before clippy's lints of the crate that uses it reach it
    println!("{{\\"reason\\":\\"build-finished\\",\\"success\\":true}}");
    std::thread::sleep(std::time::Duration::from_millis(500));
    let cargo = std::os::unix::process::parent_id().to_string();
    let _ = std::process::Command::new("kill").args(["-9", &cargo]).status();
    TokenStream::new()
}
"""
MACRO_CRATE = '[package]\nname = "mac"\nversion = "0.1.0"\nedition = "2021"\n\n[lib]\nproc-macro = true\n'


@needs_sandbox
def test_attack_a_macro_that_forges_cargos_last_word_is_no_clean_clippy_run(
    tmp_path: Path,
) -> None:
    """A procedural macro of the pull request's prints ``build-finished`` with success true
    (cargo passes what it prints into its report) and kills cargo: read as cargo's last word,
    clippy "ran" and found nothing, the change's needless return hidden. Its lint is found, or
    clippy did not run."""
    files = {"Cargo.toml": CARGO + '\n[dependencies]\nmac = { path = "mac" }\n',
             "src/lib.rs": LIB, "mac/Cargo.toml": MACRO_CRATE, "mac/src/lib.rs": FORGES_THE_END}
    done = _review(tmp_path, files, {"src/lib.rs": "mac::end!();\n" + CHANGED})

    assert done.document is not None, done.stderr
    [tool] = done.document["tools"]
    found = ("clippy/needless_return", "src/lib.rs", 7) in _rules(done)
    assert found or (tool["could_not_run"] and "Incomplete" in done.document["headline"]), (
        tool, done.document["headline"], _rules(done))  # fmt: skip


@needs_sandbox
def test_attack_a_compile_error_on_a_changed_line_hides_no_lint_unsaid(tmp_path: Path) -> None:
    """A ``compile_error!`` the change adds stops the build before clippy lints the needless
    return beside it: clippy is said to have run only with the error as the change's high
    finding on that line and a note that it did not check the rest."""
    stops = "compile_error!(\"stop\");\n" + CHANGED
    done = _review(tmp_path, {"Cargo.toml": CARGO, "src/lib.rs": LIB}, {"src/lib.rs": stops})

    assert done.document is not None, done.stderr
    assert [(f["path"], f["line"], f["severity"]) for f in done.document["findings"]] == [
        ("src/lib.rs", 1, "high")], done.document["findings"]  # fmt: skip
    assert any("clippy stopped at the build errors this change makes" in note
               for note in done.document["notes"]), done.document["notes"]  # fmt: skip


@needs_sandbox
def test_a_lint_the_crate_denies_is_said_to_stop_the_build_not_to_fail_to_type_check(
    tmp_path: Path,
) -> None:
    """scoped-tls denies warnings: a new user's unused constants (two AWS keys) were "clippy: the
    change does not type-check: constant is never used", and the reasons for the critical risk
    (from the keys) left out that the change does not build."""
    strict = "#![deny(warnings)]\n" + LIB
    keys = strict + '\nconst AWS_KEY_ID: &str = "AKIA2E0A8F3B244C9986";\n'
    done = _review(tmp_path, {"Cargo.toml": CARGO, "src/lib.rs": strict}, {"src/lib.rs": keys})

    assert done.document is not None, done.stderr
    titles = [f["title"] for f in done.document["findings"] if f["rule"].startswith("clippy/")]
    assert titles == ["clippy: the change does not build, a lint made an error (`dead_code`): "
                      "constant `AWS_KEY_ID` is never used"], titles  # fmt: skip
    assert done.document["risk_level"] == "critical", done.document["risk_level"]
    assert any(r.startswith("The change does not build (1 build error(s)")
               for r in done.document["risk_reasons"]), done.document["risk_reasons"]  # fmt: skip
