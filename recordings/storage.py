"""Where processed recordings are kept, behind a small interface.

Callers depend on `Storage` and get one from `storage_from_url(url)`: a local folder
(`LocalStorage`, the default) or a bucket of an S3-compatible service (`recordings.s3`, for
several nodes sharing one store). Both write whole objects only, stream reads in chunks (a byte
range when asked), and can tell an object's SHA-256 (`storage migrate` compares it).

Keys are relative, slash-separated paths such as `recordings/42/v3/carrier.wav`.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from collections.abc import Iterator
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


class StorageMisconfigured(StorageError):
    """The storage cannot be used as set: the message names the setting to fix."""

    def __init__(self, setting: str, message: str) -> None:
        super().__init__(f"{setting}: {message}")
        self.setting = setting


class StorageUnavailable(StorageError):
    """The storage did not answer (network, service down); trying again later may work."""


CHUNK_BYTES = 64 * 1024


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

    def read(self, key: str, start: int = 0, length: int | None = None) -> Iterator[bytes]:
        """The object's bytes from `start` (`length` of them, else to the end) in chunks, never
        the whole object in memory; raises ObjectNotFound before the first chunk."""
        ...

    def put_file(self, key: str, path: Path, content_type: str, sha256: str) -> None:
        """Store the file at `path` (whose SHA-256 is `sha256`) under `key`, all or nothing."""
        ...

    def sha256(self, key: str) -> str | None:
        """The stored object's SHA-256 (hex), None when the store does not know it (an object
        written by another tool); raises ObjectNotFound."""
        ...

    def list_keys(self) -> Iterator[str]:
        """Every key stored, in no particular order."""
        ...

    def check(self) -> None:
        """Raise StorageMisconfigured (naming the setting) or StorageUnavailable unless the
        store can be used now."""
        ...


def file_sha256(path: Path) -> str:
    """The SHA-256 (hex) of a file, read in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK_BYTES):
            digest.update(chunk)
    return digest.hexdigest()


def read_file(path: Path, start: int, length: int | None) -> Iterator[bytes]:
    """Chunks of an open file's bytes from `start`; the file is opened before the first chunk
    is asked for, so a missing file raises at the call."""
    handle = path.open("rb")

    def chunks() -> Iterator[bytes]:
        with handle:
            handle.seek(start)
            left = length
            while left is None or left > 0:
                chunk = handle.read(CHUNK_BYTES if left is None else min(CHUNK_BYTES, left))
                if not chunk:
                    return
                if left is not None:
                    left -= len(chunk)
                yield chunk

    return chunks()


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
        self._write(key, [data])

    def put_file(self, key: str, path: Path, content_type: str, sha256: str) -> None:
        with Path(path).open("rb") as source:
            self._write(key, iter(lambda: source.read(CHUNK_BYTES), b""))

    def _write(self, key: str, chunks) -> None:
        """Write to a temporary file beside the target, then rename it over: all or nothing."""
        target = self.path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        descriptor, temporary = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
        try:
            with os.fdopen(descriptor, "wb") as handle:
                for chunk in chunks:
                    handle.write(chunk)
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

    def read(self, key: str, start: int = 0, length: int | None = None) -> Iterator[bytes]:
        try:
            return read_file(self.path(key), start, length)
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            raise ObjectNotFound(key) from None

    def sha256(self, key: str) -> str | None:
        path = self.path(key)
        if not path.is_file():
            raise ObjectNotFound(key)
        return file_sha256(path)

    def list_keys(self) -> Iterator[str]:
        """Stored files only: the temporary files of writes in progress start with a dot."""
        if not self.root.is_dir():
            return
        for path in sorted(self.root.rglob("*")):
            relative = path.relative_to(self.root)
            if path.is_file() and not any(part.startswith(".") for part in relative.parts):
                yield relative.as_posix()

    def check(self) -> None:
        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise StorageMisconfigured(
                "RECORDINGS_STORAGE_URL", f"cannot create the folder {str(self.root)!r}: {error}"
            ) from None
        if not os.access(self.root, os.W_OK | os.X_OK):
            raise StorageMisconfigured(
                "RECORDINGS_STORAGE_URL", f"the folder {str(self.root)!r} is not writable"
            )


def storage_from_url(
    url_or_path: str | os.PathLike[str],
    *,
    endpoint_url: str | None = None,
    region: str | None = None,
) -> Storage:
    """The storage a setting names: a folder path, a `file://` URL, or `s3://bucket/prefix`
    (a bucket of the S3 API at `endpoint_url`, AWS's own when None; credentials from boto3's
    usual chain: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, a profile, an instance role)."""
    text = os.fspath(url_or_path)
    if not text:
        raise StorageNotAvailable("no storage location given: set a folder path")
    scheme = urlparse(text).scheme.lower()
    if scheme == "file":
        parsed = urlparse(text)
        if parsed.netloc not in ("", "localhost"):
            raise StorageNotAvailable(f"file URLs must name a local folder: {text!r}")
        return LocalStorage(Path(unquote(parsed.path)))
    if scheme == "s3":
        from recordings.s3 import S3Storage  # boto3 is loaded only by those who use it

        parsed = urlparse(text)
        if not parsed.netloc:
            raise StorageMisconfigured("RECORDINGS_STORAGE_URL", f"no bucket named in {text!r}")
        return S3Storage(
            parsed.netloc, parsed.path.strip("/"), endpoint_url=endpoint_url, region=region
        )
    if scheme and len(scheme) > 1:  # one letter would be a Windows drive
        raise StorageNotAvailable(f"unsupported storage URL scheme {scheme!r} in {text!r}")
    return LocalStorage(Path(text).expanduser())
