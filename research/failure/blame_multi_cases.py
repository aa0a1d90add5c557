"""The multi-file blame set: changes that touch two or three files, of which one or two break.

Frozen before it was first scored (issue 53: the one-line set cannot tell whether the blame
picks the right one of several changed lines). Each change is one commit of several edits
(:class:`~blame_cases.Break`, each naming its line): a break beside a harmless edit in another
source file (a reworded comment, an equivalent rewrite), a break in a helper the failing tests
reach only through another module, or two breaks in two files (either line is right). The
truth is the line of each edit in ``causes``. Projects not used before here: tkem/cachetools
(Python, pytest), Masterminds/semver (Go). ``blame_set.py --multi`` builds them.
"""

from __future__ import annotations

from dataclasses import dataclass

from blame_cases import Break, Project


@dataclass(frozen=True)
class Change:
    """One commit of several edits; ``causes``: the indexes of the edits that break."""

    name: str
    project: str
    edits: tuple[Break, ...]
    causes: tuple[int, ...] = (0,)


PROJECTS = {
    p.name: p
    for p in (
        Project("cachetools", "tkem/cachetools",
                "28d4506f2a49d781ffbcecb095fa7aba5bb80aff", "python",
                "PYTHONPATH=src python -m pytest -p no:cacheprovider tests"),
        Project("msemver", "Masterminds/semver",
                "71f2b39f5a1f18100def1d01ef4f59576e4c6da2", "go", "go test ./...",
                setup={"go.mod": "module github.com/Masterminds/semver/v3\n\ngo 1.19\n"}),
    )
}  # fmt: skip

_K, _I, _F, _C = (f"src/cachetools/{n}.py" for n in ("keys", "__init__", "func", "_cached"))
_V, _CO, _CL = "version.go", "constraints.go", "collection.go"
CHANGES = (
    # cachetools: the key helpers are reached through the decorators (_cached.py, func.py)
    Change("ct-hashkey+comment", "cachetools", (
        Break("cachetools", _K, 43, "return _HashedTuple(args)", "return _HashedTuple(args[1:])"),
        Break("cachetools", _F, 27, "# like functools.lru_cache", "# as functools.lru_cache"),
    )),
    Change("ct-size+comment", "cachetools", (
        Break("cachetools", _I, 81, "if size > maxsize:", "if size >= maxsize:"),
        Break("cachetools", _K, 32, "A sentinel for separating", "A marker separating"),
    )),
    Change("ct-evict+rewrite", "cachetools", (
        Break("cachetools", _K, 55, "tuple(sorted(kwargs.items()))",
              "tuple(sorted(kwargs.items(), key=None))"),
        Break("cachetools", _I, 84, "self.__currsize + size > maxsize",
              "self.__currsize + size >= maxsize"),
    ), causes=(1,)),
    Change("ct-typed+fifo", "cachetools", (
        Break("cachetools", _K, 60, "tuple(type(v) for v in args)", "tuple(v for v in args)"),
        Break("cachetools", _I, 188, "next(iter(self.__order))", "next(reversed(self.__order))"),
    ), causes=(0, 1)),
    Change("ct-keychoice+comment", "cachetools", (
        Break("cachetools", _F, 30, "keys.typedkey if typed else keys.hashkey",
              "keys.hashkey if typed else keys.typedkey"),
        Break("cachetools", _I, 111, "# Note that we cannot", "# Note: we cannot"),
    )),
    Change("ct-wrapper+doc", "cachetools", (
        Break("cachetools", _K, 38, "Return a cache key", "Return the cache key"),
        Break("cachetools", _C, 62, "k = key(*args, **kwargs)", "k = key(*args)"),
    ), causes=(1,)),
    # Masterminds/semver: compareSegment and comparePrePart are reached through Compare and
    # the constraint checks
    Change("ms-segment+comment", "msemver", (
        Break("msemver", _V, 604, "if v < o {", "if v <= o {"),
        Break("msemver", _CO, 326, "// Exit early if", "// Return early if"),
    )),
    Change("ms-prepart+rewrite", "msemver", (
        Break("msemver", _V, 617, 'strings.Split(v, ".")', 'strings.SplitN(v, ".", -1)'),
        Break("msemver", _V, 690, "if s > o {", "if s < o {"),
        Break("msemver", _CL, 3, "// Collection is a collection", "// Collection holds"),
    ), causes=(1,)),
    Change("ms-less+comment", "msemver", (
        Break("msemver", _V, 511, "// Compare the major", "// Compare major"),
        Break("msemver", _CO, 414, "v.Compare(c.con) < 0", "v.Compare(c.con) <= 0"),
    ), causes=(1,)),
    Change("ms-equal+gte", "msemver", (
        Break("msemver", _V, 607, "if v > o {", "if v >= o {"),
        Break("msemver", _CO, 429, "v.Compare(c.con) >= 0", "v.Compare(c.con) > 0"),
    ), causes=(0, 1)),
    Change("ms-numeric+comment", "msemver", (
        Break("msemver", _V, 702, "if si > oi {", "if si < oi {"),
        Break("msemver", _CO, 365, "// Exit early if", "// Leave early if"),
    )),
)  # fmt: skip
