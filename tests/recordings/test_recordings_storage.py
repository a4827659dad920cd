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


def test_s3_is_not_available_yet():
    with pytest.raises(StorageNotAvailable, match="not available yet"):
        storage_from_url("s3://bucket/recordings")


@pytest.mark.parametrize("url", ["", "https://example.invalid/x", "file://otherhost/x"])
def test_unsupported_locations(url: str):
    with pytest.raises(StorageNotAvailable):
        storage_from_url(url)
