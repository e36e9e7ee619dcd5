"""Who is calling: ``Authorization: Bearer <credential>``, a personal API key (``docent keys create``) or, when
``api.oidc_issuer`` is set, an OpenID Connect access token (a JWT) from that identity provider."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.errors import ApiError
from docent.access import Principal, Refused
from docent.review.oidc import IssuerUnreachable

KEY_PREFIX = "dk_"
CHALLENGE = 'Bearer realm="docent"'
bearer = HTTPBearer(auto_error=False, scheme_name="bearer", description=(
    "A personal API key (`dk_…`, made with `docent keys create NAME`) or, when the server sets `api.oidc_issuer`, "
    "an OpenID Connect access token (JWT) from that issuer whose username claim names a Docent user."))


def principal(request: Request,
              credentials: Annotated[HTTPAuthorizationCredentials | None, Security(bearer)]) -> Principal:
    """The credential's owner as they are now; 401 with ``WWW-Authenticate`` when it is missing or refused, 503
    when the identity provider's keys cannot be fetched."""
    tokens = request.app.state.oidc
    credential = credentials.credentials.strip() if credentials else ""
    checker = request.app.state.keys if credential.startswith(KEY_PREFIX) else tokens
    if not credential or checker is None:
        how = "send an API key: `Authorization: Bearer dk_…` (make one with `docent keys create NAME`)"
        raise ApiError(401, "unauthorized", how + (f" or an access token from {tokens.issuer}" if tokens else ""),
                       {"WWW-Authenticate": _challenge(credential)})
    try:
        return checker.principal(credential)
    except Refused as exc:  # recorded in the audit log
        raise ApiError(401, "unauthorized", str(exc), {"WWW-Authenticate": _challenge(credential)}) from None
    except IssuerUnreachable as exc:
        raise ApiError(503, "unavailable", str(exc), {"Retry-After": "10"}) from None


def _challenge(credential: str) -> str:
    """RFC 6750: a request without a credential gets the bare challenge; one with a bad credential, the error too."""
    return f'{CHALLENGE}, error="invalid_token"' if credential else CHALLENGE


Caller = Annotated[Principal, Depends(principal)]
