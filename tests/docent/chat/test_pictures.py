"""Questions with a picture: its OCR text joins the search and the question; a model that reads
images gets the picture itself as a content part (asserted at the fake OpenAI-compatible server,
over litellm's real HTTP path); bad pictures are refused before anything is recorded."""

from __future__ import annotations

import uuid

import pytest

from docent.chat.service import ChatRequestError
from docent.devtools.fake_llm_server import fake_model
from docent.devtools.hostile import encoded, page, png_header
from tests.docent.chat.conftest import collect
from tests.principals import ASKER

pytestmark = pytest.mark.slow

SCREENSHOT = encoded(page(["Booking rejected: the nightly rate for New York", "is over the hotel cap."], size=60), "PNG")


def ask_with_picture(service, question: str, picture: bytes):
    async def run():
        message_id = service.start(ASKER, question, picture=picture)
        return message_id, [event async for event in service.stream(ASKER, message_id)]

    import asyncio

    return asyncio.run(run())


@pytest.mark.parametrize("vision", ["on", "off"])
def test_the_model_gets_the_pictures_text_and_if_it_reads_images_the_picture(make_service, fake_llm, vision):
    run = uuid.uuid4().hex[:8]
    service = make_service(model=fake_model(run=run, tokens=5), api_base=fake_llm.base_url, api_key="fake", vision=vision)
    message_id, events = ask_with_picture(service, "Why was this rejected?", SCREENSHOT)
    assert events[-1].kind == "final" and events[-1].state == "completed"
    (request,) = fake_llm.requests(run=run)
    text = request["user_parts"][0]["text"]
    assert "Question: Why was this rejected?" in text
    assert ("Text in the picture attached to the question: Booking rejected: the nightly rate for New York is over "
            "the hotel cap.") in text
    assert "$325 per night" in text  # the search read the picture: the New York cap is among the sources
    images = [p for p in request["user_parts"] if p["type"] == "image_url"]
    if vision == "on":
        assert images == [{"type": "image_url", "head": "data:image/png;base64", "length": images[0]["length"]}]
        assert images[0]["length"] > len(SCREENSHOT)  # the whole picture, base64-encoded
    else:
        assert images == []
    assert service.finalizer.flush(30)
    assert "hotel cap" in service.store.retrieval_for(message_id)["query"]


def test_the_local_model_answers_from_the_pictures_text(make_service):
    service = make_service()
    forwarded = encoded(page(["What is the hotel cap in New York?"], size=60), "JPEG")  # a screenshot of a chat
    _, events = ask_with_picture(service, "Can you answer this?", forwarded)
    assert events[-1].state == "completed"
    assert "$325" in events[-1].text and "[" in events[-1].text


def test_a_tiff_is_sent_as_png(make_service, fake_llm):
    run = uuid.uuid4().hex[:8]
    service = make_service(model=fake_model(run=run, tokens=3), api_base=fake_llm.base_url, api_key="fake", vision="on")
    ask_with_picture(service, "What does it say?", encoded(page(["Hotel cap"]), "TIFF"))
    (request,) = fake_llm.requests(run=run)
    assert request["user_parts"][1]["head"] == "data:image/png;base64"


@pytest.mark.parametrize("picture, limit_mb, message", [
    (b"%PDF-1.4 not a picture", 10, "The attachment cannot be used: not a readable image"),
    (png_header(50_000, 50_000), 10, "image too large"),
    (SCREENSHOT, 0.01, "the limit is 0.01 MB: attach a smaller one."),
])
def test_bad_pictures_are_refused_before_anything_is_recorded(make_service, picture, limit_mb, message):
    service = make_service(max_image_mb=limit_mb)
    with pytest.raises(ChatRequestError, match=message.replace("(", r"\(").replace(")", r"\)")):
        service.start(ASKER, "What is this?", picture=picture)
    assert service.store.list_conversations({ASKER.id}) == []  # nothing recorded


def test_a_pictures_answer_is_never_cached_for_the_same_words_without_it(make_service, tmp_path):
    from docent.chat.answer_cache import SQLiteAnswerCache

    service = make_service(answer_cache=SQLiteAnswerCache(tmp_path / "answers.sqlite", ttl_s=3600))
    forwarded = encoded(page(["What is the hotel cap in New York?"], size=60), "PNG")
    _, with_picture = ask_with_picture(service, "Can you answer this?", forwarded)
    assert "$325" in with_picture[-1].text
    assert service.finalizer.flush(30)
    _, events = collect(service, "Can you answer this?")
    assert not events[-1].cache_hit and "$325" not in events[-1].text
