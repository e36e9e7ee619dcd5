"""Weaviate backend of ``VectorIndex``: the production index when many processes share one store.

We bring our own vectors (vectorizer none, cosine distance) and use each chunk's uuid5
``chunk_id`` as the object UUID, so re-ingesting a document replaces its objects instead of
duplicating them. The pure parts (URL → connection arguments, filters, object ↔ Chunk) are
module-level functions so they are tested without a server.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

import numpy as np
import weaviate
from weaviate.classes.config import Configure, DataType, Property, Tokenization, VectorDistances
from weaviate.classes.init import AdditionalConfig, Auth, Timeout
from weaviate.classes.query import Filter, MetadataQuery
from weaviate.collections.classes.filters import _Filters
from weaviate.exceptions import (
    AuthenticationFailedError,
    UnexpectedStatusCodeError,
    WeaviateConnectionError,
    WeaviateGRPCUnavailableError,
    WeaviateStartUpError,
    WeaviateTimeoutError,
)

from docent.index.base import Chunk, Filters, SearchHit, validate_filters
from docent.index.fusion import fused_search
from docent.settings import WeaviateSettings

VECTOR_NAME = "default"  # the one named vector of collections we create
_LIST_TYPES = (list, tuple, set, frozenset)
_INT_FIELDS = {"position", "page"}
_DELETE_SLICE = 100  # doc ids per delete_many filter
_SERVER_PAGE = 10_000  # Weaviate's default QUERY_MAXIMUM_RESULTS: offset + limit may not pass it
_SETTINGS_HINT = "is the server running? check " + ", ".join(
    f"index.weaviate.{k} (env DOCENT_INDEX__WEAVIATE__{k.upper()})" for k in ("url", "grpc_port", "mode", "api_key")
)


class WeaviateUnavailableError(ConnectionError):
    """The Weaviate server could not be reached or refused our credentials."""


class WeaviateIndexError(RuntimeError):
    """Weaviate accepted the request but some objects failed (e.g. a wrong vector length)."""


def collection_properties() -> list[Property]:
    """The Chunk schema: ``text`` is BM25-searchable; ids and metadata are exact-match filters only."""
    def exact(name: str) -> Property:
        return Property(name=name, data_type=DataType.TEXT, tokenization=Tokenization.FIELD,
                        index_searchable=False, index_filterable=True)

    return [
        exact("chunk_id"), exact("doc_id"),
        Property(name="position", data_type=DataType.INT, index_filterable=True),
        Property(name="text", data_type=DataType.TEXT, tokenization=Tokenization.WORD,
                 index_searchable=True, index_filterable=False),
        exact("content_hash"), exact("source_uri"),
        Property(name="page", data_type=DataType.INT, index_filterable=True),
        exact("section"), exact("category"), exact("fingerprint"),
        exact("title"), exact("organisation"), exact("doc_type"), exact("period"),
    ]


def connection_kwargs(settings: WeaviateSettings) -> tuple[str, dict[str, Any]]:
    """Which ``weaviate.connect_to_*`` helper to call, and with what, for these settings."""
    key = settings.api_key.get_secret_value() if settings.api_key else None
    if settings.mode == "cloud":
        if not key:
            raise ValueError("index.weaviate.mode='cloud' needs an API key: set DOCENT_INDEX__WEAVIATE__API_KEY")
        return "weaviate_cloud", {"cluster_url": settings.url, "auth_credentials": Auth.api_key(key)}
    url = settings.url if "://" in settings.url else f"http://{settings.url}"
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"index.weaviate.url={settings.url!r} is not an http(s) URL with a host")
    secure = parts.scheme == "https"
    port = parts.port or (443 if secure else 8080)
    auth = Auth.api_key(key) if key else None
    if settings.mode == "local":
        return "local", {"host": parts.hostname, "port": port, "grpc_port": settings.grpc_port,
                         "auth_credentials": auth}
    return "custom", {"http_host": parts.hostname, "http_port": port, "http_secure": secure,
                      "grpc_host": parts.hostname, "grpc_port": settings.grpc_port, "grpc_secure": secure,
                      "auth_credentials": auth}


def connect(settings: WeaviateSettings) -> weaviate.WeaviateClient:
    """Open a client, turning the client's various start-up failures into one clear error."""
    helper, kwargs = connection_kwargs(settings)
    t = settings.timeout_s
    config = AdditionalConfig(timeout=Timeout(init=min(t, 10.0), query=t, insert=max(t, 90.0)))
    where = f"{settings.url} (mode {settings.mode!r}, gRPC port {settings.grpc_port})"
    try:
        return getattr(weaviate, f"connect_to_{helper}")(**kwargs, additional_config=config)
    except AuthenticationFailedError as exc:
        raise WeaviateUnavailableError(f"Weaviate at {where} refused the credentials: {exc}; {_SETTINGS_HINT}") from exc
    except (WeaviateConnectionError, WeaviateGRPCUnavailableError, WeaviateStartUpError, WeaviateTimeoutError) as exc:
        raise WeaviateUnavailableError(f"cannot reach Weaviate at {where}: {exc}; {_SETTINGS_HINT}") from exc


def _typed(name: str, value: Any) -> Any:
    return int(value) if name in _INT_FIELDS else str(value)


def matches_nothing(filters: Filters | None) -> bool:
    """An empty list matches no value; Weaviate cannot say that, so searches short-cut to []."""
    return any(isinstance(v, _LIST_TYPES) and not v for v in validate_filters(filters).values())


def to_weaviate_filter(filters: Filters | None) -> _Filters | None:
    """``{"doc_id": "a", "page": [1, 2]}`` → ``doc_id == "a" AND page IN (1, 2)``; None when unfiltered."""
    parts = []
    for name, value in validate_filters(filters).items():
        prop = Filter.by_property(name)
        if isinstance(value, _LIST_TYPES):
            if not value:
                raise ValueError(f"filter {name!r} has an empty list; it can match nothing")
            parts.append(prop.contains_any([_typed(name, v) for v in value]))
        else:
            parts.append(prop.equal(_typed(name, value)))
    return Filter.all_of(parts) if parts else None


def chunk_to_properties(chunk: Chunk) -> dict[str, Any]:
    """Object properties for a chunk; a missing page is left out rather than stored as null."""
    props = {f: getattr(chunk, f) for f in Chunk.__dataclass_fields__}
    if props["page"] is None:
        del props["page"]
    return props


def properties_to_chunk(props: Mapping[str, Any]) -> Chunk:
    """Rebuild a Chunk from returned properties (absent optional ones take their defaults)."""
    page = props.get("page")
    return Chunk(
        chunk_id=str(props["chunk_id"]), doc_id=str(props["doc_id"]), position=int(props["position"]),
        text=props.get("text") or "", content_hash=props.get("content_hash") or "",
        source_uri=props.get("source_uri") or "", page=None if page is None else int(page),
        section=props.get("section") or "", category=props.get("category") or "",
        fingerprint=props.get("fingerprint") or "", title=props.get("title") or "",
        organisation=props.get("organisation") or "", doc_type=props.get("doc_type") or "",
        period=props.get("period") or "",
    )


def object_uuid(chunk_id: str) -> str:
    """The object UUID: the chunk_id itself (a uuid5), or a uuid5 of it when it is not a UUID."""
    try:
        return str(uuid.UUID(chunk_id))
    except ValueError:
        return str(uuid.uuid5(uuid.NAMESPACE_URL, f"docent:chunk:{chunk_id}"))


def similarity(distance: float | None) -> float:
    """Cosine distance (0 = same direction, 2 = opposite) → similarity, higher is better."""
    return 0.0 if distance is None else 1.0 - float(distance)


class WeaviateIndex:
    """A ``VectorIndex`` over one Weaviate collection, created on first use."""

    def __init__(self, settings: WeaviateSettings, dim: int) -> None:
        self.settings, self.dim, self.name = settings, dim, settings.collection
        self._client = connect(settings)
        try:
            self._vector = self._ensure_collection()
        except Exception:
            self._client.close()
            raise
        self._col = self._client.collections.use(self.name)

    def _ensure_collection(self) -> str | None:
        """Create the collection if missing; return the vector name to write and query (None: legacy unnamed)."""
        collections = self._client.collections
        if not collections.exists(self.name):
            try:
                collections.create(
                    self.name, properties=collection_properties(),
                    vector_config=Configure.Vectors.self_provided(
                        name=VECTOR_NAME,
                        vector_index_config=Configure.VectorIndex.hnsw(distance_metric=VectorDistances.COSINE),
                    ),
                )
                return VECTOR_NAME
            except UnexpectedStatusCodeError:
                if not collections.exists(self.name):  # lost a creation race: fine; anything else: raise
                    raise
        config = collections.use(self.name).config.get()
        return next(iter(config.vector_config)) if config.vector_config else None

    def _vec(self, vector: np.ndarray) -> Any:
        values = np.asarray(vector, dtype=np.float32).reshape(-1).tolist()
        return {self._vector: values} if self._vector else values

    def upsert(self, chunks: Sequence[Chunk], vectors: np.ndarray) -> None:
        """Insert or replace by chunk_id; raise if any object failed, since a batch never raises itself."""
        if not chunks:
            return
        vectors = np.asarray(vectors, dtype=np.float32)
        if vectors.shape != (len(chunks), self.dim):
            raise ValueError(f"expected vectors of shape ({len(chunks)}, {self.dim}), got {vectors.shape}")
        with self._col.batch.fixed_size(batch_size=200, concurrent_requests=2) as batch:
            for chunk, vector in zip(chunks, vectors):
                batch.add_object(
                    properties=chunk_to_properties(chunk), uuid=object_uuid(chunk.chunk_id), vector=self._vec(vector)
                )
        failed = self._col.batch.failed_objects
        if failed:
            msgs = "; ".join(f.message for f in failed[:3])
            raise WeaviateIndexError(f"{len(failed)} of {len(chunks)} chunks failed to upsert into {self.name}: {msgs}")

    def delete_documents(self, doc_ids: Iterable[str]) -> None:
        ids = list(dict.fromkeys(str(d) for d in doc_ids))
        for start in range(0, len(ids), _DELETE_SLICE):
            where = Filter.by_property("doc_id").contains_any(ids[start : start + _DELETE_SLICE])
            while True:  # one call deletes at most QUERY_MAXIMUM_RESULTS objects: repeat until none match
                result = self._col.data.delete_many(where=where)
                if result.failed:
                    raise WeaviateIndexError(f"{result.failed} objects of {self.name} failed to delete")
                if not result.successful:
                    break

    def _hits(self, response: Any, kind: str) -> list[SearchHit]:
        """Objects → hits, with the score in the slot of the side that produced it."""
        hits = []
        for obj in response.objects:
            meta = obj.metadata
            score = similarity(meta.distance) if kind == "dense" else float(meta.score or 0.0)
            hits.append(SearchHit(
                properties_to_chunk(obj.properties), score,
                dense_score=score if kind == "dense" else None, bm25_score=score if kind == "bm25" else None,
            ))
        return hits

    def search_dense(self, vector: np.ndarray, k: int, filters: Filters | None = None) -> list[SearchHit]:
        if k < 1 or matches_nothing(filters):
            return []
        vec = np.asarray(vector, dtype=np.float32).reshape(-1).tolist()
        response = self._col.query.near_vector(
            near_vector=vec, limit=k, filters=to_weaviate_filter(filters), target_vector=self._vector,
            return_metadata=MetadataQuery(distance=True),
        )
        return self._hits(response, "dense")

    def search_bm25(self, query: str, k: int, filters: Filters | None = None) -> list[SearchHit]:
        if k < 1 or not query.strip() or matches_nothing(filters):
            return []
        response = self._col.query.bm25(
            query=query, query_properties=["text"], limit=k, filters=to_weaviate_filter(filters),
            return_metadata=MetadataQuery(score=True),
        )
        return self._hits(response, "bm25")

    def search_hybrid(
        self, query: str, vector: np.ndarray, k: int, alpha: float, filters: Filters | None = None,
        candidates: int = 100,
    ) -> list[SearchHit]:
        """Dense and BM25 queries fused client-side, exactly as on LanceDB (see ``docent.index.fusion``)."""
        return fused_search(self, query, vector, k, alpha, filters, candidates)

    def count(self) -> int:
        return int(self._col.aggregate.over_all(total_count=True).total_count or 0)

    def fetch(self, filters: Filters, limit: int) -> list[Chunk]:
        if matches_nothing(filters):
            return []
        response = self._col.query.fetch_objects(filters=to_weaviate_filter(filters), limit=limit)
        return [properties_to_chunk(o.properties) for o in response.objects]

    def chunk_ids(self, doc_id: str) -> set[str]:
        """Paged by offset, so at most the server's QUERY_MAXIMUM_RESULTS (10,000 by default) per document."""
        ids: set[str] = set()
        where, page = Filter.by_property("doc_id").equal(str(doc_id)), 1000
        for offset in range(0, _SERVER_PAGE, page):
            response = self._col.query.fetch_objects(
                filters=where, limit=page, offset=offset, return_properties=["chunk_id"]
            )
            ids.update(str(o.properties["chunk_id"]) for o in response.objects)
            if len(response.objects) < page:
                break
        return ids

    def chunk_counts(self) -> dict[str, int]:
        """Counted client-side over a cursor: exact for any number of documents."""
        counts: Counter[str] = Counter()
        for obj in self._col.iterator(return_properties=["doc_id"]):
            counts[str(obj.properties["doc_id"])] += 1
        return dict(counts)

    def refresh(self) -> None:
        """Weaviate indexes each object as it is written; nothing to fold in."""

    def drop(self) -> None:
        """Delete the whole collection (test clean-up, or a rebuild from scratch)."""
        self._client.collections.delete(self.name)

    def close(self) -> None:
        self._client.close()
