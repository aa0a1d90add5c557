"""More attacks on the image reader's merge of layers, by someone who did not write it: each
compares our tree with the one umoci unpacks, or counts the work a hostile layer costs."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.modes.build.test_build_merge_attacks import BENIGN, dpkg_base, packages_of, the_status
from tests.modes.build.test_build_outside_attacks import (
    END,
    STATUS,
    layout,
    link,
    member,
    needs_umoci,
    ours,
    runtimes,
    whiteout,
)


@needs_umoci
@pytest.mark.parametrize(
    "taken_out",
    [whiteout(".wh.x") + END, member("x", b"")],
    ids=["by-a-whiteout-in-a-layer-between", "by-a-file-written-over-it"],
)
def test_a_link_written_where_a_folder_was_taken_out_leads_what_is_placed_under_it(
    tmp_path: Path, taken_out: bytes
) -> None:
    """``x/dpkg/keep`` made ``x`` a folder; once ``x`` is taken out and written again as a link
    to ``var/lib``, ``x/dpkg/status`` is ``var/lib/dpkg/status``. Before: the place found for
    ``x/dpkg`` while it was a folder was kept, the vulnerable status was filed at
    ``x/dpkg/status`` (a path the image does not hold) and the benign one reported."""
    lower = dpkg_base() + member("var/lib/dpkg/status", BENIGN) + member("x/dpkg/keep", b"") + END
    upper = link("x", "var/lib") + member("x/dpkg/status", STATUS) + END
    layers = [taken_out, upper] if taken_out.endswith(END) else [taken_out + upper]
    image = layout(tmp_path / "image", lower, *layers)
    assert ours(image) == runtimes(image)
    assert the_status(image) == STATUS
    assert packages_of(image) == ["openssl@3.0.0-1"]
