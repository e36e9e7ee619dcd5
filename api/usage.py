"""Placeholder: routes being written (issue 16)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/v1", tags=["usage"])
