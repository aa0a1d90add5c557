"""The detectors that read the change's own diff text, whichever scorer runs: destructive
migrations, weakened access checks, Actions pin bumps, and (deploy-gate) added secrets and workflow
dangers; their findings feed the floors.

Size-based risk cannot see a one-line change that makes ``login`` return ``True``, yet it ships
an open door. :func:`weakened_access`'s patterns are few and specific, so a hit is strong
evidence (at least high): an added ``return True`` in a function whose name checks identity or
permission, an access-control decorator removed and not added back in the file, or a widened list
(``ALLOWED_HOSTS = ['*']``, ``AllowAny``, ``@csrf_exempt``, a CORS origin of ``*``). Only
non-test, non-documentation files count."""

from __future__ import annotations

import re
import tomllib
from bisect import bisect_right
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from itertools import accumulate

from cicd_agent.analysis.change_types import ChangeType, classify_path
from cicd_agent.analysis.changes import ChangedFile
from cicd_agent.analysis.diff import header_path
from cicd_agent.analysis.finding import Finding
from cicd_agent.risk.runs import Lines

_DESTRUCTIVE = re.compile(
    r"\b(drop\s+(table|column|index|schema|database|view|type|constraint)|truncate(\s+table)?\s+\w|"
    r"alter\s+table\s+\S+\s+(drop|rename)|rename\s+(table|column)|delete\s+from\s+\w|"
    r"RemoveField|DeleteModel|RenameField|RenameModel|AlterField|"
    r"op\.drop_\w+|op\.alter_column|remove_column|drop_table|rename_column|change_column|"
    r"dropColumn|dropTable|renameColumn|dropIndex)\b",
    re.IGNORECASE,
)


def destructive_statements(diff_text: str) -> list[str]:
    """Added lines of a migration diff that drop, delete or rename data or change a column's
    definition (at most 10)."""
    found: list[str] = []
    path = ""
    for line in diff_text.splitlines():
        if line.startswith("+++ "):
            path = header_path(line) or line[4:]
        elif line.startswith("+") and _DESTRUCTIVE.search(line):
            found.append(f"{path}: {line[1:].strip()[:120]}")
            if len(found) >= 10:
                break
    return found


_USES_LINE = re.compile(r"^\s*(-\s*)?uses:\s*\S+@\S+(\s*#.*)?$")


def action_pins_only(files: Sequence[ChangedFile], diff_text: str) -> bool:
    """True when the change only moves GitHub Actions pins: every file a workflow and every
    added or removed line a ``uses: owner/action@ref`` line (a Dependabot bump)."""
    if not files or any(
        not c.path.startswith(".github/") or c.status != "M" or c.binary for c in files
    ):
        return False
    changed = [
        line[1:]
        for line in diff_text.splitlines()
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    ]
    return bool(changed) and all(_USES_LINE.match(line) for line in changed)


MAX_DIFF_BYTES = 2_000_000
"""Most diff text read for each detector (migrations, access checks)."""
MAX_DIFF_PATHS = 400
"""Most runtime files whose diff the access-check detector reads."""


@dataclass(frozen=True)
class ChangeEvidence:
    """The inputs of the floors (:func:`~cicd_agent.risk.floors.finish`), read once."""

    destructive: tuple[str, ...] = ()
    weakened: tuple[str, ...] = ()
    pins_only: bool = False
    security: tuple[Finding, ...] = ()
    runs: Mapping[str, Lines] = field(default_factory=dict)
    """By path, the changed lines that change what runs (:mod:`~cicd_agent.risk.runs`)."""
    moved: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """By manifest or lock file read, the dependency entries it moves (``requests 2.31 →
    2.32``); a file left out could not be read (:mod:`~cicd_agent.risk.dependencies`)."""
    removed: tuple[str, ...] = ()
    """Exported names deleted and not declared again, as ``path: name``
    (:mod:`~cicd_agent.risk.removed_api`)."""


NO_EVIDENCE = ChangeEvidence()


DiffText = Callable[[Sequence[str], int], str]
"""The unified diff of some paths of the change, cut at a number of characters."""


@dataclass(frozen=True)
class DiffAtHand:
    """A caller's own reading of the change's diff (review has parsed it already): its files
    and its text by path. The change set and the detectors use it instead of asking git for
    the same range again (a ``git diff`` of a change of thousands of files is not free)."""

    files: tuple[ChangedFile, ...]
    text: DiffText


def diff_parts(whole: str, paths: Sequence[str]) -> dict[str, str] | None:
    """``whole`` (one ``git diff`` of ``paths``) cut into each path's part, or None when a part
    lacks its plain ``diff --git a/P b/P`` header. The caller passes no deleted path (the only
    rename source under ``-M``), so the parts of some paths are what a diff of those alone
    prints: a deploy-gate's three path sets cost one git process, not three."""
    headers = {f"diff --git a/{path} b/{path}": path for path in paths}
    parts: dict[str, str] = {}
    for part in _DIFF_PART.split(whole):
        if not part:
            continue
        path = headers.get(part.partition("\n")[0])
        if path is None or path in parts:
            return None
        parts[path] = part
    return parts


_DIFF_PART = re.compile(r"^(?=diff --git )", re.MULTILINE)
"""Where a file's part of a unified diff starts (a content line starts with ``+``, ``-``, a
space or a backslash, never with this header)."""


MAX_FINDINGS = 10

_CHECK_NAME = re.compile(
    r"(log_?in|sign_?in|auth|authenticate|authori[sz]e|permission|perm|allowed|access|"
    r"is_?admin|is_?staff|is_?superuser|is_?owner|is_?member|can_?[a-z]|has_?role|check_?role|"
    r"verify|validate_?(token|session|password|signature|jwt)|check_?(password|token|access)|"
    r"password|credential|token|session|csrf|guard|acl)",
    re.IGNORECASE,
)
# The ways a line names a function (Python def, JS function, Go func with a receiver, a
# signature led by modifiers or a type, a JS method, an arrow function), each searched on its
# own and the leftmost wins, as when they were one alternation. That alternation was cubic on
# whitespace, as its type-led part let three quantifiers take the same spaces; here every
# quantifier stops where the next one's first character is, a search starts only at the head
# of a word, and the type-led part is read without a regex (:func:`_type_led_name`).
_FUNCTIONS = (
    re.compile(r"\bdef\s+(\w+)\s*\("),
    re.compile(r"\bfunction\s+(\w+)\s*\("),
    re.compile(r"\bfunc\s+(?:\([^()]*\)\s*)?(\w+)\s*\("),
    None,  # a signature led by modifiers or a type: :func:`_type_led_name`
    re.compile(r"^\s*(?:async\s+)?(\w+)\s*\([^)]*\)\s*\{"),
    re.compile(r"\b(\w+)\s*[:=]\s*(?:async\s*)?\([^()]*\)\s*=>"),
)
_MODIFIER = re.compile(r"public|private|protected|static|async|override|\s")
_TYPE_CHARS = re.compile(r"[\w<>\[\],\s]*")
_NAME_REVERSED = re.compile(r"\s*(\w+)")
_ALWAYS_PASS = re.compile(
    r"^\s*return\s+\(?\s*(True|true|1|YES|Ok\(\s*(true|\(\))\s*\))\s*\)?\s*;?\s*$"
)
_GUARD = re.compile(
    r"^\s*(@(login_required|permission_required|user_passes_test|staff_member_required|"
    r"superuser_required|admin_required|auth_required|requires_auth|require_auth|"
    r"jwt_required|token_required|fresh_jwt_required|roles_required|roles_accepted|"
    r"permission_classes|authentication_classes|requires_permission|require_permission|"
    r"authenticated|PreAuthorize|PostAuthorize|Secured|RolesAllowed|UseGuards|Roles|"
    r"csrf_protect|login_required_ajax)\b|\[Authorize\b)"
)
_WIDENED_DATA = tomllib.loads(
    resources.files("cicd_agent").joinpath("data/authz_widened.toml").read_text("utf-8")
)["widened"]
_WIDENED = tuple(
    (re.compile(raw["pattern"], re.I if raw.get("ignore_case") else 0), raw["what"])
    for raw in _WIDENED_DATA
)
"""A widened list (``ALLOWED_HOSTS = ['*']``, ``AllowAny``, ``@csrf_exempt``…) and what the
evidence says of it: data, ``data/authz_widened.toml``."""
_NEEDED = tuple(
    re.compile("|".join(re.escape(word) for raw in chosen for word in raw["needs"]), flags)
    for flags, chosen in (
        (0, [raw for raw in _WIDENED_DATA if not raw.get("ignore_case")]),
        (re.I, [raw for raw in _WIDENED_DATA if raw.get("ignore_case")]),
    )
    if chosen
)
"""The words one of which each match of :data:`_WIDENED` holds, as one search for the
case-sensitive patterns' and one for the others' (a literal alternation without ``re.I`` is
a fast scan; with it, or a pattern's own ``\\b``, each is tried at every character)."""


def weakened_access(diff_text: str) -> list[str]:
    """Evidence lines (``path: what``) of changes that weaken authentication or authorisation, at
    most :data:`MAX_FINDINGS`. The enclosing function is looked up only for an added
    ``return True``, and the widening patterns tried only where their combined pattern matches:
    tracking the function on every line was a quarter of a large review's cost."""
    found: list[str] = []
    path = ""
    counts = False
    hunk = _Hunk("")
    removed_guards: dict[str, list[str]] = {}
    added_lines: dict[str, set[str]] = {}
    lines = diff_text.splitlines()
    widened = _maybe_widened(lines)
    for index, line in enumerate(lines):
        if line.startswith("+++ "):
            path = header_path(line) or line[4:]
            counts = _counts(path)
            hunk = _Hunk("")
            continue
        if not counts or line.startswith(("--- ", "diff --git", "index ")):
            continue
        if line.startswith("@@"):
            hunk = _Hunk(line.split("@@", 2)[-1])
            continue
        hunk.lines.append(line)
        body = line[1:]
        if line.startswith("+"):
            added_lines.setdefault(path, set()).add(body.strip())
            if _ALWAYS_PASS.match(body):
                function = hunk.function()
                if function and _CHECK_NAME.search(function):
                    found.append(f"{path}: {function}() now returns {body.strip()[6:].strip(' ;')}")
            if index in widened:
                for pattern, what in _WIDENED:
                    if pattern.search(body):
                        found.append(f"{path}: {what}: {body.strip()[:100]}")
        elif line.startswith("-") and _GUARD.match(body):
            removed_guards.setdefault(path, []).append(body.strip())
    for where, guards in removed_guards.items():
        for guard in guards:
            if guard not in added_lines.get(where, set()):
                found.append(f"{where}: access check removed: {guard[:100]}")
    return list(dict.fromkeys(found))[:MAX_FINDINGS]


def _maybe_widened(lines: Sequence[str]) -> set[int]:
    """Indexes of the added lines (``+``) of ``lines`` that hold a word of :data:`_NEEDED`,
    every line a pattern of :data:`_WIDENED` can match among them: one scan over the added
    lines joined, instead of every pattern tried at every character of every line."""
    added = [index for index, line in enumerate(lines) if line.startswith("+")]
    text = "\n".join(lines[index][1:] for index in added)
    starts = list(accumulate((len(lines[index]) for index in added), initial=0))
    return {
        added[bisect_right(starts, hit.start()) - 1]
        for words in _NEEDED
        for hit in words.finditer(text)
    }


class _Hunk:
    """A hunk's lines so far, and the function its last line is in, worked out only when
    asked and then only over the lines not yet read (linear in the hunk however often)."""

    def __init__(self, heading: str) -> None:
        self.heading = heading
        self.lines: list[str] = []
        self._function: str | None = None
        self._read = 0

    def function(self) -> str:
        """The nearest name above the last line, in a line of the hunk that was not removed
        (the last line included), else the heading's."""
        if self._function is None:
            self._function = _function_name(self.heading) or ""
        for line in self.lines[self._read :]:
            named = None if line.startswith("-") else _function_name(line[1:])
            if named:
                self._function = named
        self._read = len(self.lines)
        return self._function


def _counts(path: str) -> bool:
    """Tests and documentation may show open doors on purpose; everything else counts."""
    if not path or path == "/dev/null":
        return False
    types = classify_path(path)
    return not types & {ChangeType.TESTS, ChangeType.DOCS}


def _function_name(text: str) -> str | None:
    found = [(len(text), 0, "")]
    for order, pattern in enumerate(_FUNCTIONS):
        match = pattern.search(text) if pattern else None
        if match:
            found.append((match.start(), order, match.group(1)))
    typed = _type_led_name(text)
    if typed:
        found.append((typed[0], 3, typed[1]))
    name = min(found)[2]
    if not name or name in {"if", "for", "while", "switch", "catch", "return", "function"}:
        return None
    return name


def _type_led_name(text: str) -> tuple[int, str] | None:
    """Where the leftmost signature led by modifiers or whitespace starts, and its name. Each
    ``(`` is looked at once, back to the ``(`` before it, so the line is read a bounded number of
    times."""
    after = text.rfind(";") + 1
    previous = text.rfind("(", 0, after)
    paren = text.find("(", after)
    while paren >= 0:
        reversed_head = text[previous + 1 : paren][::-1]
        name = _NAME_REVERSED.match(reversed_head)
        if name:
            run = _TYPE_CHARS.match(reversed_head, name.end())
            run_start = paren - (run.end() if run else name.end())
            name_start = paren - name.end()
            lead = _MODIFIER.search(text, run_start, name_start)
            if lead:
                return lead.start(), name.group(1)[::-1]
        previous, paren = paren, text.find("(", paren + 1)
    return None
