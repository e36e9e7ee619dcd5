"""Every page through Streamlit's AppTest: sign-in, chat, review actions and roles, ingestion, users."""

from __future__ import annotations

import pytest

from tests.principals import ASKER

pytestmark = pytest.mark.slow

QUESTION = "How many weeks of parental leave does the secondary caregiver get?"


def texts(at) -> str:
    return "\n".join(m.value for m in at.markdown) + "\n".join(c.value for c in at.caption)


def test_without_a_session_the_app_shows_only_the_way_to_sign_in(app):
    at = app()
    assert at.title[0].value == "Docent"
    assert "Sign in to use Docent" in at.info[0].value
    assert 'href="/auth/sign-in"' in texts(at) and not at.chat_input


def test_a_session_lets_its_user_in_until_it_is_revoked_elsewhere(app):
    """The Sign out button itself is clicked in the real-browser test (tests/e2e/test_browser_sessions.py)."""
    from docent.review.sessions import Sessions
    from docent.settings import load_settings

    at = app("rita")
    assert at.title[0].value == "Chat" and "Signed in as **rita**" in at.sidebar.caption[0].value
    Sessions.for_settings(load_settings()).revoke(at.session_state["session_token"])  # signed out in another tab
    at.run()
    assert "You have signed out" in at.info[0].value and not at.chat_input


def test_a_forged_session_token_is_refused_and_recorded(app, app_env):
    from docent.store.audit import AuditLog

    at = app()
    at.session_state["session_token"] = app.session_for("rita")[:-4] + "AAAA"
    at.run()
    assert "could not be verified" in at.info[0].value and not at.chat_input
    assert AuditLog(app_env["state_url"]).recent(1)[0].reason == "forged"


def test_chat_streams_an_answer_with_its_sources(app):
    at = app("rita")
    at.chat_input[0].set_value(QUESTION).run()
    assert not at.exception, at.exception
    assert "8 weeks" in texts(at)
    assert any(e.label.startswith("[1] employee-handbook.md") for e in at.expander)
    assert at.session_state["conversation"]


def test_a_member_asks_and_never_sees_another_persons_conversations(app):
    rita = app("rita")
    rita.chat_input[0].set_value(QUESTION).run()
    theirs = rita.session_state["conversation"]
    at = app("mo")
    assert not at.exception, at.exception
    for page in ("review", "ingestion", "evaluation", "users"):  # a member is offered the chat only
        with pytest.raises(ValueError, match="Could not find a navigation page"):
            app("mo").switch_page(f"pages/{page}.py")
    sidebar = [b.label for b in at.sidebar.button]
    assert not any(label.startswith("How many weeks") for label in sidebar), sidebar  # rita's is not listed
    at.session_state["conversation"] = theirs  # a forged id, as a deep link would carry
    at.run()
    assert not at.exception, at.exception
    assert "8 weeks" not in texts(at) and not at.chat_message  # nothing of hers is shown
    at.chat_input[0].set_value("What is the hotel cap in New York?").run()  # asking starts a conversation of his own
    assert at.session_state["conversation"] != theirs
    again = app("rita")
    assert any(label.startswith("How many weeks") for label in [b.label for b in again.sidebar.button])


def queue_item(app_env) -> int:
    """An answer sent to review (as a thumbs-down would), made with the core directly."""
    from docent.review.actions import send_to_review
    from docent.review.queue import ReviewQueue
    from docent.settings import load_settings
    from docent.workspace import Workspace

    ws = Workspace(load_settings(data_dir=app_env["DOCENT_DATA_DIR"], embedding={"backend": "torch"}))
    service = ws.chat
    message_id = service.start(ASKER, QUESTION)
    from docent.chat.sync import iter_events

    list(iter_events(service, ASKER, message_id))
    service.finalizer.flush(30)
    return send_to_review(service.store, ReviewQueue(app_env["state_url"]), message_id)


def open_item(at, item_id: int):
    at.switch_page("pages/review.py").run()
    box = next(s for s in at.selectbox if s.label == "Open item")
    box.select(item_id).run()
    return at


def test_a_reviewer_claims_edits_and_approves_an_item_and_the_audit_records_it(app, app_env):
    from docent.review.queue import ReviewQueue

    item_id = queue_item(app_env)
    at = open_item(app("rita"), item_id)
    assert not at.exception, at.exception
    next(b for b in at.button if b.label == "Claim").click().run()
    area = next(t for t in at.text_area if t.label.startswith("Answer to approve"))
    corrected = area.value.replace("Acme offers", "Acme gives")
    area.input(corrected)
    next(b for b in at.button if b.label == "Approve").click().run()
    item = ReviewQueue(app_env["state_url"]).get(item_id)
    assert item.status == "approved" and item.decided_by == "rita" and item.final_answer == corrected
    actions = [a.action for a in ReviewQueue(app_env["state_url"]).audit(item_id)]
    assert actions == ["claim", "edit"]


def test_a_reviewer_rejects_with_a_reason(app, app_env):
    from docent.review.queue import ReviewQueue

    item_id = queue_item(app_env)
    at = open_item(app("rita"), item_id)
    next(b for b in at.button if b.label == "Claim").click().run()
    next(s for s in at.selectbox if s.label == "Why").select("unsupported")
    next(t for t in at.text_area if t.label == "Note").input("cites the sick-leave section")
    next(b for b in at.button if b.label == "Reject this answer").click().run()
    next(b for b in at.button if b.label == "Yes, reject it").click().run()  # a rejection is asked first
    item = ReviewQueue(app_env["state_url"]).get(item_id)
    assert item.status == "rejected" and item.reject_category == "unsupported"


def test_only_reviewers_decide_and_only_admins_manage_users(app, app_env):
    item_id = queue_item(app_env)
    analyst = open_item(app("ann"), item_id)
    assert not any(b.label == "Claim" for b in analyst.button)
    assert "Only reviewers can claim" in analyst.info[0].value
    admin = open_item(app("ada"), item_id)
    assert not any(b.label == "Claim" for b in admin.button)  # admins manage; reviewers approve
    users = app("ada").switch_page("pages/users.py").run()
    assert users.title[0].value == "Users" and not users.exception
    with pytest.raises(ValueError, match="Could not find a navigation page"):  # not even offered to a reviewer
        app("rita").switch_page("pages/users.py")


def test_ingestion_page_shows_counts_and_the_quarantined_file(app):
    at = app("rita").switch_page("pages/ingestion.py").run()
    assert not at.exception, at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Indexed documents"] == "10" and metrics["Quarantined"] == "1"
    (shown,) = at.dataframe[0].value["document"]
    assert shown == "broken scan.pdf"  # its path within its source as the user wrote it, not a server path or URI
    scanned = at.dataframe[1].value
    assert list(scanned["document"].str.rsplit("/", n=1).str[-1]) == ["receipt.png"]
    assert scanned["OCR pages"].tolist() == [1] and scanned["OCR confidence"].iloc[0] > 80
    assert any(b.label == "Retry quarantined documents" for b in at.button)


def test_a_thumbs_down_is_recorded_and_sends_the_answer_to_review(app, app_env):
    from docent.review.feedback import FeedbackStore
    from docent.review.queue import ReviewQueue

    at = app("rita")
    at.chat_input[0].set_value("What is the hotel cap in New York?").run()
    at.run()  # the conversation as the page shows it after the answer
    vote = next(f for f in at.get("feedback") if (f.key or "").startswith("vote-"))
    message_id = vote.key.removeprefix("vote-")
    vote.set_value(0).run()
    assert not at.exception, at.exception
    assert "a reviewer will look at this answer" in texts(at)
    (feedback,) = FeedbackStore(app_env["state_url"]).for_message(message_id)
    assert feedback.rating == -1 and feedback.username == "rita"
    assert ReviewQueue(app_env["state_url"]).for_message(message_id).reason == "feedback"


def test_a_picture_attached_to_a_question_is_read_and_shown(app):
    from docent.devtools.hostile import encoded, page

    at = app("rita")
    screenshot = encoded(page(["What is the hotel cap in New York?"], size=60), "PNG")
    at.chat_input[0].set_value("Can you answer this?").upload("question.png", screenshot, "image/png").run()
    assert not at.exception, at.exception
    at.run()
    assert "$325" in texts(at)
    (shown,) = [e for e in at.main if e.type == "image"]  # the picture stays beside its question after the answer
    assert "attached picture" in " ".join(shown.captions)
