"""Rust mutants that build (set 4's rust-fallible-iterator ``Peekable::next_if``): a
method's signature, ``where`` clause, ``match`` head and arms are no statements, so the one
mutant made of next_if's seven lines, its ``pub fn`` line deleted, never built and the right
candidate was dropped at ``dependence``. A match arm's guard is the condition a person negates
there, and an ``if let`` is no condition ``!`` can negate. No cargo here: that every mutant
builds and judges a right candidate is test_runner_gate_cargo_mutants.py's."""

from __future__ import annotations

from cicd_agent.verify import mutation

NEXT_IF = """impl<I: Iterator<Item = i64>> Peek<I> {
    /// Consume and return the next value if `f` accepts it; otherwise None.
    #[inline]
    pub fn next_if<F>(&mut self, f: F) -> Option<i64>
    where F: Fn(&i64) -> bool {
        match self.peek() {
            Some(item) if f(item) => self.next(),
            _ => None,
        }
    }

    pub(crate) fn top_or(&self, fallback: i64) -> i64 {
        if let Some(top) = self.peeked {
            return top;
        }
        fallback
    }
}
"""


def _shown(lines: range) -> list[str]:
    return [str(mutant) for mutant in mutation.mutants("src/lib.rs", NEXT_IF, lines)]


def test_next_ifs_guard_is_negated_and_dropped_and_its_signature_never_deleted() -> None:
    """Before, next_if's lines gave one mutant, ``pub fn next_if…`` removed, which cannot build
    ("expected item after attributes"); now its arm's guard is negated, then dropped."""
    assert _shown(range(4, 10)) == [
        "src/lib.rs:7 `Some(item) if f(item) => self.next(),` mutated to "
        "`Some(item) if !(f(item)) => self.next(),`",
        "src/lib.rs:7 `Some(item) if f(item) => self.next(),` mutated to "
        "`Some(item) => self.next(),`",
    ]


def test_an_if_let_is_not_negated_and_only_a_statement_is_deleted() -> None:
    """``if !(let Some(top) = …)`` does not build; a ``pub(crate) fn`` line and a block's tail
    value are no statements either. ``return top;`` is one: negated (an integer's ``!`` builds)
    or deleted."""
    assert _shown(range(12, 17)) == [
        "src/lib.rs:14 `return top;` mutated to `return !(top);`",
        "src/lib.rs:14 `return top;` removed",
    ]


def test_attack_a_long_arm_line_is_read_in_linear_time() -> None:
    """Attack: an arm of ``MAX_LINE`` characters, its spaces around ``if`` (one pattern with lazy
    parts took 119 s on such a line); two linear searches find its guard."""
    arm = "x " + " " * 400 + "if" + " " * 400 + "y" + " " * 180 + "=> 1,"
    text = f"fn f(x: i64, y: bool) -> i64 {{\n    match x {{\n{arm}\n        _ => 0,\n    }}\n}}\n"
    assert len(arm) <= mutation.MAX_LINE
    made = [m.text.split("\n")[2].split() for m in mutation.mutants("src/lib.rs", text, [3])]
    assert made == [["x", "if", "!(y)", "=>", "1,"], ["x", "if", "y", "=>", "2,"], ["x", "=>", "1,"]]


def test_attack_an_arrow_in_a_comment_or_a_string_is_no_match_arms_guard() -> None:
    """``total += 1; // note: if cached => skip`` was read as a guarded arm, its first
    mutant a change of the comment alone: it survives every candidate, and three such lines
    spent the budget of 3 runs, so a right candidate was dropped as depending on nothing."""
    text = ("pub fn total(price: u32, n: u32) -> u32 {\n"
            "    let mut total = price * n; // later: if n > 10 => discount\n"
            "    let note = \"if cached => skip\";\n"
            "    total += note.len() as u32; /* if cached => skip */\n"
            "    match n {\n        k if k > 10 => total - k,\n        _ => total,\n    }\n}\n")  # fmt: skip
    made = list(mutation.mutants("src/lib.rs", text, range(2, 7)))
    negated = [(m.line, m.after.strip()) for m in made if "if !(" in m.after]
    assert negated == [(6, "k if !(k > 10) => total - k,")]
    assert not [m for m in made if m.before.rstrip().endswith(("discount", "skip\";", "skip */"))
                and m.after.strip()]  # fmt: skip
