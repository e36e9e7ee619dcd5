"""Provider failures, mapped to a short code and a sentence a user can act on.

litellm already turns every provider's errors into OpenAI-style exception classes; this module
maps those classes (most specific first) to the ``failed(code)`` the chat records, and says
which codes are worth retrying before the first token.
"""

from __future__ import annotations

import asyncio

import litellm
import openai


class ProviderError(RuntimeError):
    """A model call that failed: ``code`` for the record, ``user_message`` for the person asking."""

    def __init__(self, code: str, user_message: str, detail: str = "", model: str = "",
                 retry_after_s: float | None = None):
        super().__init__(f"{code}: {detail or user_message}")
        self.code = code
        self.user_message = user_message
        self.detail = detail
        self.model = model
        self.retry_after_s = retry_after_s  # the provider's Retry-After (seconds), when it sent one


# What the person asking reads, per code; the app shows the same sentences for stored failures.
MESSAGES = {
    "context_too_long": "The question and its sources are too long for the model. Ask a narrower question.",
    "content_policy": "The model's provider refused this request (content policy).",
    "timeout": "The model took too long to answer. Try again in a moment.",
    "rate_limited": "The model's provider is rate-limiting us. Try again in a minute.",
    "auth": "The model's provider refused our credentials: check the API key configured for this model.",
    "model_not_found": "The configured model does not exist at its provider: tell an administrator.",
    "bad_request": "The model's provider rejected the request.",
    "provider_error": "The model's provider had an internal error. Try again in a moment.",
    "connection": "Could not reach the model's provider.",
    "interrupted": "This answer was interrupted when the server restarted. Ask again.",
    "internal": "Something went wrong while answering; the error is in the server log.",
}

# (exception classes, code); the first match wins, so subclasses come before their bases.
_MAP: list[tuple[tuple[type[BaseException], ...], str]] = [
    ((litellm.ContextWindowExceededError,), "context_too_long"),
    ((litellm.ContentPolicyViolationError,), "content_policy"),
    ((litellm.Timeout, asyncio.TimeoutError, TimeoutError), "timeout"),
    ((litellm.RateLimitError,), "rate_limited"),
    ((litellm.AuthenticationError, litellm.PermissionDeniedError), "auth"),
    ((litellm.NotFoundError,), "model_not_found"),
    ((litellm.BadRequestError, litellm.UnprocessableEntityError), "bad_request"),
    ((litellm.InternalServerError, litellm.ServiceUnavailableError, litellm.BadGatewayError, openai.APIStatusError),
     "provider_error"),
    ((litellm.APIConnectionError, openai.APIConnectionError, ConnectionError, OSError), "connection"),
]

TRANSIENT = frozenset({"timeout", "rate_limited", "provider_error", "connection"})


def map_error(exc: BaseException, model: str = "") -> ProviderError:
    """The :class:`ProviderError` for any exception a model call raised."""
    if isinstance(exc, ProviderError):
        return exc
    original = getattr(exc, "original_exception", None)  # litellm's MidStreamFallbackError wraps the real cause
    if isinstance(original, BaseException) and original is not exc:
        return map_error(original, model)
    if "Missing credentials" in str(exc):  # litellm reports a key it could not find as a server error
        return _error("auth", exc, model)
    code = next((code for classes, code in _MAP if isinstance(exc, classes)), "provider_error")
    return _error(code, exc, model)


def _error(code: str, exc: BaseException, model: str) -> ProviderError:
    return ProviderError(code, MESSAGES[code], _detail(exc), model, _retry_after(exc))


def _retry_after(exc: BaseException) -> float | None:
    """The seconds of the response's Retry-After header (a number; an HTTP date is ignored). litellm keeps the
    provider's headers in ``litellm_response_headers``; its ``response`` is one it made, without them."""
    headers = getattr(exc, "litellm_response_headers", None) or getattr(getattr(exc, "response", None), "headers", None)
    value = headers.get("retry-after") if headers is not None else None
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None


def _detail(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return text if len(text) <= 500 else text[:497] + "..."
