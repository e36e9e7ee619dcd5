"""Where documents come from: a local folder or any fsspec URL (``s3://bucket/prefix``, ...).

Credentials for remote stores come from the usual places (environment, ``~/.aws``) or
``storage_options``. URIs are normalised (local paths become absolute ``file://`` URIs) because
document ids are derived from them.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname

import fsspec
from fsspec.core import url_to_fs


@dataclass(frozen=True)
class SourceFile:
    uri: str
    size: int
    mtime: float

    @property
    def name(self) -> str:
        return display_name(self.uri)


class SourceError(ValueError):
    """The source cannot be listed (missing folder, bad URL, no credentials)."""


def local_path(uri: str) -> Path | None:
    """The path behind a ``file://`` URI, percent-decoded (spaces, accents); None for other URLs."""
    return Path(url2pathname(urlsplit(uri).path)) if uri.startswith("file:") else None


def display_name(uri: str) -> str:
    """The file name as a person wrote it: the URI's last segment, percent-decoded."""
    return unquote(uri.rstrip("/").rsplit("/", 1)[-1]) or uri


def path_or_url(uri: str) -> str:
    """The local path of a file URI, other URLs as they are: what fsspec opens (it would take
    ``file://`` URIs literally) and what a person recognises."""
    path = local_path(uri)
    return str(path) if path else uri


def normalise_root(root: str) -> str:
    """Local paths and file URIs become canonical absolute ``file://`` URIs; other URLs are kept as given."""
    if "://" in root and not root.startswith("file:"):
        return root.rstrip("/")
    return Path(path_or_url(root)).expanduser().resolve().as_uri()


def _mtime(info: dict) -> float:
    value = info.get("mtime") or info.get("LastModified") or info.get("last_modified") or 0.0
    return value.timestamp() if hasattr(value, "timestamp") else float(value)


def list_files(root: str, storage_options: dict | None = None) -> Iterator[SourceFile]:
    """Every non-hidden file under ``root``, in a stable order."""
    root = normalise_root(root)
    where = path_or_url(root)
    try:
        fs, path = url_to_fs(where, **(storage_options or {}))
        if not fs.exists(path):
            raise SourceError(f"{where}: no such folder or bucket")
        found = fs.find(path, detail=True) if fs.isdir(path) else {path: fs.info(path)}
    except SourceError:
        raise
    except Exception as exc:  # fsspec backends raise their own types (botocore, OSError, ...)
        raise SourceError(f"cannot list {where}: {exc}") from exc
    protocol = fs.protocol if isinstance(fs.protocol, str) else fs.protocol[0]
    for name in sorted(found):
        info = found[name]
        rel = name[len(path) :].lstrip("/") if name != path else Path(name).name
        if info.get("type") == "directory" or any(part.startswith(".") for part in rel.split("/")):
            continue
        uri = Path(name).as_uri() if protocol in ("file", "local") else f"{protocol}://{name}"
        yield SourceFile(uri=uri, size=int(info.get("size") or 0), mtime=_mtime(info))


def read_bytes(uri: str, storage_options: dict | None = None) -> bytes:
    with fsspec.open(path_or_url(uri), "rb", **(storage_options or {})) as fh:
        return fh.read()
