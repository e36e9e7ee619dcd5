"""Where documents come from: a local folder or any fsspec URL (``s3://bucket/prefix``, ...).

Credentials for remote stores come from the usual places (environment, ``~/.aws``) or
``storage_options``. URIs are normalised (local paths become absolute ``file://`` URIs) because
document ids are derived from them.
"""

from __future__ import annotations

import os
import posixpath
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname

import fsspec
from fsspec.core import url_to_fs

Symlinks = Literal["within_source", "never", "follow"]
NEVER = "reached through a symbolic link, and sync.symlinks is never: never read"
OUTSIDE = "a symbolic link that leads outside the source (sync.symlinks is within_source): never read"


@dataclass(frozen=True)
class SourceFile:
    uri: str
    size: int
    mtime: float
    refused: str = ""  # why it must never be read (a link out of the source, a FIFO): quarantined unread
    target: str = ""  # a local file: the real path the listing approved; reading anything else is refused

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


def path_within(uri: str, root_uri: str) -> str | None:
    """``uri``'s path under the source ``root_uri`` (normalised) as a person writes it (``hr/leave policy.md``:
    file URIs are percent-encoded, other URLs are not), the file's name for a source that is that one file,
    None for a file outside the source."""
    if uri == root_uri:
        return display_name(uri)
    base = root_uri if root_uri.endswith("/") else root_uri + "/"
    if not uri.startswith(base):
        return None
    rest = uri[len(base) :]
    return unquote(rest) if uri.startswith("file:") else rest


def normalise_root(root: str) -> str:
    """Local paths and file URIs become canonical absolute ``file://`` URIs; other URLs are kept as given."""
    if "://" in root and not root.startswith("file:"):
        return root.rstrip("/")
    return Path(path_or_url(root)).expanduser().resolve().as_uri()


def _mtime(info: dict) -> float:
    value = info.get("mtime") or info.get("LastModified") or info.get("last_modified") or 0.0
    return value.timestamp() if hasattr(value, "timestamp") else float(value)


def list_files(root: str, storage_options: dict | None = None, symlinks: Symlinks = "within_source") -> Iterator[SourceFile]:
    """Every non-hidden file under ``root``, in a stable order. A local file reached through a
    symbolic link (the file or a folder on its way) is refused when ``symlinks`` says so: "never",
    or "within_source" when the link leads outside ``root`` (anyone who can write a link into a
    watched folder could otherwise have any file the ingest can read indexed and served). Special
    files (FIFOs, sockets, devices) are always refused: reading one would block or never end."""
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
    local = protocol in ("file", "local")
    for name in sorted(found):
        info = found[name]
        rel = name[len(path) :].lstrip("/") if name != path else Path(name).name
        if info.get("type") == "directory" or any(part.startswith(".") for part in rel.split("/")):
            continue
        uri = Path(name).as_uri() if local else f"{protocol}://{name}"
        refused = _refusal(Path(name), Path(path), symlinks) if local else _remote_refusal(fs, name, path, info, symlinks)
        target = str(Path(name).resolve()) if local and not refused else ""
        yield SourceFile(uri=uri, size=int(info.get("size") or 0), mtime=_mtime(info), refused=refused, target=target)


def _refusal(file: Path, root: Path, symlinks: Symlinks) -> str:
    """Why a local file must not be read, or "" when it may be."""
    try:
        mode = file.stat().st_mode  # through links: what would be read
    except OSError:
        return "a symbolic link to nothing: never read"
    if stat.S_ISDIR(mode):  # the listing does not descend into linked folders
        return "a symbolic link to a folder: folders behind links are never listed"
    if not stat.S_ISREG(mode):
        return "not a regular file (a FIFO, socket or device): never read"
    top = root.resolve()  # a root that is itself a link is what the user asked for
    plain = top / file.relative_to(root) if file != root else top
    target = file.resolve()
    if symlinks == "follow" or target == plain:  # no link on the way below the root
        return ""
    if symlinks == "never":
        return NEVER
    if not target.is_relative_to(top if root.is_dir() else top.parent):
        return OUTSIDE
    return ""


def _remote_refusal(fs: fsspec.AbstractFileSystem, name: str, root: str, info: dict, symlinks: Symlinks) -> str:
    """The same rule for fsspec sources that report links (SFTP and SMB say "link"; a ``dir://``
    view of a disk gives the link's text). A target that cannot be checked is not read."""
    if not (info.get("islink") or info.get("type") == "link") or symlinks == "follow":
        return ""
    if symlinks == "never":
        return NEVER
    destination = info.get("destination")
    if not destination:
        return ("a symbolic link whose target this source does not report (sync.symlinks is within_source): "
                "never read; set sync.symlinks: follow to read such links")
    target = posixpath.normpath(posixpath.join(posixpath.dirname(name), destination))
    # a root of "" is a namespace of relative names (a dir:// view); "/" or "bucket/docs" are absolute
    inside = target.startswith(root.rstrip("/") + "/") if root else not target.startswith(("/", ".."))
    if not inside:
        return OUTSIDE
    try:
        linked = fs.info(target)
    except Exception:  # backends raise their own types
        return "a symbolic link to nothing: never read"
    if linked.get("islink") or linked.get("type") == "link" or linked.get("type") == "directory":
        return "a symbolic link to another link or to a folder (sync.symlinks is within_source): never read"
    return ""


def read_bytes(uri: str, storage_options: dict | None = None, target: str = "") -> bytes:
    """The file's bytes. With ``target`` (a local file as the listing approved it), what is opened
    must still be that regular file: a file swapped for a link out of the source, or for a FIFO,
    between the listing and the read (the sensor lists, a batch reads later) raises OSError."""
    if not target:
        with fsspec.open(path_or_url(uri), "rb", **(storage_options or {})) as fh:
            return fh.read()
    fd = os.open(path_or_url(uri), os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)  # a FIFO does not block
    with os.fdopen(fd, "rb") as fh:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError("it is no longer a regular file (changed since it was listed): not read")
        opened = os.readlink(f"/proc/self/fd/{fd}") if os.path.isdir("/proc/self/fd") else os.path.realpath(fh.name)
        if opened != target:
            raise OSError("it now leads somewhere else than when it was listed (a link swapped in?): not read")
        return fh.read()
