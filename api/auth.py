"""Who is calling: ``Authorization: Bearer <personal API key>`` (``docent keys create``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from api.errors import ApiError
from docent.access import Principal


def principal(request: Request) -> Principal:
    """The key's owner as they are now; 401 with ``WWW-Authenticate`` when the credential is missing or refused."""
    scheme, _, credential = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not credential.strip():
        raise ApiError(401, "unauthorized", "send an API key: `Authorization: Bearer dk_…` (make one with "
                       "`docent keys create NAME`)", {"WWW-Authenticate": 'Bearer realm="docent"'})
    return request.app.state.keys.principal(credential)  # KeyRefused → 401, recorded in the audit log


Caller = Annotated[Principal, Depends(principal)]
