"""The server-free parts of the Weaviate backend: schema, connection arguments, filters, conversions."""

from __future__ import annotations

import socket
import uuid

import pytest
from weaviate.classes.config import DataType, Tokenization
from weaviate.collections.classes.filters import _FilterAnd, _FilterValue, _Operator
from weaviate.collections.filters import _FilterToGRPC

from docent.index.base import Chunk
from docent.index.weaviate import (
    WeaviateIndex,
    WeaviateUnavailableError,
    chunk_to_properties,
    collection_properties,
    connect,
    connection_kwargs,
    matches_nothing,
    object_uuid,
    properties_to_chunk,
    similarity,
    to_weaviate_filter,
)
from docent.settings import WeaviateSettings

CHUNK = Chunk(
    chunk_id="0f8fad5b-d9cb-569f-a165-70867728950e",
    doc_id="doc-1",
    position=3,
    text="The quick brown fox.",
    content_hash="abc123",
    source_uri="file:///docs/a.pdf",
    page=7,
    section="Intro",
    category="NarrativeText",
    fingerprint="f" * 16,
)


# --- schema ---------------------------------------------------------------------------------


def test_schema_holds_every_chunk_field_once():
    names = [p.name for p in collection_properties()]
    assert sorted(names) == sorted(Chunk.__dataclass_fields__)
    assert len(names) == len(set(names))


def test_only_text_is_bm25_searchable_and_ids_match_exactly():
    props = {p.name: p for p in collection_properties()}
    assert props["text"].tokenization == Tokenization.WORD and props["text"].indexSearchable is True
    for name in ("chunk_id", "doc_id", "content_hash", "source_uri", "section", "category", "fingerprint"):
        assert props[name].dataType == DataType.TEXT
        assert props[name].tokenization == Tokenization.FIELD, name
        assert props[name].indexSearchable is False, name
        assert props[name].indexFilterable is True, name
    assert props["position"].dataType == DataType.INT
    assert props["page"].dataType == DataType.INT


# --- connection arguments -------------------------------------------------------------------


def test_custom_https_url_defaults_to_443_and_secure_grpc():
    helper, kw = connection_kwargs(WeaviateSettings(mode="custom", url="https://weaviate.example.com"))
    assert helper == "custom"
    assert (kw["http_host"], kw["http_port"], kw["http_secure"]) == ("weaviate.example.com", 443, True)
    assert (kw["grpc_host"], kw["grpc_port"], kw["grpc_secure"]) == ("weaviate.example.com", 50051, True)
    assert kw["auth_credentials"] is None


def test_custom_http_url_keeps_its_port_and_passes_the_api_key():
    settings = WeaviateSettings(mode="custom", url="http://10.0.0.5:9090", grpc_port=6000, api_key="s3cret")
    _, kw = connection_kwargs(settings)
    assert (kw["http_host"], kw["http_port"], kw["http_secure"]) == ("10.0.0.5", 9090, False)
    assert (kw["grpc_port"], kw["grpc_secure"]) == (6000, False)
    assert kw["auth_credentials"].api_key == "s3cret"


def test_local_mode_reads_host_and_port_and_accepts_a_bare_host():
    helper, kw = connection_kwargs(WeaviateSettings(mode="local", url="weaviate:8081", grpc_port=50052))
    assert helper == "local"
    assert (kw["host"], kw["port"], kw["grpc_port"]) == ("weaviate", 8081, 50052)
    _, kw = connection_kwargs(WeaviateSettings(mode="local", url="localhost"))
    assert kw["port"] == 8080


def test_cloud_mode_needs_an_api_key():
    with pytest.raises(ValueError, match="DOCENT_INDEX__WEAVIATE__API_KEY"):
        connection_kwargs(WeaviateSettings(mode="cloud", url="https://abc.weaviate.cloud"))
    helper, kw = connection_kwargs(WeaviateSettings(mode="cloud", url="https://abc.weaviate.cloud", api_key="k"))
    assert helper == "weaviate_cloud"
    assert kw["cluster_url"] == "https://abc.weaviate.cloud" and kw["auth_credentials"].api_key == "k"


def test_a_non_http_url_is_refused():
    with pytest.raises(ValueError, match="index.weaviate.url"):
        connection_kwargs(WeaviateSettings(mode="custom", url="ftp://host:21"))


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_unreachable_server_gives_a_connection_error_naming_url_and_settings():
    url = f"http://127.0.0.1:{_closed_port()}"
    settings = WeaviateSettings(mode="custom", url=url, timeout_s=2)
    with pytest.raises(WeaviateUnavailableError) as info:
        connect(settings)
    assert isinstance(info.value, ConnectionError)
    assert url in str(info.value) and "DOCENT_INDEX__WEAVIATE__URL" in str(info.value)
    with pytest.raises(ConnectionError):
        WeaviateIndex(settings, dim=4)


# --- filters --------------------------------------------------------------------------------


def test_no_filters_means_no_weaviate_filter():
    assert to_weaviate_filter(None) is None
    assert to_weaviate_filter({}) is None


def test_scalar_is_equal_and_list_is_contains_any():
    f = to_weaviate_filter({"doc_id": "doc-1"})
    assert isinstance(f, _FilterValue)
    assert (f.target, f.operator, f.value) == ("doc_id", _Operator.EQUAL, "doc-1")
    f = to_weaviate_filter({"category": ["Title", "NarrativeText"]})
    assert (f.target, f.operator, f.value) == ("category", _Operator.CONTAINS_ANY, ["Title", "NarrativeText"])


def test_a_string_is_one_value_not_a_list_of_characters():
    f = to_weaviate_filter({"section": "abc"})
    assert f.operator == _Operator.EQUAL and f.value == "abc"


def test_several_fields_are_anded_and_page_is_sent_as_an_int():
    f = to_weaviate_filter({"doc_id": "d", "page": ["2", 3]})
    assert isinstance(f, _FilterAnd) and len(f.filters) == 2
    page = next(x for x in f.filters if x.target == "page")
    assert page.value == [2, 3]
    wire = _FilterToGRPC.convert(f)
    page_wire = next(x for x in wire.filters if x.target.property == "page")
    assert list(page_wire.value_int_array.values) == [2, 3]


def test_unknown_field_and_empty_list_are_refused():
    with pytest.raises(ValueError, match="filterable fields"):
        to_weaviate_filter({"text": "fox"})
    with pytest.raises(ValueError, match="empty list"):
        to_weaviate_filter({"doc_id": []})


def test_matches_nothing_only_for_an_empty_list():
    assert matches_nothing({"doc_id": []})
    assert not matches_nothing({"doc_id": ["a"], "page": 1})
    assert not matches_nothing(None)
    with pytest.raises(ValueError):
        matches_nothing({"bogus": 1})


# --- conversions ----------------------------------------------------------------------------


def test_chunk_round_trips_through_properties():
    props = chunk_to_properties(CHUNK)
    assert props["chunk_id"] == CHUNK.chunk_id and props["page"] == 7
    assert properties_to_chunk(props) == CHUNK


def test_missing_page_is_omitted_and_comes_back_as_none():
    chunk = Chunk(chunk_id="c", doc_id="d", position=0, text="t", content_hash="h", source_uri="u")
    props = chunk_to_properties(chunk)
    assert "page" not in props
    assert properties_to_chunk(props) == chunk
    assert properties_to_chunk({**props, "page": None, "section": None}) == chunk


def test_returned_numbers_are_coerced_to_int():
    chunk = properties_to_chunk({**chunk_to_properties(CHUNK), "position": 3.0, "page": 7.0})
    assert chunk.position == 3 and isinstance(chunk.position, int) and chunk.page == 7


def test_object_uuid_is_the_chunk_id_and_stable_for_other_ids():
    assert object_uuid(CHUNK.chunk_id) == CHUNK.chunk_id
    assert object_uuid(CHUNK.chunk_id.upper()) == CHUNK.chunk_id
    assert object_uuid("c1") == object_uuid("c1") != object_uuid("c2")
    assert str(uuid.UUID(object_uuid("c1"))) == object_uuid("c1")


def test_cosine_distance_becomes_similarity():
    assert similarity(0.0) == 1.0
    assert similarity(0.25) == 0.75
    assert similarity(2.0) == -1.0
    assert similarity(None) == 0.0
