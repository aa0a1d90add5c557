"""The build mode's pure pieces: an image's tree from its layers, the Dockerfile paired with the
history, BuildKit's cache read from its progress, where a build may run, the options."""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
import time
import tracemalloc
from pathlib import Path

import pytest

from cicd_agent.actions.errors import UsageError
from cicd_agent.job.resolve import load_event
from cicd_agent.modes.build.builder import build_environment
from cicd_agent.modes.build.buildx import buildkit_cached
from cicd_agent.modes.build.dockerfile import pair, parse
from cicd_agent.modes.build.layer_archive import Known, from_memory, read_tree
from cicd_agent.modes.build.layers import entries_differing, same_layer_files
from cicd_agent.modes.build.merge import merge
from cicd_agent.modes.build.oci import Step
from cicd_agent.modes.build.options import build_args, growth, size
from cicd_agent.modes.build.safety import inside, links_out, refusal
from cicd_agent.modes.build.tree import (
    FILE,
    SYMLINK,
    Bounds,
    Entry,
    Layer,
    TreeError,
    clean,
)


def test_a_later_layer_deletes_and_overwrites_and_the_tree_knows_each_version() -> None:
    tree = from_memory(
        [
            {"var/lib/dpkg/status": b"Package: a\n", "app/x": b"xx", "app/y": b"y"},
            {
                "app/x": None,
                "var/lib/dpkg/status": b"Package: a\n\nPackage: b\n",
                "l": "/etc/passwd",
            },
        ]
    )
    assert "app/x" not in tree.files and "app/y" in tree.files
    assert [entry.layer for entry in tree.versions("var/lib/dpkg/status")] == [0, 1]
    assert tree.read("var/lib/dpkg/status") == b"Package: a\n\nPackage: b\n"
    assert tree.read("l") is None  # a link is never followed
    assert tree.read("app/y") == b"y"  # not a record: read again from its layer


@pytest.mark.parametrize(
    ("opaque", "kept"),
    [
        ("etc/.wh..wh..opq", ["etc/c", "usr/a"]),
        (".wh..wh..opq", ["etc/c"]),
        ("./.wh..wh..opq", ["etc/c"]),
    ],
    ids=["a-folder", "the-root", "the-root-spelt-dot-slash"],
)
def test_attack_an_opaque_folder_hides_what_lower_layers_had_under_it(
    tmp_path: Path, opaque: str, kept: list[str]
) -> None:
    """An opaque whiteout hides its folder's lower contents, the root's every lower file (what
    a runtime shows: its files hide nothing of the same layer). Before: one at the root of a
    layer hid nothing, so the tree held files the running image does not."""
    layers = []
    for index, names in enumerate((["etc/a", "etc/b", "usr/a"], [opaque, "etc/c"])):
        path = tmp_path / f"{index}.tar"
        with tarfile.open(path, "w:gz") as archive:
            for name in names:
                info = tarfile.TarInfo(name)
                info.size = 1
                archive.addfile(info, io.BytesIO(b"x"))
        layers.append(path)
    assert sorted(read_tree(layers).files) == kept


def test_attack_a_layer_of_many_whiteouts_is_merged_in_time_proportional_to_it() -> None:
    """A ``RUN`` line that deletes each file of an earlier layer one by one (its folders kept)
    leaves a whiteout a file. Each whiteout was applied by a walk over the whole tree: 8,000
    took 3 CPU-s, 100,000 (a ``node_modules``) hours, a stall within the image bounds. Before:
    this merge of 30,000 took about a minute."""
    count = 30_000
    files = {f"app/d{n % 100}/f{n}": Entry(f"app/d{n % 100}/f{n}", 1, 0o644, FILE, "", 0)
             for n in range(count)}  # fmt: skip
    folders = {f"app/d{n}": Entry(f"app/d{n}", 0, 0o755, "dir", "", 0) for n in range(3)}
    kept = {"app/d0/keep": Entry("app/d0/keep", 1, 0o644, FILE, "", 1)}
    lower = Layer(0, (*folders.values(), *files.values()), count)
    upper = Layer(1, (*files, "app/d1", "app/d2/", *kept.values()), 1)
    started = time.process_time()
    merged = merge([lower, upper])
    assert time.process_time() - started < 5
    assert sorted(merged) == ["app/d0", "app/d0/keep", "app/d2"]  # an opaque folder stays


def test_a_layer_written_through_a_lower_link_is_where_a_runtime_puts_it() -> None:
    """dpkg's folder moved and linked back, then rewritten by a layer that names it by the
    link: the status is one file, every version of it listed where it is."""
    tree = from_memory(
        [
            {"opt/db/status": b"Package: a\n", "var/lib/dpkg": "../../opt/db"},
            {"var/lib/dpkg/status": b"Package: b\n", "var/lib/dpkg/new": b"x"},
            {"var/lib/dpkg/.wh.new": b"", "var/lib/dpkg/old": None},
        ]
    )
    assert sorted(tree.files) == ["opt/db/status", "var/lib/dpkg"]  # "new" whited out by it
    assert [entry.layer for entry in tree.versions("opt/db/status")] == [0, 1]
    assert tree.versions("var/lib/dpkg/status") == []
    assert tree.read("opt/db/status") == b"Package: b\n"


def test_links_that_make_the_merge_walk_without_end_stop_it() -> None:
    """Every entry placed through a link of 10,000 folders, and a link written over a folder
    between each so no place found is kept. Unbound, each entry walked 10,000 folders (a hundred
    million bytes of paths); now the merge stops within its bound of work an entry."""
    long = "/".join(["b"] * 10_000)
    entries = {"l": Entry("l", 0, 0o777, SYMLINK, long, 0)}
    for n in range(2_000):
        for path, kind, link in (
            (f"d{n}/f", FILE, ""),
            (f"d{n}", SYMLINK, "x"),
            (f"l/y{n}", FILE, ""),
        ):
            entries[path] = Entry(path, 0, 0o644, kind, link, 1)
    lower = Layer(0, (entries.pop("l"),), 0)
    started = time.process_time()
    with pytest.raises(TreeError, match="links lead through too many folders"):
        merge([lower, Layer(1, tuple(entries.values()), 0)])
    assert time.process_time() - started < 5


def test_a_layer_is_read_holding_only_what_the_tree_keeps(tmp_path: Path) -> None:
    """tarfile lists every member it reads (400 bytes apiece, 800 MB at the image's bound of
    2,000,000 files) for a lookup by name the reader never makes. Before: reading these 20,000
    entries peaked 7.9 MB above what the tree keeps."""
    path = tmp_path / "many.tar"
    with tarfile.open(path, "w") as archive:
        for number in range(20_000):
            archive.addfile(tarfile.TarInfo(f"d{number % 100}/f{number}"))
    tracemalloc.start()
    try:
        tree = read_tree([path])
        kept, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(tree.files) == 20_000 and peak - kept < 3_000_000


def test_names_never_climb_above_the_root() -> None:
    assert clean("../../etc/passwd") == "etc/passwd"
    assert clean("./a/../b/.bashrc") == "b/.bashrc"


def test_a_layer_of_too_many_files_stops_the_read(tmp_path: Path) -> None:
    path = tmp_path / "huge.tar"
    with tarfile.open(path, "w") as archive:
        for number in range(50):
            archive.addfile(tarfile.TarInfo(f"f{number}"), io.BytesIO(b""))
    with pytest.raises(TreeError, match="past 10 files"):
        read_tree([path], Bounds(entries=10))


def test_attack_a_layer_of_long_paths_stops_the_read_at_its_names_bound(tmp_path: Path) -> None:
    """Paths of 4 KB (sixteen folders of 250 bytes: a runtime unpacks them) in a layer of 2 MB
    gzipped: 50,000 of them took 708 MB and 32 s to read (load 10), about 28 GB at the bound of
    2 million entries. The bytes of the image's names are bound, as its files and bytes are;
    a layer under that bound reads as before."""
    folder = "/".join(["d" * 250] * 16)
    path = tmp_path / "long.tar"
    with tarfile.open(path, "w", format=tarfile.PAX_FORMAT) as archive:
        for number in range(300):
            archive.addfile(tarfile.TarInfo(f"{folder}/{number:04d}"))
            archive.addfile(_link(f"l{number:04d}", folder))
    with pytest.raises(TreeError, match="past 1048576 bytes of names"):
        read_tree([path], Bounds(names=1 << 20))
    assert len(read_tree([path], Bounds(names=4 << 20)).files) == 600
    assert Bounds().names <= 256 * 1024**2


def _link(name: str, target: str) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type, info.linkname = tarfile.SYMTYPE, target
    return info


def test_a_layer_another_image_shares_is_read_once_and_still_counts(tmp_path: Path) -> None:
    """The same blob at the same place in a second image of the run is taken from the first
    read; it still counts toward the second image's bounds, and once its layout is gone it is
    read again from where it is now."""
    first, second = tmp_path / "first", tmp_path / "second"
    for folder in (first, second):
        folder.mkdir()
        with tarfile.open(folder / "ab12", "w") as archive:
            for number in range(50):
                archive.addfile(tarfile.TarInfo(f"f{number}"), io.BytesIO(b""))
    known: Known = {}
    one = read_tree([first / "ab12"], known=known)
    two = read_tree([second / "ab12"], known=known)
    assert two.layers[0] is one.layers[0]
    with pytest.raises(TreeError, match="past 10 files"):
        read_tree([second / "ab12"], Bounds(entries=10), known=known)
    (first / "ab12").unlink()
    three = read_tree([second / "ab12"], known=known)
    assert three.layers[0] is not one.layers[0] and len(three.files) == 50
    assert known[("ab12", 0)][0] == second / "ab12"


def _layer(path: Path, files: dict[str, bytes], mode: str = "w", mtime: int = 0) -> Path:
    with tarfile.open(path, mode) as archive:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size, info.mtime = len(data), mtime
            archive.addfile(info, io.BytesIO(data))
    return path


def test_a_files_sha256_is_taken_from_its_place_when_asked_as_a_compressed_layer_gives_it(
    tmp_path: Path,
) -> None:
    """An uncompressed layer's files are not read as the layer is walked; asked for, each
    sha256 is the one of its bytes, the same as a gzip layer's taken while it was read."""
    files = {"a": b"x" * 3000, "b/c": b"hello", "empty": b"", "d": bytes(range(256)) * 9}
    plain = read_tree([_layer(tmp_path / "plain.tar", files)]).files
    packed = read_tree([_layer(tmp_path / "packed.tar.gz", files, "w:gz")]).files
    assert all(plain[name].hashed == "" for name in files)
    assert all(packed[name].hashed for name in files)
    for name, data in files.items():
        assert plain[name].digest == packed[name].digest == hashlib.sha256(data).hexdigest()


def test_a_layer_cut_inside_a_file_stops_the_read(tmp_path: Path) -> None:
    """Its files are hashed only when asked for; the walk itself finds every file's bytes there
    (tarfile reads the byte before each next header)."""
    path = _layer(tmp_path / "cut.tar", {"a": b"x" * 5000})
    path.write_bytes(path.read_bytes()[:2048])
    with pytest.raises(TreeError, match="not a readable archive"):
        read_tree([path])


def test_layers_differ_by_a_files_bytes_of_the_same_size_and_never_by_its_time(
    tmp_path: Path,
) -> None:
    first = read_tree([_layer(tmp_path / "1.tar", {"a": b"abc", "b": b"x"})]).layers[0]
    other = read_tree([_layer(tmp_path / "2.tar", {"a": b"abd", "b": b"x"})]).layers[0]
    later = read_tree([_layer(tmp_path / "3.tar", {"a": b"abc", "b": b"x"}, mtime=99)]).layers[0]
    longer = read_tree([_layer(tmp_path / "4.tar", {"a": b"abcd", "b": b"x"})]).layers[0]
    assert same_layer_files(first, later) and same_layer_files(first, first)
    assert not same_layer_files(first, other) and not same_layer_files(first, longer)
    assert not same_layer_files(first, None) and same_layer_files(None, None)
    assert entries_differing(first.entries, other.entries, ()) == ["a"]
    assert entries_differing(first.entries, longer.entries, ()) == ["a"]
    assert entries_differing(first.entries, later.entries, ()) == []


def test_heredocs_read_as_buildkit_reads_them_and_buildkit_writes_no_arg_entry() -> None:
    parsed = parse(
        "FROM scratch AS tools\nCOPY a /a\nFROM scratch\nARG V=1\nRUN <<EOF\necho 1\necho 2\n"
        "EOF\nENV X=1\nCOPY --from=tools /a /b\n"
    )
    stage = parsed.stage()
    assert [i.keyword for i in stage] == ["FROM", "ARG", "RUN", "ENV", "COPY"]
    assert (stage[2].line, stage[2].end_line) == (5, 8)
    history = [
        Step("base layer", 0),
        Step("RUN |1 V=1 /bin/sh -c ...", 1),
        Step("ENV X=1", None),
        Step("COPY /a /b", 2),
    ]
    paired = pair(stage, history)
    assert {stage[i].keyword: step.layer for i, step in paired.items()} == {
        "RUN": 1,
        "ENV": None,
        "COPY": 2,
    }


RAWJSON = [
    json.dumps({"vertexes": [{"digest": "sha256:1", "name": "[internal] load build definition"}]}),
    json.dumps(
        {
            "vertexes": [
                {
                    "digest": "sha256:2",
                    "name": "[app 2/4] COPY requirements.txt /app/",
                    "cached": True,
                },
                {"digest": "sha256:3", "name": "[builder 2/3] RUN make", "cached": True},
                {"digest": "sha256:4", "name": "[app 4/4] COPY . /app"},
            ]
        }
    ),
    "not json",
]


def test_buildkit_cache_hits_are_read_for_the_built_stage_alone() -> None:
    assert buildkit_cached(RAWJSON, "app") == frozenset({2})
    assert buildkit_cached(
        [json.dumps({"vertexes": [{"name": "[3/5] RUN x", "cached": True}]})], ""
    ) == frozenset({3})


def test_pull_request_target_and_a_forks_workflow_run_are_refused(tmp_path: Path) -> None:
    assert "pull_request_target" in refusal("pull_request_target", None)
    owner = {"login": "o", "id": 1, "type": "User"}
    run = {
        "id": 1,
        "workflow_id": 2,
        "head_sha": "a" * 40,
        "event": "pull_request",
        "html_url": "https://github.com/o/r/actions/runs/1",
        "head_repository": {"full_name": "fork/r", "name": "r", "owner": owner},
    }
    raw = {"workflow_run": run, "repository": {"full_name": "o/r", "name": "r", "owner": owner}}
    path = tmp_path / "event.json"
    path.write_text(json.dumps(raw))
    assert "fork" in refusal("workflow_run", load_event(path, "workflow_run"))
    run["head_repository"] = raw["repository"]
    path.write_text(json.dumps(raw))
    assert refusal("workflow_run", load_event(path, "workflow_run")) == ""
    assert refusal("pull_request", None) == ""


def test_a_context_link_that_climbs_out_of_the_context_is_refused(tmp_path: Path) -> None:
    """A link the export kept (it stays in the checkout) is still refused when it leads out
    of the context folder, to a file the build was not given, or round a loop of links; one
    that stays in the context is the context's own."""
    root = tmp_path / "export"
    context = root / "app"
    (context / "src").mkdir(parents=True)
    (root / "deploy-key").write_text("key")
    (context / "src" / "main.py").write_text("")
    (context / "key").symlink_to("../deploy-key")
    (context / "main").symlink_to("src/main.py")
    (context / "loop").symlink_to("loop")

    assert links_out(context, [], root) == ["app/key", "app/loop"]
    left_out = ["app/gone", "other/gone"]  # the export's: links out of the checkout
    assert links_out(context, left_out, root) == ["app/gone", "app/key", "app/loop"]


def test_the_builder_gets_no_variable_of_the_job(tmp_path: Path) -> None:
    env = build_environment(
        {"GITHUB_TOKEN": "ghs_x", "AWS_SECRET_ACCESS_KEY": "y", "DOCKER_HOST": "unix:///d.sock"}
    )
    assert set(env) == {"PATH", "HOME", "LANG", "DOCKER_HOST"}


def test_options_say_what_is_wrong() -> None:
    assert size("500MB", "size-limit") == 500_000_000
    assert size("1GiB", "size-limit") == 1024**3
    assert growth("10%").exceeded(1000, 101) and not growth("10%").exceeded(1000, 100)
    assert build_args("A=1, B=x=y\nC=") == (("A", "1"), ("B", "x=y"), ("C", ""))
    with pytest.raises(UsageError, match="NAME=VALUE"):
        build_args("TOKEN")  # a bare name would make docker read the job's environment
    with pytest.raises(UsageError, match="outside the checkout"):
        inside(Path("/r"), "../etc", "context")


def _git(repo: Path, *args: str) -> str:
    import subprocess

    return subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@t", *args],
        cwd=repo, check=True, capture_output=True, text=True,
    ).stdout.strip()  # fmt: skip


def test_attack_a_pull_request_cannot_bring_its_own_vulnerability_assessments(
    tmp_path: Path,
) -> None:
    """An OpenVEX file in the checkout is read from the base commit: the head's copy (which
    could mark its own new critical as not affecting) and a link it adds are never read."""
    from cicd_agent.local.checkout import GitCheckout
    from cicd_agent.modes.build.findings import assessments

    repo = tmp_path / "repo"
    repo.mkdir()
    _git(repo, "init", "-q")
    (repo / "vex.json").write_text('{"assessed": "by the team"}')
    _git(repo, "add", ".")
    _git(repo, "commit", "-qm", "base")
    base = _git(repo, "rev-parse", "HEAD")
    (repo / "vex.json").write_text('{"assessed": "by the pull request"}')
    secret = tmp_path / "outside.json"
    secret.write_text('{"host": "file"}')
    (repo / "linked.json").symlink_to(secret)
    _git(repo, "add", ".")
    _git(repo, "commit", "-qm", "head")
    checkout = GitCheckout(repo)

    assert assessments(checkout, repo / "vex.json", base) == b'{"assessed": "by the team"}'
    with pytest.raises(UsageError, match="not in the base commit"):
        assessments(checkout, repo / "linked.json", base)
    with pytest.raises(UsageError, match="no base that GitHub vouches for"):
        assessments(checkout, repo / "vex.json", None)
    assert assessments(checkout, secret, base) == b'{"host": "file"}'
    (tmp_path / "link-outside.json").symlink_to(secret)
    with pytest.raises(OSError):
        assessments(checkout, tmp_path / "link-outside.json", base)


def test_a_merge_queue_builds_its_group_against_the_target_branch(tmp_path: Path) -> None:
    """On a real ``merge_group`` payload the build compares the group's commit with its
    ``base_sha`` (the group's parent commit in GitHub's webhook schema: with two pull requests
    queued, the first one's group), not ``HEAD~1`` of whatever was checked out. The event is
    not refused: the group's head is built like any head, in its own storage with the
    builder's bare environment, and so is its base (not one GitHub vouches for)."""
    from cicd_agent.modes.build.collect import commits
    from tests.harness import payloads

    raw = payloads.example("merge_group")
    raw["merge_group"].update(base_sha="b" * 40, head_sha="2" * 40)
    path = tmp_path / "event.json"
    path.write_text(json.dumps(raw))
    event = load_event(path, "merge_group")

    assert refusal("merge_group", event) == ""
    assert commits(event, None, None) == ("2" * 40, "b" * 40)
    assert commits(event, "HEAD", "main") == ("HEAD", "main")  # what the step names wins
    assert commits(None, None, None) == ("HEAD", "")  # a local run: HEAD and its parent
