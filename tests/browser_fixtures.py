"""Fixtures for the browser tests: the app served on loopback and a headless Chromium.

A test module uses them with `pytest_plugins = ["tests.browser_fixtures"]` and changes the
browser's flags by defining its own `chromium_args` fixture (e.g. a fake microphone).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from flask import Flask
from playwright import sync_api as playwright_api
from werkzeug.serving import make_server

from tests.browser import CHROMIUM, CHROMIUM_ARGS


@pytest.fixture
def live_server(app: Flask) -> Iterator[str]:
    """The app served on a free loopback port; the URLs it makes for itself point there."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base_url = f"http://127.0.0.1:{server.server_port}"
    app.config["PUBLIC_BASE_URL"] = base_url
    yield base_url
    server.shutdown()
    thread.join(timeout=5)
    server.server_close()


@pytest.fixture
def chromium_args() -> list[str]:
    return list(CHROMIUM_ARGS)


@pytest.fixture
def browser(chromium_args: list[str]) -> Iterator[playwright_api.Browser]:
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=chromium_args)
        yield browser
        browser.close()


@pytest.fixture
def page(browser: playwright_api.Browser, live_server: str) -> Iterator[playwright_api.Page]:
    context = browser.new_context(base_url=live_server)
    yield context.new_page()
    context.close()
