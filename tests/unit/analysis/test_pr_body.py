"""Our one section of a pull request's body: the author's text is never touched."""

from __future__ import annotations

from cicd_agent.analysis.pr_body import END, digest, find_ours, place, section

AUTHOR = "Fixes #12.\r\n\r\nSteps:\r\n- run `make`\r\n\r\n<details>notes</details>\r\n"


def test_the_first_section_is_appended_after_the_untouched_author_text() -> None:
    placed = place(AUTHOR, 7, "described", placed=())
    assert placed.body.startswith(AUTHOR) and placed.body.endswith(END)
    assert not placed.replaced and placed.digest == digest(7, "described")


def test_our_recorded_section_is_replaced_and_everything_around_it_kept() -> None:
    first = place(AUTHOR, 7, "old text", placed=())
    after = "\n\nAuthor wrote this later, below our section."
    body = first.body + after
    second = place(body, 7, "new text", placed=[first.digest])
    assert second.replaced
    assert second.body == AUTHOR + "\n\n" + section(7, "new text") + after
    assert "old text" not in second.body


def test_fake_markers_in_the_authors_text_are_left_byte_for_byte() -> None:
    ours = place("", 7, "ours", placed=())
    # A marker without a digest, one with a wrong digest, and a self-consistent forgery with
    # the right digest for its text that we never recorded: all the author's.
    forged = section(7, "the author's own words")
    body = (
        "<!-- cicd-agent:describe:start -->keep 1<!-- cicd-agent:describe:end -->\n"
        f"<!-- cicd-agent:describe:start {'0' * 64} -->\nkeep 2\n{END}\n"
        f"{forged}\n"
        f"{ours.body}\n"
        "tail"
    )
    replaced = place(body, 7, "fresh", placed=[ours.digest])
    assert replaced.replaced
    assert replaced.body == body.replace(ours.body, section(7, "fresh"))
    assert forged in replaced.body and "keep 1" in replaced.body and "keep 2" in replaced.body

    # Without our recorded digest nothing is replaced: ours is appended, all else kept.
    appended = place(body, 7, "fresh", placed=[digest(7, "the author's own words")[::-1]])
    assert appended.body.startswith(body) and not appended.replaced


def test_a_section_the_author_edited_or_copied_from_another_pull_request_is_theirs() -> None:
    ours = place("", 7, "ours", placed=())
    edited = ours.body.replace("ours", "ours, and my edit")
    assert find_ours(edited, 7, [ours.digest]) is None
    assert find_ours(ours.body, 8, [ours.digest]) is None  # same text, another pull request


def test_a_body_saved_by_githubs_editor_with_crlf_still_finds_our_section() -> None:
    ours = place("intro", 7, "line one\nline two", placed=())
    crlf = ours.body.replace("\n", "\r\n")
    again = place(crlf, 7, "updated", placed=[ours.digest])
    assert again.replaced and again.body.startswith("intro\r\n\r\n")


