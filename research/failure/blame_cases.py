"""The blame set's projects and breaks: real public projects, one source line broken per case.

Each break names the line it changes (``file``, ``line``, the text that must be on it and what
replaces it); that line is the truth the score compares analyse-failure's responsible location
with. The breaks were written before analyse-failure's blame was changed for this set, and are
of the kinds a change brings: a wrong operator, an off-by-one, a typo that raises, a changed
message, a panic. ``blame_set.py`` builds each case; ``blame_score.py`` scores them.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Project:
    """A public repository pinned at a commit, and how its CI runs its tests."""

    name: str
    repo: str
    commit: str
    language: str
    command: str
    setup: dict[str, str] = field(default_factory=dict)
    """Files rewritten before the base commit (registry-only dependencies dropped: no network)."""


@dataclass(frozen=True)
class Break:
    project: str
    file: str
    line: int
    old: str
    new: str

    @property
    def name(self) -> str:
        return f"{self.project}-{self.file.rsplit('/', 1)[-1].split('.')[0]}-{self.line}"


_SEMVER_TOML = """[package]
name = "semver"
version = "1.0.27"
edition = "2021"
rust-version = "1.68"

[features]
default = ["std"]
std = []
"""

PROJECTS = {
    p.name: p
    for p in (
        Project("toolz", "pytoolz/toolz", "568c2b8393973cd172a466546c9d95779c452438", "python",
                "python -m pytest -p no:cacheprovider --doctest-modules toolz/"
                " --deselect toolz/tests/test_package.py::test_has_version"),
        Project("tomli", "hukkin/tomli", "920e20b1cf495b63f6d4a6aa3cd5e4ff25f5f5a7", "python",
                "PYTHONPATH=src python -m unittest"),
        Project("semver", "dtolnay/semver", "8591f2344b52b31d85b538de58b76a676fe9ff90", "rust",
                "cargo test --offline --tests", setup={"Cargo.toml": _SEMVER_TOML}),
        Project("go-version", "hashicorp/go-version", "8f84cf4e0c536ec09e197abb7dd32bebb3ee2390",
                "go", "go test ./..."),
        Project("vary", "jshttp/vary", "42df0cc818b3a4cce31cbe577bb2a3e4f2443029", "node",
                "mocha --reporter spec --bail --check-leaks test/"),
        Project("fresh", "jshttp/fresh", "ee7367318cf86a77e8259c63ee014ff0f8853437", "node",
                "mocha --reporter spec --bail --check-leaks test/"),
    )
}  # fmt: skip

_IT, _DT = "toolz/itertoolz.py", "toolz/dicttoolz.py"
BREAKS = (
    Break("toolz", _DT, 85, "map(func, d.values())", "map(func, d.keys())"),
    Break("toolz", _DT, 156, "if predicate(k):", "if not predicate(k):"),
    Break("toolz", _DT, 69, "result[k] = func(v.__self__)", "result[k] = func(v.__self__, k)"),
    Break("toolz", _IT, 309, "len(seq) == len(set(seq))", "len(seq) != len(set(seq))"),
    Break("toolz", _IT, 338, "collections.deque(seq, n)", "collections.dequeue(seq, n)"),
    Break("toolz", _IT, 390, "return seq[n]", "return seq[n - 1]"),
    Break("tomli", "src/tomli/_parser.py", 410, "return pos + 2, key", "return pos + 1, key"),
    Break("tomli", "src/tomli/_parser.py", 499, "multiline=False", "multiline=True"),
    Break("tomli", "src/tomli/_parser.py", 274, '["flags"] or flag', '["flags"] and flag'),
    Break("tomli", "src/tomli/_parser.py", 537, "return pos + 1, nested_dict.dict",
          "return pos, nested_dict.dict"),
    Break("semver", "src/eval.rs", 64, "ver.major > cmp.major", "ver.major >= cmp.major"),
    Break("semver", "src/eval.rs", 36, "matches_exact(cmp, ver) || matches_less",
          "matches_exact(cmp, ver) && matches_less"),
    Break("semver", "src/eval.rs", 131, "ver.pre >= cmp.pre", "ver.pre > cmp.pre"),
    Break("semver", "src/eval.rs", 145, "ver.minor >= minor", "ver.minor > minor"),
    Break("semver", "src/display.rs", 7, '"{}.{}.{}"', '"{}.{}-{}"'),
    Break("semver", "src/parse.rs", 178, "&input[len..]", "&input[len + 1..]"),
    Break("go-version", "version.go", 245, "v != segmentsOther[i]", "v == segmentsOther[i]"),
    Break("go-version", "version.go", 141, "pre = matches[4]", "pre = matches[5]"),
    Break("go-version", "version.go", 183, "return 1", "return -1"),
    Break("go-version", "version.go", 226, "lhs < rhs", "lhs > rhs"),
    Break("go-version", "version.go", 129, "segments[i] = val", "segments[i+1] = val"),
    Break("go-version", "constraint.go", 249, "return !v.Equal(c)", "return v.Equal(c)"),
    Break("vary", "index.js", 55, "contains an invalid header name", "has an invalid name"),
    Break("vary", "index.js", 80, "val + ', ' + fields[i]", "val + ',' + fields[i]"),
    Break("vary", "index.js", 111, "start = end = i + 1", "start = end = i"),
    Break("vary", "index.js", 146, "val = append(header, field)", "val = apend(header, field)"),
    Break("fresh", "index.js", 65, " || 'W/' + match === etag", ""),
    Break("fresh", "index.js", 76, "<= parseHttpDate", "< parseHttpDate"),
    Break("fresh", "index.js", 94, "Date.parse(date)", "Date.prase(date)"),
)  # fmt: skip
