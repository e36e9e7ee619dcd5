"""The Review page as a reviewer uses it (issue 17): the asker's comment reaches them, every decision is
confirmed after the page's rerun, a rejection is asked again first, the audit trail and the item's signals read
plainly, and unscored cells say so."""

from __future__ import annotations

import pytest

from tests.app.test_pages import open_item, queue_item, texts

pytestmark = pytest.mark.slow


def button(at, label: str):
    return next(b for b in at.button if b.label == label)


def thumbs_down(at, question: str, comment: str) -> str:
    """Ask ``question`` in the chat, give its answer a thumbs-down with ``comment``; returns the answer's id."""
    at.chat_input[0].set_value(question).run()
    at.run()  # the conversation as the page shows it after the answer
    vote = [f for f in at.get("feedback") if (f.key or "").startswith("vote-")][-1]
    message_id = vote.key.removeprefix("vote-")
    vote.set_value(0).run()
    next(t for t in at.text_input if t.key == f"comment-{message_id}").input(comment).run()
    assert not at.exception, at.exception
    return message_id


def test_the_askers_comment_reaches_the_reviewer_and_the_asker_sees_it_sent(app, app_env):
    from docent.review.queue import ReviewQueue

    at = app("rita")
    message_id = thumbs_down(at, "How many days may be carried over into the next year?", "misses the cap for managers")
    assert [t.value for t in at.toast] == ["Your comment was sent to the reviewers."]
    assert "your comment was sent" in texts(at)
    item = ReviewQueue(app_env["state_url"]).for_message(message_id)

    at.switch_page("pages/review.py").run()
    row = at.dataframe[0].value.set_index("id").loc[item.id]
    assert row["asker's comment"] == "misses the cap for managers (rita)"
    open_item(at, item.id)
    (said,) = [w.value for w in at.warning if "thumbs-down" in w.value]
    assert "**rita**" in said and "misses the cap for managers" in said


def test_release_approve_and_reject_are_confirmed_after_the_rerun_and_a_rejection_is_asked_first(app, app_env):
    from docent.review.queue import ReviewQueue

    queue = ReviewQueue(app_env["state_url"])
    first, second = queue_item(app_env), queue_item(app_env)
    at = open_item(app("rita"), first)
    button(at, "Claim").click().run()
    button(at, "Release").click().run()
    assert [t.value for t in at.toast] == [f"Item {first} released back to the queue."]
    assert queue.get(first).claimed_by is None

    button(at, "Claim").click().run()
    next(s for s in at.selectbox if s.label == "Why").select("incomplete")
    button(at, "Reject this answer").click().run()
    assert queue.get(first).status == "pending"  # asked first
    assert any(f"Reject item {first} as **incomplete**?" in w.value for w in at.warning)
    button(at, "Cancel").click().run()
    assert queue.get(first).status == "pending" and not any("Reject item" in w.value for w in at.warning)
    button(at, "Reject this answer").click().run()
    button(at, "Yes, reject it").click().run()
    assert not at.exception, at.exception
    assert queue.get(first).status == "rejected" and queue.get(first).reject_category == "incomplete"
    assert [t.value for t in at.toast] == [f"Item {first} rejected (incomplete)."]

    at = open_item(at, second)
    button(at, "Claim").click().run()
    area = next(t for t in at.text_area if t.label.startswith("Answer to approve"))
    area.input(area.value.replace("weeks", "weeks of paid leave", 1))
    button(at, "Approve").click().run()
    assert [t.value for t in at.toast] == [
        f"Item {second} corrected and approved: it now serves as a curated answer and joins the golden set."]
    assert queue.get(second).status == "approved"


def test_the_audit_trail_says_who_did_what_and_shows_the_correction_as_a_diff(app, app_env):
    from docent.review.queue import ReviewQueue

    item_id = queue_item(app_env)
    at = open_item(app("rita"), item_id)
    button(at, "Claim").click().run()
    area = next(t for t in at.text_area if t.label.startswith("Answer to approve"))
    area.input(area.value.replace("weeks", "weeks of paid leave", 1))
    button(at, "Approve").click().run()
    at = app("rita").switch_page("pages/review.py").run()
    next(s for s in at.selectbox if s.label == "Status").select("approved").run()
    next(s for s in at.selectbox if s.label == "Open item").select(item_id).run()
    trail = next(d.value for d in at.dataframe if list(d.value.columns) == ["when", "who", "what"])
    assert trail["who"].tolist() == ["rita", "rita"]
    assert trail["what"].iloc[0].startswith("claimed it (until ") and trail["what"].iloc[1] == "corrected the answer and approved it"
    (diff,) = [m.value for m in at.markdown if "<ins" in m.value]
    assert "of paid leave</ins>" in diff and "<del" not in diff
    assert ReviewQueue(app_env["state_url"]).get(item_id).status == "approved"


def test_a_cached_answer_shows_the_index_version_it_came_from_and_a_readable_relevance(app, app_env):
    from docent.index.versions import IndexVersions
    from docent.review.queue import ReviewQueue

    question = "Which expenses need a receipt?"
    app("rita").chat_input[0].set_value(question).run()  # answered, then cached
    at = app("rita")  # a new conversation (a follow-up in the same one has its own cache scope)
    message_id = thumbs_down(at, question, "served twice")  # answered from the cache
    item = ReviewQueue(app_env["state_url"]).for_message(message_id)
    assert item.cache_hit
    live = IndexVersions(app_env["state_url"]).live().version
    assert item.index_version == live

    at.switch_page("pages/review.py").run()
    assert at.dataframe[0].value.set_index("id").loc[item.id, "grounding"] == "—"  # a cached answer is not re-grounded
    open_item(at, item.id)
    (header,) = [c for c in at.caption if "top source relevance" in c.value]
    assert f"index version `{live}`" in header.value and "served from cache" in header.value
    relevance = float(header.value.split("top source relevance ")[1].split()[0])
    assert 0 <= relevance <= 1
    assert "0.5 is an average candidate" in header.proto.help and f"Raw hybrid score: {item.retrieval_score:.2f}" in header.proto.help


def test_an_analyst_reads_the_askers_comment_but_not_who_gave_it(app, app_env):
    """Analysts may read the queue (its quality), not who asked what: the comment shows, the asker's name does not."""
    from docent.review.queue import ReviewQueue

    message_id = thumbs_down(app("mo"), "How many days may be carried over into the next year?", "wrong year")
    item = ReviewQueue(app_env["state_url"]).for_message(message_id)

    at = app("ann")
    at.switch_page("pages/review.py").run()
    row = at.dataframe[0].value.set_index("id").loc[item.id]
    assert row["asker's comment"] == "wrong year (An asker)"
    open_item(at, item.id)
    (said,) = [w.value for w in at.warning if "thumbs-down" in w.value]
    assert "wrong year" in said and "mo" not in said.replace("thumbs-down", "")
