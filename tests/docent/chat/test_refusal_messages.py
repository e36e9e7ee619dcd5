"""A refused question gets a sentence for the asker (a capital, what to change, no setting's name); the log
names the setting for the admins."""

from __future__ import annotations

import logging
import re

import pytest

from docent.chat.service import ChatRequestError
from docent.devtools.hostile import encoded, page
from tests.principals import ASKER

PICTURE = encoded(page(["Hotel cap"], size=60), "PNG")


@pytest.mark.parametrize("setup, ask, setting", [
    ({}, dict(question="   "), None),
    ({}, dict(question="x" * 2001), "chat.max_question_chars"),
    ({}, dict(question="Where is\x1b[31m Lyon?"), None),
    ({}, dict(question="Where is Lyon?", conversation_id="no-such-conversation"), None),
    ({}, dict(question="Where is Lyon?", filters={"colour": "red"}), None),
    ({}, dict(question="Where is Lyon?", history=[("robot", "hi")]), None),
    ({"max_image_mb": 0.001}, dict(question="What is this?", picture=PICTURE), "chat.max_image_mb"),
    ({"max_streams_per_user": 1}, dict(question="two?"), "chat.max_streams_per_user"),
    ({"max_active_streams": 1}, dict(question="two?"), "chat.max_active_streams"),
], ids=["empty", "too-long", "control", "conversation", "filter", "history", "picture", "per-person", "process"])
def test_a_refusal_speaks_to_the_asker_and_the_log_to_the_admins(make_service, caplog, setup, ask, setting):
    service = make_service(**setup)
    if "max_streams_per_user" in setup or "max_active_streams" in setup:
        service.start(ASKER, "one?")  # the one answer allowed, still in progress
    with caplog.at_level(logging.INFO, logger="docent.chat"), pytest.raises(ChatRequestError) as refused:
        service.start(ASKER, **ask)
    message = str(refused.value)
    assert message[0].isupper() and message.endswith((".", "]")), message
    assert not re.search(r"\b(chat|retrieval|cache|review|embedding|state)\.[a-z_]+", message), message  # no setting
    if setting:
        assert setting in caplog.text, caplog.text
