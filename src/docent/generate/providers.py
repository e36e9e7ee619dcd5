"""In-process litellm providers: ``register_provider("local", handler)`` makes ``local/<model>`` callable.

litellm routes ``<name>/<model>`` to a ``CustomLLM`` through ``litellm.custom_provider_map``; its
``custom_llm_setup()`` (run at the start of every call) copies the names into ``provider_list`` and
``_custom_providers``. We also run it here, so that ``get_llm_provider`` and the streaming wrapper
know the name before the first call. The map is replaced, never mutated, so a call iterating over
it in another thread sees either the old or the new list.

The helpers below build what a handler hands back: the filled ``ModelResponse`` and the
``GenericStreamingChunk`` dicts, with usage counted in words (in-process models have no tokenizer).
"""

from __future__ import annotations

import re
import threading

import litellm
from litellm import CustomLLM
from litellm.types.utils import GenericStreamingChunk, LlmProviders, ModelResponse, Usage
from litellm.utils import custom_llm_setup

_LOCK = threading.Lock()
_BUILTIN = frozenset(p.value for p in LlmProviders)


def register_provider(name: str, handler: CustomLLM) -> None:
    """Route ``<name>/<model>`` to ``handler`` (adds or replaces the entry; idempotent)."""
    if not name or "/" in name:
        raise ValueError(f"invalid provider name {name!r}")
    if name in _BUILTIN:  # litellm dispatches its own providers first: the handler would never run
        raise ValueError(f"{name!r} is a built-in litellm provider")
    with _LOCK:
        others = [item for item in litellm.custom_provider_map if item["provider"] != name]
        litellm.custom_provider_map = [*others, {"provider": name, "custom_handler": handler}]
        custom_llm_setup()


def words(text: str) -> list[str]:
    """``text`` as streamed tokens: each word keeps its trailing spaces, so they join back exactly."""
    return re.findall(r"^\s+|\S+\s*", text)


def prompt_tokens(messages: list[dict]) -> int:
    """Approximate prompt size, in words."""
    parts = (m.get("content") for m in messages)
    return sum(len(p.split()) if isinstance(p, str) else len(str(p).split()) for p in parts if p)


def usage(prompt: int, completion: int) -> dict[str, int]:
    return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}


def fill_response(response: ModelResponse, model: str, text: str, prompt: int) -> ModelResponse:
    """Complete litellm's pre-built ``ModelResponse`` with ``text`` and word-count usage."""
    response.model = model
    response.choices[0].message.content = text  # type: ignore[union-attr]
    response.choices[0].finish_reason = "stop"
    response.usage = Usage(**usage(prompt, len(text.split())))  # type: ignore[attr-defined]
    return response


def text_chunk(text: str) -> GenericStreamingChunk:
    return {"text": text, "is_finished": False, "finish_reason": "", "index": 0, "usage": None, "tool_use": None}


def final_chunk(prompt: int, completion: int) -> GenericStreamingChunk:
    """The closing chunk: litellm reads ``finish_reason`` and ``usage`` from it."""
    return {"text": "", "is_finished": True, "finish_reason": "stop", "index": 0,
            "usage": usage(prompt, completion), "tool_use": None}  # type: ignore[typeddict-item]
