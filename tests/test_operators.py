"""The service's operators: RQ's dashboard spans every account's jobs, so only users the server
made operators (`voicecast operators grant`) see it; any account's admin finds nothing there."""

from __future__ import annotations

import pytest

from tests.helpers import create_tenant
from tests.test_operations import set_password
from tests.test_web_login import PASSWORD, log_in
from voicecast.jobs import MARK_KEY_USED

JOB_ID = "mark-key-used-of-a"
LISTING = "/admin/rq/0/data/jobs/default/queued/8/asc/1.json"
ONE_JOB = f"/admin/rq/0/data/job/{JOB_ID}.json"
DELETE = f"/admin/rq/job/{JOB_ID}/delete"
SAME_ORIGIN = {"Origin": "http://localhost"}


@pytest.fixture
def accounts(app, runner, client):
    """Account A with a job queued, account B's admin, and an operator; all with passwords."""
    a = create_tenant(runner, client, "Garage Dupont", "chef@dupont.example")
    create_tenant(runner, client, "Garage Martin", "chef@martin.example")
    create_tenant(runner, client, "Exploitation", "ops@voicecast.example")
    for email in ("chef@dupont.example", "chef@martin.example", "ops@voicecast.example"):
        set_password(runner, email)
    with app.app_context():
        MARK_KEY_USED.enqueue(a.account_id, "2026-01-01T00:00:00", job_id=JOB_ID)
    granted = runner.invoke(args=["operators", "grant", "ops@voicecast.example"])
    assert granted.exit_code == 0, granted.output
    return a


def job_exists(app) -> bool:
    from rq.job import Job

    from voicecast.redis_client import get_redis

    with app.app_context():
        return Job.exists(JOB_ID, connection=get_redis())


def test_another_accounts_admin_can_neither_list_nor_delete_the_jobs(app, client, accounts):
    assert log_in(client, "chef@martin.example", PASSWORD).status_code == 302
    assert client.get(LISTING).status_code == 404
    assert client.get(ONE_JOB).status_code == 404
    assert client.post(DELETE, headers=SAME_ORIGIN).status_code == 404
    assert job_exists(app)


def test_the_accounts_own_admin_finds_nothing_either(app, client, accounts):
    assert log_in(client, "chef@dupont.example", PASSWORD).status_code == 302
    assert client.get("/admin/rq/").status_code == 404
    assert client.post(DELETE, headers=SAME_ORIGIN).status_code == 404
    assert job_exists(app)


def test_an_operator_lists_and_deletes_them(app, client, accounts):
    assert log_in(client, "ops@voicecast.example", PASSWORD).status_code == 302
    listed = client.get(LISTING)
    assert listed.status_code == 200
    assert JOB_ID in [job["id"] for job in listed.json["jobs"]]
    assert client.post(DELETE, headers=SAME_ORIGIN).status_code == 200
    assert not job_exists(app)


def test_revoking_takes_effect_at_the_next_request(runner, client, accounts):
    assert log_in(client, "ops@voicecast.example", PASSWORD).status_code == 302
    assert client.get(LISTING).status_code == 200
    revoked = runner.invoke(args=["operators", "revoke", "ops@voicecast.example"])
    assert revoked.exit_code == 0, revoked.output
    assert client.get(LISTING).status_code == 404


def test_the_operators_command(runner, accounts):
    listed = runner.invoke(args=["operators", "list"])
    assert listed.exit_code == 0
    assert listed.output.split() == ["ops@voicecast.example"]
    unknown = runner.invoke(args=["operators", "grant", "nobody@example.com"])
    assert unknown.exit_code != 0
    assert "No manager or admin with email nobody@example.com" in unknown.output
