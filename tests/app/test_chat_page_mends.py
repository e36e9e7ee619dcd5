"""The Chat page's conversation list and question input, through Streamlit's AppTest (issue 17, items 6-7)."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.slow

LONG = "How many weeks of parental leave does the secondary caregiver get at Acme Robotics?"


def conversations(at) -> list:
    return [b for b in at.sidebar.button if (b.key or "").startswith("conv-")]


def marked(at) -> list[str]:
    """The ids of the conversations the list marks as open."""
    return [b.key.removeprefix("conv-") for b in conversations(at) if b.proto.type == "primary"]


def test_the_list_cuts_titles_at_a_word_dates_them_tells_twins_apart_and_marks_the_open_one(app):
    at = app("ann")
    at.chat_input[0].set_value(LONG).run()
    first = at.session_state["conversation"]
    next(b for b in at.sidebar.button if b.label == "New conversation").click().run()
    assert marked(at) == [] and not at.chat_message
    at.chat_input[0].set_value(LONG).run()  # the same question again: a twin title
    second = at.session_state["conversation"]
    assert not at.exception, at.exception
    assert marked(at) == [second]

    twins = [b.label for b in conversations(at) if b.key.removeprefix("conv-") in (first, second)]
    assert len(set(twins)) == 2, twins
    for label in twins:
        title, when = label.split(" · ")
        assert title.endswith("…") and len(title) <= 40 and LONG[len(title) - 1] == " ", title  # cut at a word
        assert re.fullmatch(r"\d{1,2} [A-Z][a-z]{2} \d\d:\d\d( \(2\))?", when), when

    at.button(key=f"conv-{first}").click().run()  # the mark follows the click at once, not a rerun later
    assert at.session_state["conversation"] == first and marked(at) == [first]
    assert LONG in [m.value for m in at.markdown]


def test_the_input_is_limited_and_a_refused_question_stays_in_it(app):
    at = app("ann")
    assert at.chat_input[0].proto.max_chars == 2000  # chat.max_question_chars: the widget stops the typing
    typed = "Where is the Lyon lab?\x1b[31m"  # pasted from a terminal: refused
    at.chat_input[0].set_value(typed).run()
    assert not at.exception, at.exception
    (error,) = at.error
    assert error.value.startswith("The question holds control characters") and "chat." not in error.value
    assert at.chat_input[0].proto.value == typed and at.chat_input[0].proto.set_value  # kept, to be mended
    assert not at.chat_message  # nothing was asked
