"""The `voicecast` command as an operator uses it."""

from __future__ import annotations

from tests.helpers import create_tenant


def test_account_create_prints_a_working_admin_key_last(runner, client):
    result = runner.invoke(args=["account", "create", "Garage Martin", "--email", "Boss@Martin.fr"])
    assert result.exit_code == 0, result.output
    key = result.output.strip().splitlines()[-1]
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {key}"})
    assert me.json["role"] == "admin"
    assert me.json["email"] == "boss@martin.fr"
    assert me.json["account"] == {
        "id": me.json["account"]["id"],
        "name": "Garage Martin",
        "country": "FR",
        "timezone": "Europe/Paris",
        "caller_id": None,
        "calling_rules": "FR",  # a French account calls under the French rules by default
        "calling_rules_changes": None,
        "fallback_number": None,
        "attribution_days": 30,  # callbacks go to the seller heard in the last 30 days
        "sms_sender": None,  # texts from its first SMS-capable number, if it has one
        "outcome_attribution_days": 30,  # an outcome goes to the last drop or callback in 30 days
    }
    assert "FR)." in result.output


def test_account_create_takes_the_country_time_zone_or_an_explicit_one(runner, client):
    us = runner.invoke(
        args=["account", "create", "Dealer", "--email", "a@us.example", "--country", "us"]
    )
    key = us.output.strip().splitlines()[-1]
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {key}"}).json
    assert (me["account"]["country"], me["account"]["timezone"]) == ("US", "America/New_York")
    unknown = runner.invoke(
        args=["account", "create", "X", "--email", "x@x.example", "--country", "JP"]
    )
    assert unknown.exit_code != 0 and "pass --timezone" in unknown.output
    bad = runner.invoke(
        args=["account", "create", "X", "--email", "x@x.example", "--timezone", "Mars/Olympus"]
    )
    assert bad.exit_code != 0 and "Unknown time zone" in bad.output


def test_account_create_takes_calling_rules_or_none(runner, client):
    japan = runner.invoke(
        args=["account", "create", "Tokyo", "--email", "t@jp.example", "--country", "JP",
              "--timezone", "Asia/Tokyo"]
    )  # fmt: skip
    assert japan.exit_code == 0 and "no calling rules" in japan.output  # no preset for JP
    test_numbers = runner.invoke(
        args=["account", "create", "Lab", "--email", "l@lab.example", "--rules", "none"]
    )
    assert test_numbers.exit_code == 0 and "no calling rules" in test_numbers.output
    wrong = runner.invoke(
        args=["account", "create", "X", "--email", "x@x.example", "--rules", "DE"]
    )
    assert wrong.exit_code != 0 and "use FR, US or none" in wrong.output


def test_a_french_account_cannot_present_a_mobile_number(runner, client):
    made = runner.invoke(args=["account", "create", "Garage", "--email", "g@garage.example"])
    account_id = made.output.split()[1]
    mobile = runner.invoke(args=["account", "set-caller-id", account_id, "06 12 34 56 78"])
    assert mobile.exit_code != 0 and "mobile number" in mobile.output
    fixed = runner.invoke(args=["account", "set-caller-id", account_id, "01 62 00 00 01"])
    assert fixed.exit_code == 0, fixed.output


def test_account_create_refuses_an_email_in_use(runner, client):
    create_tenant(runner, client, "A", "same@example.com")
    again = runner.invoke(args=["account", "create", "B", "--email", "SAME@example.com"])
    assert again.exit_code != 0
    assert "already used" in again.output


def test_user_create_makes_a_manager_who_sees_the_whole_account(runner, client):
    admin = create_tenant(runner, client, "Garage", "admin@garage.example")
    seller = client.post("/api/v1/sellers", headers=admin.headers, json={"name": "Léa"}).json
    result = runner.invoke(
        args=[
            "user",
            "create",
            "chef@garage.example",
            "--account",
            str(admin.account_id),
            "--name",
            "Chef",
        ]
    )
    assert result.exit_code == 0, result.output
    manager = {"Authorization": f"Bearer {result.output.strip().splitlines()[-1]}"}
    assert client.get("/api/v1/me", headers=manager).json["role"] == "manager"
    listed = client.get("/api/v1/sellers", headers=manager).json["items"]
    assert [s["id"] for s in listed] == [seller["id"]]


def test_user_create_needs_an_existing_account(runner, client):
    result = runner.invoke(
        args=["user", "create", "x@x.example", "--account", "999", "--name", "X"]
    )
    assert result.exit_code != 0
    assert "No account with id 999" in result.output
