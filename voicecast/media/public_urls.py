"""Absolute URLs as the outside world (browsers, the carrier) reaches us: PUBLIC_BASE_URL."""

from __future__ import annotations

from typing import Any

from flask import current_app


def public_url(endpoint: str, **values: Any) -> str:
    """The URL of `endpoint` under PUBLIC_BASE_URL; works in a request, a job or the CLI."""
    path = current_app.url_map.bind("localhost").build(endpoint, values)
    return current_app.config["PUBLIC_BASE_URL"] + path
