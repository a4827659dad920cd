"""Recordings in a bucket of an S3-compatible service (AWS S3, MinIO, Scaleway, OVH...).

An object is written by one PutObject, so it appears whole or not at all; the body's MD5 goes
with it (the service refuses a body that arrived altered) and its SHA-256 is kept in the
object's metadata (`x-amz-meta-sha256`), which `storage migrate` compares. Reads stream the
body in chunks, a byte range when asked.

Errors that say a setting is wrong (no such bucket, an endpoint that does not answer, refused
credentials) become `StorageMisconfigured` naming that setting; others `StorageUnavailable`.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    EndpointConnectionError,
    NoCredentialsError,
    PartialCredentialsError,
)

from recordings.storage import (
    CHUNK_BYTES,
    ObjectNotFound,
    StorageMisconfigured,
    StorageUnavailable,
    validate_key,
)

SHA256_META = "sha256"
NOT_FOUND = {"404", "NoSuchKey", "NotFound"}
NO_BUCKET = {"NoSuchBucket"}
BAD_CREDENTIALS = {
    "403",
    "AccessDenied",
    "InvalidAccessKeyId",
    "SignatureDoesNotMatch",
    "InvalidToken",
    "ExpiredToken",
}
WRONG_REGION = {"AuthorizationHeaderMalformed", "PermanentRedirect", "301"}


def client_config(endpoint_url: str | None) -> Config:
    """Short connect timeouts and few retries, so a wrong endpoint stops the start within
    seconds; bucket names in the path for another service's endpoint (MinIO and others need no
    wildcard DNS then), AWS's own choice for AWS."""
    return Config(
        connect_timeout=5,
        read_timeout=60,
        retries={"max_attempts": 3, "mode": "standard"},
        s3={"addressing_style": "path" if endpoint_url else "auto"},
    )


def error_code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


class S3Storage:
    """Objects under `prefix/` in `bucket`; the same keys as `LocalStorage`."""

    def __init__(
        self,
        bucket: str,
        prefix: str = "",
        *,
        endpoint_url: str | None = None,
        region: str | None = None,
    ) -> None:
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.endpoint_url = endpoint_url
        try:
            self.client = boto3.session.Session().client(
                "s3",
                endpoint_url=endpoint_url,
                region_name=region,
                config=client_config(endpoint_url),
            )
        except ValueError as error:  # botocore's word for an endpoint that is not a URL
            raise StorageMisconfigured("AWS_ENDPOINT_URL", str(error)) from None

    def __repr__(self) -> str:
        where = self.endpoint_url or "AWS"
        return f"S3Storage(s3://{self.bucket}/{self.prefix} at {where})"

    def object_key(self, key: str) -> str:
        validate_key(key)
        return f"{self.prefix}/{key}" if self.prefix else key

    def put(self, key: str, data: bytes, content_type: str) -> None:
        md5 = base64.b64encode(hashlib.md5(data).digest()).decode()
        self._put(key, data, content_type, md5, hashlib.sha256(data).hexdigest())

    def put_file(self, key: str, path: Path, content_type: str, sha256: str) -> None:
        md5 = hashlib.md5()
        with Path(path).open("rb") as handle:
            while chunk := handle.read(CHUNK_BYTES):
                md5.update(chunk)
            handle.seek(0)
            self._put(key, handle, content_type, base64.b64encode(md5.digest()).decode(), sha256)

    def _put(self, key: str, body: Any, content_type: str, md5: str, sha256: str) -> None:
        self._call(
            self.client.put_object,
            Bucket=self.bucket,
            Key=self.object_key(key),
            Body=body,
            ContentType=content_type or "application/octet-stream",
            ContentMD5=md5,
            Metadata={SHA256_META: sha256},
        )

    def get(self, key: str) -> bytes:
        return b"".join(self.read(key))

    def read(self, key: str, start: int = 0, length: int | None = None) -> Iterator[bytes]:
        extra = {}
        if start or length is not None:
            end = "" if length is None else str(start + length - 1)
            extra["Range"] = f"bytes={start}-{end}"
        answer = self._call(
            self.client.get_object, key=key, Bucket=self.bucket, Key=self.object_key(key), **extra
        )
        body = answer["Body"]

        def chunks() -> Iterator[bytes]:
            try:
                yield from body.iter_chunks(CHUNK_BYTES)
            finally:
                body.close()

        return chunks()

    def exists(self, key: str) -> bool:
        try:
            self._head(key)
        except ObjectNotFound:
            return False
        return True

    def delete(self, key: str) -> None:
        self._call(self.client.delete_object, Bucket=self.bucket, Key=self.object_key(key))

    def size(self, key: str) -> int:
        return int(self._head(key)["ContentLength"])

    def sha256(self, key: str) -> str | None:
        return self._head(key).get("Metadata", {}).get(SHA256_META)

    def etag(self, key: str) -> str:
        """The service's ETag, unquoted: the body's MD5 for an object written in one piece."""
        return str(self._head(key)["ETag"]).strip('"')

    def list_keys(self) -> Iterator[str]:
        start = f"{self.prefix}/" if self.prefix else ""
        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=start
        )
        try:
            for page in pages:
                for item in page.get("Contents", []):
                    yield item["Key"][len(start) :]
        except (ClientError, BotoCoreError) as error:
            raise self._translate(error) from error

    def check(self) -> None:
        """The bucket exists and these credentials may use it (HeadBucket)."""
        self._call(self.client.head_bucket, Bucket=self.bucket)

    def _head(self, key: str) -> dict:
        return self._call(
            self.client.head_object, key=key, Bucket=self.bucket, Key=self.object_key(key)
        )

    def _call(self, method, key: str | None = None, **kwargs) -> Any:
        try:
            return method(**kwargs)
        except (ClientError, BotoCoreError) as error:
            raise self._translate(error, key) from error

    def _translate(self, error: Exception, key: str | None = None) -> Exception:
        """Our error for one of boto's: which setting to fix, or that the service is away."""
        where = self.endpoint_url or "AWS S3"
        if isinstance(error, ClientError):
            code = error_code(error)
            if code in NO_BUCKET or (key is None and code in NOT_FOUND):
                return StorageMisconfigured(
                    "RECORDINGS_STORAGE_URL",
                    f"the bucket {self.bucket!r} does not exist at {where} ({code})",
                )
            if code in NOT_FOUND:
                return ObjectNotFound(key)
            if code in WRONG_REGION:
                return StorageMisconfigured(
                    "AWS_REGION", f"the bucket {self.bucket!r} is in another region ({code})"
                )
            if code in BAD_CREDENTIALS:
                return StorageMisconfigured(
                    "AWS_ACCESS_KEY_ID",
                    f"{where} refused the credentials (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY)"
                    f" for the bucket {self.bucket!r} ({code})",
                )
            return StorageUnavailable(f"{where}: {code or error}")
        if isinstance(error, NoCredentialsError | PartialCredentialsError):
            return StorageMisconfigured(
                "AWS_ACCESS_KEY_ID", f"no usable credentials for {where}: {error}"
            )
        if isinstance(error, EndpointConnectionError):
            return StorageMisconfigured("AWS_ENDPOINT_URL", f"cannot connect: {error}")
        return StorageUnavailable(f"{where}: {error}")
