"""Operations: RQ's dashboard for operators only, request ids, JSON logs, their settings."""

from __future__ import annotations

import json
import logging

import pytest

from tests.helpers import add_manager, create_tenant
from tests.test_web_login import PASSWORD, log_in
from voicecast.config import ConfigError, load_settings
from voicecast.observability.logs import JsonFormatter, job_id_var, request_id_var

DASHBOARD = "/admin/rq/"


def set_password(runner, email: str) -> None:
    result = runner.invoke(args=["user", "set-password", email], input=f"{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 0, result.output


@pytest.fixture
def admin(runner, client):
    tenant = create_tenant(runner, client, "Garage Dupont", "chef@dupont.example")
    set_password(runner, "chef@dupont.example")
    return tenant


def test_an_anonymous_visitor_finds_nothing(client):
    for path in (DASHBOARD, "/admin/rq/0/data/queues.json", "/admin/rq/0/view/workers"):
        assert client.get(path).status_code == 404, path
    assert client.post("/admin/rq/queue/default/failed/empty").status_code == 404


def test_an_api_key_is_not_a_dashboard_login(client, admin):
    response = client.get(DASHBOARD, headers=admin.headers)
    assert response.status_code == 404


def test_a_manager_finds_nothing(runner, client, admin):
    add_manager(runner, admin.account_id, "vente@dupont.example")
    set_password(runner, "vente@dupont.example")
    assert log_in(client, "vente@dupont.example", PASSWORD).status_code == 302
    assert client.get("/").status_code == 200  # logged in
    assert client.get(DASHBOARD).status_code == 404
    assert client.get("/admin/rq/0/data/queues.json").status_code == 404


def test_an_operator_sees_the_dashboard_and_its_queues(app, runner, client, admin):
    from voicecast.jobs import MARK_KEY_USED
    from voicecast.queues import get_queue

    with app.app_context():
        MARK_KEY_USED.enqueue(1, "2026-01-01T00:00:00")
        waiting = get_queue("default").count  # with the job noting the admin's key use
    assert runner.invoke(args=["operators", "grant", "chef@dupont.example"]).exit_code == 0
    assert log_in(client, "chef@dupont.example", PASSWORD).status_code == 302
    page = client.get(DASHBOARD)
    assert page.status_code == 200
    assert "RQ" in page.get_data(as_text=True)
    queues = client.get("/admin/rq/0/data/queues.json")
    assert queues.status_code == 200
    counts = {queue["name"]: queue["count"] for queue in queues.json["queues"]}
    assert counts["default"] == waiting >= 1
    # Its buttons post from its own pages; a post from elsewhere is refused.
    empty = "/admin/rq/queue/default/queued/empty"
    assert client.post(empty, headers={"Origin": "https://evil.example"}).status_code == 403
    assert client.post(empty).status_code == 403  # no Origin nor Referer
    done = client.post(empty, headers={"Origin": "http://localhost"})
    assert done.status_code == 200, done.get_data(as_text=True)


def test_every_response_carries_a_request_id(client):
    made = client.get("/healthz")
    assert len(made.headers["X-Request-ID"]) == 32
    kept = client.get("/healthz", headers={"X-Request-ID": "lb-1234.abc"})
    assert kept.headers["X-Request-ID"] == "lb-1234.abc"
    odd = client.get("/healthz", headers={"X-Request-ID": "no spaces\tor tabs"})
    assert odd.headers["X-Request-ID"] != "no spaces\tor tabs"
    # The Twilio webhooks served in front of Flask too.
    webhook = client.post(
        "/twilio/attempts/1/status", data={"CallStatus": "ringing"},
        headers={"X-Request-ID": "twilio-1"},
    )  # fmt: skip
    assert (webhook.status_code, webhook.headers["X-Request-ID"]) == (403, "twilio-1")


class Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.setFormatter(JsonFormatter())
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


def test_json_log_lines_carry_the_request_id(client):
    handler = Lines()
    logger = logging.getLogger("voicecast.telephony.fastpath")
    logger.addHandler(handler)
    try:
        client.post(
            "/twilio/attempts/1/status", data={"CallStatus": "ringing"},
            headers={"X-Request-ID": "req-42"},
        )  # fmt: skip
    finally:
        logger.removeHandler(handler)
    [line] = handler.lines
    entry = json.loads(line)
    assert set(entry) >= {"time", "level", "logger", "message", "request_id"}
    assert (entry["level"], entry["logger"], entry["request_id"]) == (
        "WARNING", "voicecast.telephony.fastpath", "req-42")  # fmt: skip
    assert "refused webhook" in entry["message"]
    assert entry["time"].endswith("+00:00")


def test_json_log_lines_carry_the_job_id_and_the_exception():
    token = job_id_var.set("job-7")
    try:
        record = logging.LogRecord("workers.x", logging.ERROR, __file__, 1, "boom %s", ("é",),
                                   None)  # fmt: skip
        try:
            raise ValueError("bad")
        except ValueError:
            import sys

            record.exc_info = sys.exc_info()
        entry = json.loads(JsonFormatter().format(record))
    finally:
        job_id_var.reset(token)
    assert (entry["job_id"], entry["message"]) == ("job-7", "boom é")
    assert "request_id" not in entry
    assert "ValueError: bad" in entry["exception"]
    assert request_id_var.get() is None


def test_operations_settings(tmp_path):
    settings = load_settings({}, tmp_path)
    assert (settings["LOG_FORMAT"], settings["METRICS_TOKEN"]) == ("text", "")
    assert settings["METRICS_FLUSH_SECONDS"] == 1.0
    env = {"LOG_FORMAT": "JSON", "METRICS_TOKEN": " t ", "METRICS_FLUSH_SECONDS": "0.5"}
    settings = load_settings(env, tmp_path)
    assert (settings["LOG_FORMAT"], settings["METRICS_TOKEN"]) == ("json", "t")
    assert settings["METRICS_FLUSH_SECONDS"] == 0.5
    with pytest.raises(ConfigError, match="LOG_FORMAT"):
        load_settings({"LOG_FORMAT": "xml"}, tmp_path)
    with pytest.raises(ConfigError, match="METRICS_FLUSH_SECONDS"):
        load_settings({"METRICS_FLUSH_SECONDS": "-1"}, tmp_path)
