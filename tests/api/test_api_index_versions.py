"""``docent/<index version>`` models: an OpenAI client picks the index version an answer comes from."""

from __future__ import annotations

import httpx
import openai
import pytest

from docent.index.versions import IndexVersions
from docent.settings import load_settings
from docent.store.chat import ChatStore
from tests.api.test_http_api import recorded
from tests.e2e.conftest import docent

QUESTION = "How many weeks of leave does the secondary caregiver get?"


def test_a_model_per_built_index_version_answers_from_that_version(api, acme_data, monkeypatch):
    versions = IndexVersions(api.state_url)
    (live,) = [v.version for v in versions.all()]  # the one the fixture's ingest built
    monkeypatch.setenv("DOCENT_CHUNKING__MAX_TOKENS", "120")  # another fingerprint: a new version beside the live one
    docent(["ingest", str(acme_data.parent / "docs")], api.data_dir)  # the documents the server's data came from
    (other,) = [v.version for v in versions.all() if v.version != live and v.built_at is not None]
    settings = load_settings(data_dir=api.data_dir)
    registered = versions.register(settings.model_copy(
        update={"chunking": settings.chunking.model_copy(update={"max_tokens": 77})}), "unbuilt")

    key = api.key("mo")
    client = openai.OpenAI(base_url=f"{api.url}/v1", api_key=key, http_client=httpx.Client(trust_env=False))
    ids = [m.id for m in client.models.list()]
    assert ids[0] == "docent" and {f"docent/{live}", f"docent/{other}"} <= set(ids)
    assert f"docent/{registered}" not in ids  # listed only once built

    store = ChatStore(api.state_url)
    # the same question thrice: the answer cache is kept per index version, so only the third (the second's
    # version, named by a prefix) is served from it
    for model, version, cached in (("docent", live, False), (f"docent/{other}", other, False),
                                   (f"docent/{other[:8]}", other, True)):
        reply = client.chat.completions.create(model=model, messages=[{"role": "user", "content": QUESTION}])
        assert "8 weeks" in reply.choices[0].message.content and reply.model == model
        extension = reply.model_extra["docent"]
        assert extension["cache_hit"] is cached, model
        with api.client(key) as http:
            recorded(http, extension["message_id"])  # the retrieval record is written a moment after the answer
        if not cached:
            assert store.retrieval_for(extension["message_id"])["index_version"] == version

    for model, why in ((f"docent/{registered}", "not built yet"), ("docent/zzzz", "not a known index version"),
                       ("docent/", "no model")):
        with pytest.raises(openai.NotFoundError, match=why):
            client.chat.completions.create(model=model, messages=[{"role": "user", "content": QUESTION}])

