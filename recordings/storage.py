"""Where processed recordings are kept, behind a small interface.

Callers depend on `Storage` and get one from `storage_from_url(RECORDINGS_DIR)`; today that is
a local folder (`LocalStorage`). An S3-compatible store for several web nodes can be added as
another class with the same five methods and a `s3://` branch in the factory, without touching
callers.

Keys are relative, slash-separated paths such as `recordings/42/v3/carrier.wav`.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path, PurePosixPath
from typing import Protocol, runtime_checkable
from urllib.parse import unquote, urlparse


class StorageError(Exception):
    """Base class for storage errors."""


class InvalidKey(StorageError, ValueError):
    """The key is empty, absolute, or would leave the storage's root."""


class ObjectNotFound(StorageError, KeyError):
    """No object is stored under this key."""


class StorageNotAvailable(StorageError, ValueError):
    """The storage URL names a kind of storage this version cannot use."""


@runtime_checkable
class Storage(Protocol):
    """A flat store of bytes by key."""

    def put(self, key: str, data: bytes, content_type: str) -> None:
        """Store `data` under `key`, replacing any previous object, all or nothing."""
        ...

    def get(self, key: str) -> bytes:
        """The bytes stored under `key`; raises ObjectNotFound."""
        ...

    def exists(self, key: str) -> bool:
        """Whether an object is stored under `key`."""
        ...

    def delete(self, key: str) -> None:
        """Remove the object under `key`; nothing happens when there is none."""
        ...

    def size(self, key: str) -> int:
        """Size in bytes of the object under `key`; raises ObjectNotFound."""
        ...


def validate_key(key: str) -> PurePosixPath:
    """The key as a relative path, or InvalidKey if it could escape the root."""
    if not isinstance(key, str) or not key or "\x00" in key or "\\" in key:
        raise InvalidKey(f"invalid storage key: {key!r}")
    path = PurePosixPath(key)
    if path.is_absolute() or any(part in ("..", ".", "") for part in key.split("/")):
        raise InvalidKey(f"storage keys must be relative paths without '.' or '..': {key!r}")
    return path


class LocalStorage:
    """Objects as files under a root folder; writes are atomic (temporary file + rename).

    The content type is not kept: callers know what they stored (the carrier file is
    `audio/wav`, the preview `audio/mpeg`).
    """

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root).resolve()

    def __repr__(self) -> str:
        return f"LocalStorage({str(self.root)!r})"

    def path(self, key: str) -> Path:
        """The file that holds `key`, guaranteed to be inside the root."""
        path = (self.root / validate_key(key)).resolve()
        if not path.is_relative_to(self.root) or path == self.root:
            raise InvalidKey(f"storage key leaves the storage folder: {key!r}")
        return path

    def put(self, key: str, data: bytes, content_type: str) -> None:
        target = self.path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        descriptor, temporary = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
        try:
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.chmod(temporary, 0o644)
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    def get(self, key: str) -> bytes:
        try:
            return self.path(key).read_bytes()
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            raise ObjectNotFound(key) from None

    def exists(self, key: str) -> bool:
        return self.path(key).is_file()

    def delete(self, key: str) -> None:
        with contextlib.suppress(FileNotFoundError, IsADirectoryError, NotADirectoryError):
            self.path(key).unlink()

    def size(self, key: str) -> int:
        path = self.path(key)
        if not path.is_file():
            raise ObjectNotFound(key)
        return path.stat().st_size


def storage_from_url(url_or_path: str | os.PathLike[str]) -> Storage:
    """The storage a setting names: a folder path or `file://` URL (an S3 URL: not yet)."""
    text = os.fspath(url_or_path)
    if not text:
        raise StorageNotAvailable("no storage location given: set a folder path")
    scheme = urlparse(text).scheme.lower()
    if scheme == "file":
        parsed = urlparse(text)
        if parsed.netloc not in ("", "localhost"):
            raise StorageNotAvailable(f"file URLs must name a local folder: {text!r}")
        return LocalStorage(Path(unquote(parsed.path)))
    if scheme in ("s3", "s3+http", "s3+https"):
        raise StorageNotAvailable(
            f"S3-compatible storage is not available yet ({text!r}); "
            "use a local folder path or a file:// URL"
        )
    if scheme and len(scheme) > 1:  # one letter would be a Windows drive
        raise StorageNotAvailable(f"unsupported storage URL scheme {scheme!r} in {text!r}")
    return LocalStorage(Path(text).expanduser())
