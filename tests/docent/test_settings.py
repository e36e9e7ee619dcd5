import pytest

from docent.settings import SettingsError, load_settings


def test_defaults_are_embedded(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)  # no configs/ here: built-in defaults
    s = load_settings()
    assert s.index.backend == "lancedb"
    assert str(s.data_dir) == ".docent"
    assert s.state_url == "sqlite:///.docent/docent.db"
    assert s.cache.redis_url is None


def test_environment_overrides_yaml(monkeypatch, tmp_path):
    cfg = tmp_path / "c.yaml"
    cfg.write_text("retrieval:\n  k: 7\n  alpha: 0.3\n")
    monkeypatch.setenv("DOCENT_CONFIG", str(cfg))
    monkeypatch.setenv("DOCENT_RETRIEVAL__ALPHA", "0.9")
    monkeypatch.setenv("DOCENT_DATA_DIR", str(tmp_path / "d"))
    s = load_settings()
    assert s.retrieval.k == 7
    assert s.retrieval.alpha == 0.9
    assert s.data_dir == tmp_path / "d"


def test_invalid_value_names_the_key(monkeypatch):
    monkeypatch.setenv("DOCENT_INDEX__BACKEND", "elasticsearch")
    with pytest.raises(SettingsError) as exc:
        load_settings()
    assert "index.backend" in str(exc.value)
    assert "DOCENT_INDEX__BACKEND" in str(exc.value)


def test_overlap_must_be_below_chunk_size():
    with pytest.raises(SettingsError, match="chunking.overlap_tokens"):
        load_settings(chunking={"max_tokens": 64, "overlap_tokens": 64})


def test_missing_config_file_is_an_error(monkeypatch):
    monkeypatch.setenv("DOCENT_CONFIG", "/nonexistent/docent.yaml")
    with pytest.raises(SettingsError, match="no such file"):
        load_settings()


def test_unknown_key_in_yaml_is_refused(monkeypatch, tmp_path):
    cfg = tmp_path / "c.yaml"
    cfg.write_text("retreival:\n  k: 7\n")
    monkeypatch.setenv("DOCENT_CONFIG", str(cfg))
    with pytest.raises(SettingsError, match="retreival"):
        load_settings()


def test_shipped_configs_load(monkeypatch):
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    monkeypatch.setenv("DOCENT_CONFIG", str(root / "configs" / "production.yaml"))
    prod = load_settings()
    assert prod.index.backend == "weaviate" and prod.state.url.startswith("postgresql")
    monkeypatch.setenv("DOCENT_CONFIG", str(root / "configs" / "default.yaml"))
    assert load_settings().index.backend == "lancedb"


def test_fingerprint_changes_with_the_model_or_chunking():
    base = load_settings()
    assert base.index_fingerprint() == load_settings().index_fingerprint()
    assert base.index_fingerprint() != load_settings(chunking={"max_tokens": 128}).index_fingerprint()
    assert base.index_fingerprint() != load_settings(embedding={"backend": "torch"}).index_fingerprint()
