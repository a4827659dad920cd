"""A real S3 API server for the storage tests: moto's server mode (`moto[server]`, in the dev
extra) in a subprocess on a free loopback port; `tests/s3_fixtures.py` starts one per test
process and stops it at the end.

It enforces credentials (moto's IAM authentication): the server's first few requests, made
here unauthenticated, create the user whose key the tests use, so a wrong key is refused as
AWS would. Each test gets a bucket of its own (`bucket`), with the environment that names it
set before the app is built (`RECORDINGS_STORAGE_URL`, `AWS_ENDPOINT_URL`, the key).
"""

from __future__ import annotations

import json
import socket
import subprocess
import time
import urllib.request
from dataclasses import dataclass

import boto3

REGION = "eu-west-3"
# The unauthenticated requests moto allows before it checks signatures: the set-up's own.
SETUP_REQUESTS = 3
ALLOW_ALL = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class S3Server:
    url: str
    access_key: str
    secret_key: str

    def client(self):
        return boto3.client(
            "s3",
            endpoint_url=self.url,
            region_name=REGION,
            aws_access_key_id=self.access_key,
            aws_secret_access_key=self.secret_key,
        )


def wait_until_up(url: str, process: subprocess.Popen, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"moto's server exited with {process.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/moto-api/", timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"moto's server did not answer at {url} in {timeout} s")


def make_user(url: str) -> tuple[str, str]:
    """The key of a user allowed everything, made with the server's unauthenticated requests."""
    iam = boto3.client(
        "iam",
        endpoint_url=url,
        region_name=REGION,
        aws_access_key_id="setup",
        aws_secret_access_key="setup",
    )
    iam.create_user(UserName="voicecast")
    iam.put_user_policy(
        UserName="voicecast", PolicyName="all", PolicyDocument=json.dumps(ALLOW_ALL)
    )
    key = iam.create_access_key(UserName="voicecast")["AccessKey"]
    return key["AccessKeyId"], key["SecretAccessKey"]


def objects(s3_server: S3Server, bucket: str) -> dict[str, bytes]:
    """Every object of the bucket by key, as the S3 API gives them."""
    client = s3_server.client()
    listed = client.list_objects_v2(Bucket=bucket).get("Contents", [])
    return {
        item["Key"]: client.get_object(Bucket=bucket, Key=item["Key"])["Body"].read()
        for item in listed
    }
