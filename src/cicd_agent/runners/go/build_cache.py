"""A build cache of the standard library, made once per process and go, and copied into each
run's home.

Every run has a fresh ``HOME``, so ``go test`` would find an empty build cache each time and
compile the standard library again: most of the CPU a small package's run costs. So the first Go
run of a process with a given go starts with one run of our own: a module we write (no file of
the pull request's), tested with the same flags as every run, in a workspace of its own, with
the job's go. Its cache, which then holds the standard library's compiled packages, is kept in a
folder of this process's own (read by no run, mounted in no sandbox) and each later run's fresh
home, in any sandbox, gets a copy of it. A copy, never a link: what a run writes into its cache
stays in its own home, so no candidate's run reads another's build, every run's evidence stays
its own, and no run, of any sandbox, changes what a later one starts from. Where our run fails
(a timeout), a sandbox's runs start empty, and the next sandbox tries again.
"""

from __future__ import annotations

import atexit
import os
import shutil
import stat
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path

from cicd_agent.sandbox import Sandbox, Workspace
from cicd_agent.sandbox.workspace import remove_tree

CACHE = Path(".cache") / "go-build"
"""Where go keeps its build cache under a run's ``HOME`` (``XDG_CACHE_HOME`` is ``HOME/.cache``)."""
_TRIED = "go-std-build-cache.tried"
"""Set in a sandbox's folder once it tried to make the cache: one try per sandbox."""
_LOCK = threading.Lock()
TEMPLATES: dict[tuple[str, int, int, int, int], Path] = {}
"""The caches our runs made in this process, by the go that made them: its path and which file
it is (device, inode, size, time changed), so another go's build starts from its own."""
_FOLDER: list[Path] = []
"""The process's own folder holding them, made on first need and removed at exit."""
MODULE = {
    "go.mod": "module cicdwarm\n\ngo 1.16\n",
    "warm/warm.go": "package warm\n\n// Twice doubles n.\nfunc Twice(n int) int { return 2 * n }\n",
    "warm/warm_test.go": (
        'package warm\n\nimport (\n\t"errors"\n\t"fmt"\n\t"math"\n\t"os"\n\t"reflect"\n'
        '\t"sort"\n\t"strconv"\n\t"strings"\n\t"testing"\n\t"time"\n)\n\n'
        "func TestTwice(t *testing.T) {\n"
        "\tgot := []string{strconv.Itoa(Twice(2)), fmt.Sprint(math.Abs(-1))}\n"
        "\tsort.Strings(got)\n"
        '\tif !reflect.DeepEqual(got, []string{"1", "4"}) || strings.TrimSpace(" x ") != "x" {\n'
        '\t\tt.Fatal(errors.New("twice"), os.Getpid(), time.Duration(0))\n\t}\n}\n'
    ),
}
"""Our module: a package and a test importing what Go tests most often do."""

Warm = Callable[[Sandbox, Workspace], object]
"""One run of ours in the workspace given, as every run of the runner is made."""


def seed(sandbox: Sandbox, space: Workspace, go: str, warm: Warm) -> None:
    """Give ``space``'s fresh home a copy of ``go``'s standard-library cache (made first, with
    ``warm`` in ``sandbox``, if no run made it yet). A home that already holds a cache folder (a
    run in this copy before) keeps its own, and one a run replaced (a link to a host folder) gets
    nothing: we write here as the host, never through a link."""
    try:
        home = os.lstat(space.home)
    except OSError:
        return
    if not stat.S_ISDIR(home.st_mode) or os.path.lexists(space.home / CACHE.parts[0]):
        return
    template = _template(sandbox, go, warm)
    if template is not None:
        (space.home / CACHE.parts[0]).mkdir()
        # Each file's bytes only: every run makes this copy of some 340 files, and copying each
        # one's times and mode as well cost a third more CPU (49 ms against 36 a copy); go reads
        # an entry by its name and bytes, its time only telling when to trim it, days unused.
        shutil.copytree(template, space.home / CACHE, symlinks=True, copy_function=shutil.copyfile)


def _template(sandbox: Sandbox, go: str, warm: Warm) -> Path | None:
    try:
        found = os.stat(go)
    except OSError:
        return None
    key = (os.path.realpath(go), found.st_dev, found.st_ino, found.st_size, found.st_ctime_ns)
    tried = sandbox.root / _TRIED
    with _LOCK:
        if key not in TEMPLATES and not tried.exists():
            tried.touch()
            template = _own_folder() / str(len(os.listdir(_own_folder())))
            _make(sandbox, warm, template)
            if template.is_dir():
                TEMPLATES[key] = template
        return TEMPLATES.get(key)


def _own_folder() -> Path:
    """The process's folder of caches (only its owner reads it), removed when it exits."""
    if not _FOLDER:
        _FOLDER.append(Path(tempfile.mkdtemp(prefix="cicd-agent-go-std-cache-")))
        atexit.register(remove_tree, _FOLDER[0])
    return _FOLDER[0]


def _make(sandbox: Sandbox, warm: Warm, template: Path) -> None:
    space = sandbox.workspace("go standard library cache")
    try:
        remove_tree(space.repo)  # the pull request's copy: none of it is built here
        for relative, text in MODULE.items():
            path = space.repo / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        warm(sandbox, space)
        built = space.home / CACHE
        if built.is_dir() and not built.is_symlink():
            shutil.copytree(built, template, symlinks=True)
    finally:
        remove_tree(space.root)
