"""The test step on real small projects, one per runner beyond pytest: retries, quarantine and
history checked as a user would meet them (a push to the default branch, so the code is trusted
and the step runs in the checkout; and the same command with no event, so it runs in the
sandbox and excuses nothing).

Each project is a public repository at the commit its mirror held (README.md says which), with
one test file added on top: a test that fails its first run and passes after (a mark file
beside it), a test that always fails and is quarantined by the base's settings file, and, for
Go, a subtest that fails once. JavaScript projects get a package.json naming only their runner
(npm's registry), since their other dev dependencies (linters, builders) play no part here.

    python research/flaky/step_runners/run.py /tmp/projects go|cargo|jest|vitest

prints the step's exit code, summary and the history it recorded; README.md keeps the output.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT))

from tests.harness.payloads import example, write_event  # noqa: E402

GO = """package version

import (
\t"os"
\t"testing"
)

func TestFlakyOnce(t *testing.T) {
\tif _, err := os.Stat("flaky.seen"); err != nil {
\t\tos.WriteFile("flaky.seen", nil, 0o644)
\t\tt.Fatal("first run")
\t}
}

func TestFlakyCase(t *testing.T) {
\tt.Run("once", func(t *testing.T) {
\t\tif _, err := os.Stat("case.seen"); err != nil {
\t\t\tos.WriteFile("case.seen", nil, 0o644)
\t\t\tt.Fatal("first run")
\t\t}
\t})
}

func TestQuarantined(t *testing.T) { t.Fatal("always") }
"""
RUST = """#[test]
fn flaky_once() {
    let seen = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("flaky.seen");
    if !seen.exists() {
        std::fs::write(&seen, "").unwrap();
        panic!("first run");
    }
}

#[test]
fn quarantined() {
    panic!("always");
}
"""
JS = """import * as fs from "node:fs";
import * as path from "node:path";
{imports}
describe("flaky8", () => {{
  test("flaky once", () => {{
    const seen = path.join({here}, "flaky.seen");
    const first = !fs.existsSync(seen);
    fs.writeFileSync(seen, "");
    expect(first).toBe(false);
  }});
}});

test("quarantined", () => {{ expect(1).toBe(2); }});
"""
PROJECTS = {
    "go": ("hashicorp+go-version", "flaky8_test.go", GO, ["go", "test", "./..."],
           "github.com/hashicorp/go-version.TestQuarantined"),
    "cargo": ("rapidfuzz+strsim-rs", "tests/flaky8.rs", RUST, ["cargo", "test", "--offline"],
              "quarantined"),
    "jest": ("vercel+ms", "src/flaky8.test.ts",
             JS.format(imports='import { describe, test, expect } from "@jest/globals";\n',
                       here="__dirname"),
             ["npx", "jest", "--ci", "--coverage=false"], "src/flaky8.test.ts › quarantined"),
    "vitest": ("unjs+destr", "test/flaky8.test.ts",
               JS.format(imports='import { describe, test, expect } from "vitest";\n',
                         here='"."'),
               ["npx", "vitest", "run"], "test/flaky8.test.ts › quarantined"),
}


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True,
                          text=True).stdout.strip()


def main(projects: Path, runner: str) -> None:
    name, path, text, command, quarantined = PROJECTS[runner]
    work = Path(tempfile.mkdtemp(prefix=f"step-{runner}-"))
    repo = work / "repo"
    shutil.copytree(projects / name, repo, symlinks=True)
    shutil.rmtree(repo / ".git")
    (repo / ".gitignore").write_text("node_modules\ntarget\n*.seen\n", "utf-8")
    git(work, "init", "-q", "-b", "main", str(repo))
    for key, value in (("user.name", "t"), ("user.email", "t@example.com")):
        git(repo, "config", key, value)
    (repo / ".github").mkdir(exist_ok=True)
    (repo / ".github/cicd-agent.yml").write_text(
        "analyse-failure:\n  quarantine:\n"
        f"    - test: {json.dumps(quarantined)}\n      owner: '@acme/db'\n"
        f"      expires: '{date.today() + timedelta(days=100)}'\n", "utf-8")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "base")
    base = git(repo, "rev-parse", "HEAD")
    (repo / path).write_text(text, "utf-8")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "flaky8 tests")
    head = git(repo, "rev-parse", "HEAD")
    payload = example("push")
    payload.update(before=base, after=head)
    payload["repository"] = {**payload["repository"], "default_branch": "main"}
    history = work / "history"
    runner_temp = Path(tempfile.mkdtemp(prefix="runner-temp-"))  # never above the checkout
    labels = (("push (trusted: on the host)", True), ("no event (the sandbox)", False))
    for label, event in labels[int(os.environ.get("ONLY_SANDBOX", "0")):]:
        for seen in repo.rglob("*.seen"):
            seen.unlink()
        summary = work / "summary.md"
        environ = {"PATH": os.environ["PATH"], "HOME": str(history),
                   "GITHUB_WORKSPACE": str(repo), "GITHUB_STEP_SUMMARY": str(summary),
                   "RUNNER_TEMP": str(runner_temp), "GOFLAGS": "-mod=mod", "GOPROXY": "off"}
        for keep in ("GOPATH", "GOCACHE", "GOMODCACHE", "CARGO_HOME", "RUSTUP_HOME"):
            if keep in os.environ:
                environ[keep] = os.environ[keep]
        environ.setdefault("CARGO_HOME", str(Path.home() / ".cargo"))
        environ.setdefault("RUSTUP_HOME", str(Path.home() / ".rustup"))
        environ.setdefault("GOCACHE", str(Path.home() / ".cache/go-build"))
        if event:
            environ.update(GITHUB_EVENT_NAME="push",
                           GITHUB_EVENT_PATH=str(write_event(work, payload)),
                           GITHUB_REF_NAME="main", GITHUB_JOB="tests", GITHUB_RUN_ID="41",
                           GITHUB_WORKFLOW_REF="o/r/.github/workflows/ci.yml@refs/heads/main")
        argv = [sys.executable, "-m", "cicd_agent", "test-step", "--retries", "2", "--flaky",
                "pass", "--", *command]
        done = subprocess.run(argv, check=False, cwd=repo, env=environ, capture_output=True, text=True,
                              timeout=900)
        print(f"## {runner}: {label}\n\n$ {' '.join(command)}\nexit {done.returncode}\n")
        print("stderr (its end):\n" + done.stderr[-2500:])
        print("\nthe job's log (its end):\n" + done.stdout[-1500:])
        print("\nsummary:\n" + (summary.read_text("utf-8") if summary.exists() else "(none)"))
    kept = history / ".cache/cicd-agent/test-history.jsonl"
    print("history:\n" + (kept.read_text("utf-8") if kept.exists() else "(none)"))
    shutil.rmtree(work, ignore_errors=True)
    shutil.rmtree(runner_temp, ignore_errors=True)


if __name__ == "__main__":
    main(Path(sys.argv[1]), sys.argv[2])
