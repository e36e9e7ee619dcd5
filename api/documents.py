"""``/v1/documents``: what the live index holds (indexed, quarantined, skipped, and why), and uploads.

Reading needs the ``read_ingestion`` action (reviewers, analysts, admins); uploading needs
``manage_ingestion`` (reviewers, admins), checked before a byte of the body is parsed. The rules
for an upload (names, types by content, no silent overwrite, atomic writes) are the core's
(:mod:`docent.ingest.uploads`), and so are its limits: ``uploads.MAX_FILES`` files, ``api.max_upload_mb`` of files
together (a body declared larger is refused before it is read, api/limits.py).
"""

from __future__ import annotations

from datetime import datetime
from functools import partial
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from api.auth import Caller
from api.errors import ApiError
from docent.access import Action, require
from docent.ingest.catalogue import State, listing, state_of
from docent.ingest.manifest import Manifest
from docent.ingest.sources import display_name
from docent.ingest.uploads import (
    MAX_FILES,
    Upload,
    UploadRefused,
    ingest_uploads,
    max_upload_bytes,
    store,
    upload_dir,
)
from docent.store.locks import LockTimeout

router = APIRouter(prefix="/v1", tags=["documents"])
STATUS = {"bad_name": 400, "unsupported_type": 415, "name_taken": 409, "too_many_files": 400, "too_large": 413}
NEXT_TICK = "next sensor tick"


class Document(BaseModel):
    doc_id: str
    name: str
    source_uri: str
    status: State
    stage: str | None  # where a quarantined document failed (read, parse, chunk, tool…); "skipped" when never read
    reason: str | None
    chunks: int
    pages: int | None
    size: int
    updated_at: datetime | None


class UploadedFile(BaseModel):
    name: str
    doc_id: str
    source_uri: str
    size: int
    sha256: str
    stored: Literal["new", "replaced", "unchanged"]  # unchanged: that name already held these bytes
    status: State | Literal["pending"]  # pending until ingested (always, without ingest=now)
    reason: str | None  # "stage: reason" when quarantined or skipped
    chunks: int


class Uploaded(BaseModel):
    files: list[UploadedFile]
    ingest: Literal["next sensor tick", "done"]


@router.get("/documents", response_model=list[Document])
async def documents(
    caller: Caller,
    request: Request,
    status: Annotated[State | None, Query(description="only documents in this state")] = None,
    limit: Annotated[int, Query(ge=1, le=10_000, description="at most this many, most recently changed first")] = 100,
) -> list[Document]:
    """The documents of the live index version with their state and, when not indexed, why."""
    require(caller, Action.READ_INGESTION)
    version = request.app.state.retriever.current().version
    manifest = Manifest(request.app.state.settings.state_url, version)
    records = await run_in_threadpool(listing, manifest, status, limit)
    return [Document(doc_id=r.doc_id, name=display_name(r.source_uri), source_uri=r.source_uri, status=state_of(r),
                     stage=r.stage, reason=r.error, chunks=r.chunks, pages=r.pages, size=r.size,
                     updated_at=r.updated_at) for r in records]


MULTIPART = {"requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
    "type": "object", "required": ["files"], "properties": {
        "files": {"type": "array", "items": {"type": "string", "format": "binary"}, "maxItems": MAX_FILES}}}}}}}


@router.post("/documents", status_code=202, response_model=Uploaded, openapi_extra=MULTIPART,
             responses={200: {"model": Uploaded, "description": "stored and ingested (ingest=now)"}})
async def upload(
    caller: Caller,
    request: Request,
    response: Response,
    ingest: Annotated[Literal["now"] | None, Query(description="now: ingest before answering (200); "
                                                   "otherwise the sensor's next tick does (202)")] = None,
    replace: Annotated[bool, Query(description="replace a different file already uploaded under the same name "
                                   "(otherwise 409)")] = False,
) -> Uploaded:
    """Upload documents (multipart field ``files``): every file is checked before any is stored; stored files
    are ingested by the next sensor tick, or at once with ``ingest=now``."""
    require(caller, Action.MANAGE_INGESTION)
    settings = request.app.state.settings
    async with request.form(max_files=MAX_FILES, max_fields=MAX_FILES) as form:
        files = form.getlist("files")
        if not files or not all(isinstance(f, UploadFile) for f in files):
            raise ApiError(422, "invalid", "files: send one or more files in the multipart field `files`")
        try:
            chosen = [Upload(f.filename or "", f.file) for f in files]
            stored = await run_in_threadpool(store, upload_dir(settings), chosen, replace,
                                            max_bytes=max_upload_bytes(settings))
        except UploadRefused as exc:
            raise ApiError(STATUS[exc.reason], exc.reason, str(exc)) from None
    outcomes = {}
    if ingest == "now":
        reader = request.app.state.retriever.current()
        try:
            outcomes = (await run_in_threadpool(partial(ingest_uploads, settings, reader, stored))).outcomes
            response.status_code = 200
        except LockTimeout:  # another ingestion held the index past sync.write_wait_s: the sensor's tick will do
            pass
    return Uploaded(ingest="done" if outcomes else NEXT_TICK, files=[UploadedFile(
        name=s.name, doc_id=s.doc_id, source_uri=s.uri, size=s.size, sha256=s.sha256, stored=s.stored,
        status=outcomes[s.name].state if outcomes else "pending", reason=outcomes[s.name].reason if outcomes else None,
        chunks=outcomes[s.name].chunks if outcomes else 0) for s in stored])
