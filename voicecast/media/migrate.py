"""`voicecast storage migrate`: copy a local recordings folder into the storage in force (the
bucket RECORDINGS_STORAGE_URL names), so a service that kept its files on one node's disk can
move to shared storage.

Safe to run again and again: an object whose SHA-256 already matches the file is skipped, and
every object is written whole (one PutObject), so a run killed halfway leaves complete objects
or none, and the next run takes up where it stopped. Each copy is verified: the service checks
the body against its MD5 on receipt, and the object's size and SHA-256 are read back.
"""

from __future__ import annotations

import mimetypes
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from recordings.storage import (
    LocalStorage,
    ObjectNotFound,
    Storage,
    StorageError,
    file_sha256,
)
from voicecast.media.store import get_storage

# Files that `mimetypes` cannot tell: a recording's original upload keeps no extension.
DEFAULT_CONTENT_TYPE = "application/octet-stream"


@dataclass
class Tally:
    copied: int = 0
    skipped: int = 0
    failed: list[str] = field(default_factory=list)


def content_type_of(key: str) -> str:
    return mimetypes.guess_type(key)[0] or DEFAULT_CONTENT_TYPE


def stored_sha256(target: Storage, key: str) -> str | None:
    try:
        return target.sha256(key)
    except ObjectNotFound:
        return None


def copy_one(source: LocalStorage, target: Storage, key: str) -> str:
    """Copy one file: "copied", or "skipped" when the same bytes are there already; raises
    StorageError when the copy does not read back as the file."""
    path = source.path(key)
    sha = file_sha256(path)
    if stored_sha256(target, key) == sha:
        return "skipped"
    target.put_file(key, path, content_type_of(key), sha)
    if stored_sha256(target, key) != sha or target.size(key) != path.stat().st_size:
        raise StorageError(f"{key}: the copy does not match the file (size or SHA-256)")
    return "copied"


def migrate(source: LocalStorage, target: Storage, say: Callable[[str], None]) -> Tally:
    """Copy every file of `source` into `target`, saying what happened to each."""
    tally = Tally()
    for key in source.list_keys():
        try:
            outcome = copy_one(source, target, key)
        except StorageError as error:
            tally.failed.append(key)
            say(f"failed  {key}: {error}")
            continue
        if outcome == "copied":
            tally.copied += 1
        else:
            tally.skipped += 1
        say(f"{outcome} {key}")
    return tally


@click.group("storage", help="Manage the recordings storage.")
def storage_cli() -> None:
    pass


@storage_cli.command("migrate")
@click.option(
    "--from",
    "source_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="The local folder to copy; default: RECORDINGS_DIR.",
)
@with_appcontext
def migrate_command(source_dir: Path | None) -> None:
    """Copy a local recordings folder into the storage RECORDINGS_STORAGE_URL names (a
    bucket); files already there with the same SHA-256 are skipped, so it can run again."""
    source = LocalStorage(source_dir or current_app.config["RECORDINGS_DIR"])
    target = get_storage()
    if not source.root.is_dir():
        raise click.UsageError(f"No folder {str(source.root)!r} to copy.")
    if isinstance(target, LocalStorage) and target.root == source.root:
        raise click.UsageError(
            "RECORDINGS_STORAGE_URL names that same folder: set it to the bucket to copy into "
            "(s3://bucket/prefix)."
        )
    click.echo(f"Copying {source.root} into {target!r}")
    tally = migrate(source, target, lambda line: click.echo(line))
    click.echo(f"{tally.copied} copied, {tally.skipped} already there, {len(tally.failed)} failed")
    if tally.failed:
        raise SystemExit(1)
