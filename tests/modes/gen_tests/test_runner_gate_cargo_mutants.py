"""A right Rust candidate of a ``match``/``if let``/``Option`` change is kept on a mutant that
builds (set 4's rust-fallible-iterator ``Peekable::next_if``, a tuning case): with no
coverage tool for cargo, a mutant it fails on is its only evidence, and the one mutant made of
next_if's lines (its ``pub fn`` line deleted) never built, so the right candidate was dropped
at ``dependence``. Here, on a tiny real crate with no dependency, every mutant made of such a
change builds (cargo's own check), and the gate keeps the right candidate, naming the mutant."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from cicd_agent.local.checkout import GitCheckout
from cicd_agent.modes.gen_tests.candidate_runs import Candidate
from cicd_agent.modes.gen_tests.runner_gaps import changes, measure
from cicd_agent.modes.gen_tests.runner_gate import judge
from cicd_agent.runners.lookups import tool_mounts
from cicd_agent.runners.pytest.runner import PytestSandbox
from cicd_agent.verify import mutation
from tests.git_builder import GitRepoBuilder
from tests.helpers.sandbox import needs_sandbox
from tests.helpers.toolchains import needs_cargo

pytestmark = [needs_sandbox, needs_cargo]

MANIFEST = '[package]\nname = "stack-m"\nversion = "0.1.0"\nedition = "2021"\n'
LIB = """pub struct Stack {
    items: Vec<i64>,
}

impl Stack {
    pub fn new(items: Vec<i64>) -> Self {
        Stack { items }
    }
"""
CHANGE = """
    /// Pop the top item if `f` accepts it; otherwise leave it and return None.
    #[inline]
    pub fn pop_if<F>(&mut self, f: F) -> Option<i64>
    where F: Fn(&i64) -> bool {
        match self.items.last() {
            Some(top) if f(top) => self.items.pop(),
            _ => None,
        }
    }

    pub fn top_or(&self, fallback: i64) -> i64 {
        if let Some(top) = self.items.last() {
            return *top;
        }
        fallback
    }
"""
EXISTING = "#[test]\nfn makes() {\n    let _ = stack_m::Stack::new(vec![1]);\n}\n"
RIGHT = """use stack_m::Stack;

#[test]
fn pops_only_what_f_accepts() {
    let mut stack = Stack::new(vec![1, 2]);
    assert_eq!(stack.pop_if(|x| *x == 1), None);
    assert_eq!(stack.pop_if(|x| *x == 2), Some(2));
    assert_eq!(stack.pop_if(|_| true), Some(1));
}
"""

HUNT = 20
"""The reruns' budget in seconds (the hunt stops there or after its rounds): these
tests read the reruns' tests, not a hunt's length."""


def test_a_match_guard_change_gets_mutants_that_build_and_its_right_test_is_kept(
    tmp_path: Path,
) -> None:
    repo = GitRepoBuilder(tmp_path / "crate")
    base = repo.commit("start", {"Cargo.toml": MANIFEST, "src/lib.rs": LIB + "}\n",
                                 "tests/existing.rs": EXISTING})  # fmt: skip
    head = repo.commit("pop_if", {"src/lib.rs": LIB + CHANGE + "}\n"})
    environ = {"PATH": os.environ["PATH"], "HOME": "/nonexistent",
               "RUSTUP_HOME": os.environ.get("RUSTUP_HOME", str(Path.home() / ".rustup"))}  # fmt: skip
    [change], _ = changes(GitCheckout(repo.path), base, head, environ)
    with PytestSandbox(repo.path, environ, tools=tool_mounts(environ)) as sandbox:
        gaps = measure(change, sandbox, suite_timeout=300, timeout=300, budget=HUNT, seed=1)
        made = list(mutation.of_lines(sandbox.pristine, gaps.targets()))
        verdict = judge(gaps, Candidate("tests/pop_if.rs", RIGHT), sandbox, seed=11, timeout=240)
    # every mutant made of the change builds: cargo's own check, one target folder for all
    built, copy = [], tmp_path / "check"
    shutil.copytree(repo.path, copy, ignore=shutil.ignore_patterns(".git"))
    for mutant in made:
        (copy / mutant.path).write_text(mutant.text)
        checked = subprocess.run(["cargo", "check", "--offline", "--quiet", "--lib"], cwd=copy,
                                 env=environ | {"CARGO_TARGET_DIR": str(tmp_path / "target")},
                                 capture_output=True, text=True, check=False)  # fmt: skip
        built.append((str(mutant), checked.returncode == 0 or checked.stderr[-300:]))
    assert len(made) >= 3 and all(ok is True for _, ok in built), built
    assert (verdict.stage, verdict.possible_bug) == ("", ""), verdict
    assert verdict.reason.startswith("fails when src/lib.rs:15 `Some(top) if f(top) => "
                                     "self.items.pop(),` mutated to"), verdict.reason  # fmt: skip
