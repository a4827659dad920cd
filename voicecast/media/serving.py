"""Serving a stored file over HTTP, whatever the storage: streamed in chunks from the folder or
the bucket (never the whole file in memory), with its validators (ETag, Last-Modified), its
Cache-Control, conditional requests (304) and one byte range (206, 416), as players and the
carrier's media cache expect."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from flask import Response, abort, request

from recordings.storage import ObjectNotFound, Storage, StorageError


def stream_file(
    storage: Storage,
    key: str,
    mimetype: str,
    etag: str,
    last_modified: datetime | None,
    cache: Callable[[Response], None],
) -> Response:
    """The file under `key` as the response to the current request (GET or HEAD)."""
    try:
        size = storage.size(key)
    except ObjectNotFound:
        abort(404)
    except StorageError:
        abort(503)
    if last_modified is not None:
        last_modified = last_modified.replace(microsecond=0)  # HTTP dates have whole seconds
    response = Response(mimetype=mimetype)
    response.set_etag(etag)
    response.last_modified = last_modified
    response.accept_ranges = "bytes"
    cache(response)
    if not_modified(etag, last_modified):
        response.status_code = 304
        return response
    start, length = wanted_range(etag, size, response)
    if response.status_code == 416:
        return response
    response.content_length = length
    if request.method != "HEAD" and length:
        try:
            response.response = storage.read(key, start, length)
        except ObjectNotFound:
            abort(404)
        except StorageError:
            abort(503)
        response.direct_passthrough = True
    return response


def not_modified(etag: str, last_modified: datetime | None) -> bool:
    """Whether the client's copy is current (If-None-Match wins over If-Modified-Since)."""
    if request.if_none_match:
        return request.if_none_match.contains_weak(etag)
    since = request.if_modified_since
    return since is not None and last_modified is not None and last_modified <= since


def wanted_range(etag: str, size: int, response: Response) -> tuple[int, int]:
    """(start, length) of what to send; sets 206 and Content-Range for a satisfiable single
    range, 416 for an unsatisfiable one. Several ranges, or an If-Range that no longer
    matches, get the whole file."""
    ranges = request.range
    if ranges is None or len(ranges.ranges) != 1 or not if_range_holds(etag):
        return 0, size
    bounds = ranges.range_for_length(size)
    if bounds is None:
        response.status_code = 416
        response.headers["Content-Range"] = f"bytes */{size}"
        return 0, 0
    start, stop = bounds
    response.status_code = 206
    response.content_range = ranges.make_content_range(size)
    return start, stop - start


def if_range_holds(etag: str) -> bool:
    if_range = request.if_range
    if if_range.etag is None and if_range.date is None:
        return True
    return if_range.etag == etag
