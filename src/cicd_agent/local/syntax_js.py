"""How the parse check reads JavaScript: the job's own ``node --check``, which runs none of the
file.

The node is the first on ``PATH`` outside any repository, started with ``PATH`` alone (no
``NODE_OPTIONS`` preload) in our own folder (a version manager's shim picks its node by the
folder it starts in). It reads copies we write there as CommonJS and as an ES module: never the
checkout's file, which may be a link to any file of the runner (its line would be quoted in the
error). A plain file parses when either reading does (node 22's rule where no ``type`` is set)."""

from __future__ import annotations

import re
import tempfile
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from itertools import islice
from pathlib import Path

from cicd_agent.local.processes import host_tool, stream

Broken = tuple[int, str]
"""Where a text does not parse (its line, from 1) and node's words."""

TIMEOUT = 20.0
"""Seconds node may take over one file (a megabyte parses in well under one)."""
_WHERE = re.compile(r":(\d+)$")


@contextmanager
def node_parser(
    environ: Mapping[str, str],
) -> Iterator[tuple[Callable[[str, str], Broken | None], str]]:
    """The error a JavaScript file (its path, its text) does not parse with, None when it
    parses, while the context is open; and why node cannot judge ("" when it can): no node on
    ``PATH`` outside a repository."""
    node = host_tool("node", environ) or ""
    missing = "" if node else "no `node` on PATH (outside the checkout) in this job"
    path = {"PATH": environ.get("PATH", "")}
    with tempfile.TemporaryDirectory(prefix="cicd-agent-parse-") as folder:

        def error(name: str, text: str) -> Broken | None:
            readings = {".mjs": (".mjs",), ".cjs": (".cjs",)}.get(Path(name).suffix)
            found: list[Broken] = []
            for suffix in readings or (".cjs", ".mjs"):
                broken = _check(node, path, Path(folder) / f"changed{suffix}", text)
                if broken is None:
                    return None
                found.append(broken)
            return max(found, key=lambda broken: broken[0])

        yield error, missing


def _check(node: str, env: Mapping[str, str], file: Path, text: str) -> Broken | None:
    """The error node finds in ``text`` written to ``file``, None when it parses; a ValueError
    when node gives no verdict (too slow, or it failed some other way)."""
    file.write_text(text, encoding="utf-8", errors="surrogatepass")
    status, said = stream(
        [node, "--no-warnings", "--check", str(file)],
        env=env,
        cwd=file.parent,
        on_line=lambda _: None,
        timeout=TIMEOUT,
        keep=200,
    )
    if status == -9:
        raise ValueError(f"node took over {TIMEOUT:.0f} s")
    if status == 0:
        return None
    named = [line.removeprefix(str(file)) for line in said if line.startswith(f"{file}:")]
    lines = [int(m.group(1)) for line in named[:1] if (m := _WHERE.fullmatch(line))]
    # node quotes the broken line before its own verdict, so only the last such line is node's
    words = [line.removeprefix("SyntaxError: ") for line in said if line.startswith("SyntaxError:")]
    if not lines or not words:
        raise ValueError(f"node --check exited {status} with no syntax error named")
    return diff_line(text, lines[0], JS_LINE_END), words[-1]


JS_LINE_END = re.compile("\r\n|[\n\r\u2028\u2029]")
"""Where JavaScript ends a line: at a lone CR, U+2028 and U+2029 too, even in a comment."""


def diff_line(text: str, line: int, ends: re.Pattern[str]) -> int:
    """A parser's line ``line`` of ``text``, whose lines end at ``ends``, as git and the diff
    count lines (at newlines only)."""
    above = islice(ends.finditer(text), max(line - 1, 0))
    start = max((end.end() for end in above), default=0)
    return text.count("\n", 0, start) + 1
