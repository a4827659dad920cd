"""The copy of Twilio's API definition the conformance tests carry: used by default, able to
stand alone and to refuse what we never send, and kept equal to what trimming Twilio's full
definition gives (checked when the full one is on this machine)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import requests
from openapi_core import OpenAPI
from openapi_spec_validator import validate

from tests.carrier.conftest import ACCOUNT_SID
from tests.twilio_conformance import (
    BUNDLED_SPEC,
    REPO_ROOT,
    SPEC_ENV,
    find_spec_file,
    full_spec_file,
    request_violations,
)

TRIM = REPO_ROOT / "scripts" / "trim_twilio_definition.py"
CALLS = f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT_SID}/Calls"


def test_the_copy_in_the_repository_is_used_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(SPEC_ENV, raising=False)
    assert find_spec_file() == BUNDLED_SPEC
    assert {"LICENSE", "README.md"} <= {path.name for path in BUNDLED_SPEC.parent.iterdir()}
    assert "MIT License" in (BUNDLED_SPEC.parent / "LICENSE").read_text(encoding="utf-8")


def test_the_environment_may_name_another_file_or_folder(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    other = tmp_path / "twilio_api_v2010.json"
    other.write_text("{}")
    for chosen in (other, tmp_path):
        monkeypatch.setenv(SPEC_ENV, str(chosen))
        assert find_spec_file() == other
        assert full_spec_file() == other


def test_a_missing_definition_fails_with_a_clear_message(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv(SPEC_ENV, str(tmp_path / "nowhere"))
    with pytest.raises(FileNotFoundError, match=f"{SPEC_ENV}=.*nowhere"):
        find_spec_file()
    assert full_spec_file() is None


def test_the_copy_is_a_valid_definition_on_its_own() -> None:
    """Every `$ref` the kept operations make resolves inside the copy."""
    validate(json.loads(BUNDLED_SPEC.read_bytes()))


def test_the_copy_refuses_what_we_never_send() -> None:
    spec = OpenAPI.from_dict(json.loads(BUNDLED_SPEC.read_bytes()))
    refused = [
        ("DELETE", f"{CALLS}/CA{'0' * 32}.json", "Operation delete not found"),
        ("GET", f"{CALLS}/CA{'0' * 32}/Recordings.json", "Path not found"),
    ]
    for method, url, expected in refused:
        prepared = requests.Request(method, url, auth=("a", "b")).prepare()
        problems = request_violations(spec, prepared)
        assert any(expected in problem for problem in problems), (method, url, problems)


def test_the_copy_is_what_trimming_the_full_definition_gives(tmp_path: Path) -> None:
    full = full_spec_file()
    if full is None:
        pytest.skip(
            f"Twilio's full definition is not on this machine (../shared/twilio/ beside the "
            f"clone, or {SPEC_ENV}): the copy cannot be compared with it"
        )
    trimmed = tmp_path / "trimmed.json"
    command = [sys.executable, str(TRIM), "--source", str(full), "--output", str(trimmed)]
    subprocess.run(command, check=True, capture_output=True, timeout=120)
    assert trimmed.read_bytes() == BUNDLED_SPEC.read_bytes(), (
        f"{BUNDLED_SPEC} differs from what {full} trims to; regenerate it with "
        f"`python scripts/trim_twilio_definition.py --source {full}` and update its README"
    )
