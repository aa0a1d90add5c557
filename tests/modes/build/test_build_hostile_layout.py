"""Attacks on the image layout reader with a hand-written layout (a ``base-image`` OCI folder or
tar): JSON of the wrong types, nested past the parser's depth, an index naming itself. Each is
refused as an image that cannot be read, never a crash or a run that never ends."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cicd_agent.modes.build.oci import read_layout
from cicd_agent.modes.build.tree import TreeError

SELF = "a" * 64


def layout(folder: Path, blob: str) -> Path:
    """A layout whose index names one blob, ``sha256:aaa…``, holding ``blob``."""
    (folder / "blobs" / "sha256").mkdir(parents=True)
    (folder / "blobs" / "sha256" / SELF).write_text(blob)
    (folder / "index.json").write_text(json.dumps({"manifests": [{"digest": f"sha256:{SELF}"}]}))
    return folder


@pytest.mark.parametrize(
    ("blob", "why"),
    [
        (json.dumps({"mediaType": ["x"], "manifests": []}), "media type"),
        ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
        ('{"config": {"digest": 1e999}}', "out of range|not valid JSON|cannot be read"),
    ],
    ids=["media-type-a-list", "nested-past-the-parser", "a-number-out-of-range"],
)
def test_attack_a_layout_of_json_the_reader_does_not_expect_is_refused(
    tmp_path: Path, blob: str, why: str
) -> None:
    """Before: a ``mediaType`` that is a list raised ``TypeError`` (unhashable) and a manifest
    nested 100,000 deep ``RecursionError``, out of the mode as a crash."""
    with pytest.raises(TreeError, match=why):
        read_layout(layout(tmp_path, blob))


@pytest.mark.timeout(20, method="thread")
def test_attack_an_index_that_names_itself_is_refused_not_followed_forever(
    tmp_path: Path,
) -> None:
    """A blob's name is not checked against its bytes, so an index can name its own file as
    its manifest. Before: the reader followed it forever (this test hung)."""
    index = json.dumps({"manifests": [{"digest": f"sha256:{SELF}"}]})
    with pytest.raises(TreeError, match="nest"):
        read_layout(layout(tmp_path, index))
