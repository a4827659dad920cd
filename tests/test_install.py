"""A fresh install reproduces requirements.lock exactly: every package the lock pins for this
Python and platform is installed at its version, and nothing else is (but the project)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

LOCK = Path(__file__).resolve().parents[1] / "requirements.lock"
# A pinned line of the lock: `name==version` and an optional `; marker`, before the hashes.
PINNED = re.compile(r"^([A-Za-z0-9][^\s\\]*==[^\s\\;]+(?:\s*;[^\\]+)?)", re.MULTILINE)


def locked_for_this_python() -> dict[str, str]:
    """name -> version of what the lock installs here (its markers evaluated)."""
    pins = {}
    for line in PINNED.findall(LOCK.read_text()):
        requirement = Requirement(line.strip())
        if requirement.marker is None or requirement.marker.evaluate():
            (specifier,) = requirement.specifier
            pins[canonicalize_name(requirement.name)] = specifier.version
    return pins


def installed() -> dict[str, str]:
    """name -> version as `pip freeze` reports them (the editable project left out)."""
    frozen = subprocess.run(
        [sys.executable, "-m", "pip", "freeze", "--exclude-editable", "--all"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    packages = {}
    for line in frozen.splitlines():
        name, _, version = line.partition("==")
        if version:
            packages[canonicalize_name(name)] = version
    return packages


@pytest.mark.skipif(
    os.environ.get("VOICECAST_UNLOCKED") == "1", reason="`make test-latest`: newest releases"
)
def test_the_environment_is_exactly_the_lock() -> None:
    locked = locked_for_this_python()
    # pip comes with the venv itself, not from the lock.
    present = {name: version for name, version in installed().items() if name != "pip"}
    missing = {name: version for name, version in locked.items() if name not in present}
    extra = {name: version for name, version in present.items() if name not in locked}
    different = {
        name: f"{present[name]} installed, {version} locked"
        for name, version in locked.items()
        if name in present and present[name] != version
    }
    assert (missing, extra, different) == ({}, {}, {}), (
        "the venv differs from requirements.lock; `make` installs it again from the lock"
    )
    assert len(locked) > 50  # the lock was read at all
