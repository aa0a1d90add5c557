"""The excerpt a model reads: windows around the findings, fitted to a budget, redacted.

Windows are added best first (the root cause and the end of its step, then the root causes of
other failed jobs, then the remaining findings by weight) for as long as the rendered excerpt,
after redaction, stays within the budget under the caller's measure (characters by default, or
a token counter). A window that does not fit shrinks to its error line alone. Lines are kept
verbatim, so a reader can search the log for them; gaps are marked with how many lines they skip.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

MAX_BLOCKS = 80
MAX_LINE_CHARS = 1500
MAX_CORE_CHARS = 4000
STEP_END_LINES = 20
MORE_END_LINES = 80


@dataclass(order=True, frozen=True)
class Block:
    """Lines of one section that belong together; ``core`` is the line worth keeping alone."""

    priority: tuple[int, ...]
    section: int
    lines: tuple[int, ...]
    core: int


@dataclass
class Section:
    """One failed step of one job: a title and the lines available to show."""

    title: str
    available: dict[int, str] = field(default_factory=dict)


_DELIMITER = re.compile(r"[\s,;\"'()<>\[\]{}]")
"""Characters no secret shape contains: a cut next to one never splits a secret."""


def _clip(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, but never inside a run of non-delimiters: the
    excerpt is redacted after rendering, and half a token is no longer token-shaped."""
    if len(text) <= limit:
        return text
    kept = text[:limit]
    if not _DELIMITER.match(text, limit):
        kept = kept[: max((m.end() for m in _DELIMITER.finditer(kept)), default=0)]
    return kept + " …[truncated]"


@dataclass(kw_only=True)
class ExcerptBuilder:
    """Collects sections and blocks, then renders the best of them within the budget."""

    budget: int
    measure: Callable[[str], int]
    redact: Callable[[str], str]
    preamble: list[str] = field(default_factory=list)
    sections: list[Section] = field(default_factory=list)
    blocks: list[Block] = field(default_factory=list)

    def section(self, title: str) -> int:
        self.sections.append(Section(title))
        return len(self.sections) - 1

    def offer(self, section: int, lines: Sequence[tuple[int, str]]) -> None:
        """Make lines available to windows of ``section``."""
        available = self.sections[section].available
        for number, text in lines:
            available.setdefault(number, text)

    def window(
        self, section: int, core: int, before: int, after: int, priority: tuple[int, ...]
    ) -> None:
        """Ask for ``core`` and up to ``before``/``after`` available lines around it."""
        available = self.sections[section].available
        lines = tuple(n for n in range(core - before, core + after + 1) if n in available)
        if core in available:
            self.blocks.append(Block(priority, section, lines, core))

    def render(self) -> str:
        """The excerpt: as many blocks as fit, best first, shown in log order."""
        chosen: dict[int, set[int]] = {}
        cores: set[tuple[int, int]] = set()
        best = self.redact(self._render(chosen, cores))
        if self.measure(best) > self.budget:
            self.preamble = []  # too small a budget for the list of jobs: keep it for lines
            best = ""
        for block in sorted(self.blocks)[:MAX_BLOCKS]:
            for lines in (block.lines, (block.core,)):
                trial = {key: set(value) for key, value in chosen.items()}
                trial.setdefault(block.section, set()).update(lines)
                text = self.redact(self._render(trial, cores | {(block.section, block.core)}))
                if self.measure(text) <= self.budget:
                    chosen, best = trial, text
                    cores.add((block.section, block.core))
                    break
        return best

    def _render(self, chosen: dict[int, set[int]], cores: set[tuple[int, int]]) -> str:
        out = list(self.preamble)
        for index, section in enumerate(self.sections):
            numbers = sorted(chosen.get(index, ()))
            if not numbers:
                continue
            out.append(section.title)
            previous = None
            for number in numbers:
                if previous is not None and number > previous + 1:
                    out.append(f"[... {number - previous - 1} lines skipped ...]")
                limit = MAX_CORE_CHARS if (index, number) in cores else MAX_LINE_CHARS
                out.append(_clip(section.available[number], limit))
                previous = number
        return "\n".join(out) + "\n" if out else ""
