"""Storage: a local folder behind the Storage interface, atomic writes, keys that cannot
escape, and a factory that names what is not available yet."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from recordings import (
    InvalidKey,
    LocalStorage,
    ObjectNotFound,
    Storage,
    StorageNotAvailable,
    storage_from_url,
)
from recordings.storage import StorageMisconfigured


@pytest.fixture
def storage(tmp_path: Path) -> LocalStorage:
    return LocalStorage(tmp_path / "store")


def test_put_get_exists_size_delete(storage: LocalStorage):
    key = "recordings/42/v1/carrier.wav"
    assert not storage.exists(key)
    storage.put(key, b"RIFF-data", "audio/wav")
    assert storage.exists(key)
    assert storage.get(key) == b"RIFF-data"
    assert storage.size(key) == 9
    storage.put(key, b"new", "audio/wav")
    assert storage.get(key) == b"new"
    storage.delete(key)
    assert not storage.exists(key)
    storage.delete(key)  # deleting twice is fine


def test_missing_objects(storage: LocalStorage):
    with pytest.raises(ObjectNotFound):
        storage.get("nothing/here.wav")
    with pytest.raises(KeyError):  # ObjectNotFound is a KeyError too
        storage.size("nothing/here.wav")
    storage.put("folder/file", b"x", "application/octet-stream")
    with pytest.raises(ObjectNotFound):
        storage.get("folder")  # a folder is not an object
    assert not storage.exists("folder")
    storage.delete("folder")
    assert storage.get("folder/file") == b"x"


@pytest.mark.parametrize(
    "key",
    [
        "",
        "../outside.wav",
        "a/../../outside.wav",
        "a/../b",
        "/etc/passwd",
        "./a",
        "a/./b",
        "a//b",
        "a/",
        "a\\..\\b",
        "a\x00b",
    ],
)
def test_keys_that_could_escape_are_refused(storage: LocalStorage, key: str):
    for action in (
        lambda: storage.put(key, b"x", "audio/wav"),
        lambda: storage.get(key),
        lambda: storage.exists(key),
        lambda: storage.delete(key),
        lambda: storage.size(key),
    ):
        with pytest.raises(InvalidKey):
            action()
    assert not (storage.root.parent / "outside.wav").exists()


def test_symlink_out_of_the_root_is_refused(storage: LocalStorage, tmp_path: Path):
    outside = tmp_path / "outside"
    outside.mkdir()
    storage.root.mkdir(parents=True)
    (storage.root / "link").symlink_to(outside)
    with pytest.raises(InvalidKey):
        storage.put("link/file.wav", b"x", "audio/wav")
    assert not (outside / "file.wav").exists()


def test_writes_are_atomic(storage: LocalStorage, monkeypatch: pytest.MonkeyPatch):
    key = "recordings/1/carrier.wav"
    storage.put(key, b"old", "audio/wav")

    def failing_replace(source, target):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", failing_replace)
    with pytest.raises(OSError, match="disk full"):
        storage.put(key, b"new", "audio/wav")
    monkeypatch.undo()
    assert storage.get(key) == b"old"
    assert sorted(p.name for p in (storage.root / "recordings/1").iterdir()) == ["carrier.wav"]


def test_files_are_readable_by_the_web_server(storage: LocalStorage):
    storage.put("a/b.mp3", b"ID3", "audio/mpeg")
    mode = stat.S_IMODE((storage.root / "a/b.mp3").stat().st_mode)
    assert mode == 0o644


def test_storage_from_a_path_or_file_url(tmp_path: Path):
    for location in (tmp_path / "x", str(tmp_path / "x"), f"file://{tmp_path}/x"):
        storage = storage_from_url(location)
        assert isinstance(storage, LocalStorage)
        assert isinstance(storage, Storage)
        assert storage.root == (tmp_path / "x").resolve()
    storage_from_url(tmp_path / "x").put("k", b"v", "text/plain")
    assert storage_from_url(f"file://{tmp_path}/x").get("k") == b"v"


def test_an_s3_url_names_the_bucket_and_the_prefix():
    from recordings.s3 import S3Storage

    storage = storage_from_url("s3://recordings/voicecast/prod/", endpoint_url="http://[::1]:9")
    assert isinstance(storage, S3Storage) and isinstance(storage, Storage)
    assert (storage.bucket, storage.object_key("a/b.wav")) == (
        "recordings", "voicecast/prod/a/b.wav")  # fmt: skip
    with pytest.raises(StorageMisconfigured, match=r"^RECORDINGS_STORAGE_URL: no bucket"):
        storage_from_url("s3:///voicecast")
    with pytest.raises(StorageMisconfigured, match=r"^AWS_ENDPOINT_URL: "):
        storage_from_url("s3://recordings", endpoint_url="not a url")


def test_reads_stream_a_byte_range_and_listing_skips_writes_in_progress(storage: LocalStorage):
    data = bytes(range(256)) * 1000
    storage.put("a/b.wav", data, "audio/wav")
    (storage.root / "a/.b.wav.tmp123").write_bytes(b"half")  # a write cut short
    assert b"".join(storage.read("a/b.wav", 1000, 70_000)) == data[1000:71_000]
    assert max(len(chunk) for chunk in storage.read("a/b.wav")) <= 64 * 1024
    assert list(storage.list_keys()) == ["a/b.wav"]
    with pytest.raises(ObjectNotFound):
        storage.read("a/missing.wav")


@pytest.mark.parametrize("url", ["", "https://example.invalid/x", "file://otherhost/x"])
def test_unsupported_locations(url: str):
    with pytest.raises(StorageNotAvailable):
        storage_from_url(url)
