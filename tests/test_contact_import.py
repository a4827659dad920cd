"""Importing customer files as dealerships export them: a report that counts every row and
names every refused one with its reason, and contacts upserted, never duplicated."""

from __future__ import annotations

import io
import json

import pytest
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from tests.helpers import assert_error, create_tenant, seller_key

API = "/api/v1"
FRENCH_HEADER = (
    "N° client;Nom;Prénom;Téléphone;Code postal;Vendeur;Date d'achat;Modèle;Kilométrage;"
    "Contrat d'entretien"
)


@pytest.fixture
def admin(runner, client):
    return create_tenant(runner, client, "Garage Dupont", "chef@dupont.example")


@pytest.fixture
def seller(client, admin):
    made = client.post(
        f"{API}/sellers",
        headers=admin.headers,
        json={"name": "Marie Curie", "email": "marie@dupont.example"},
    )
    assert made.status_code == 201, made.json
    return made.json


def upload(client, tenant, data: bytes, name="clients.csv", **fields):
    boundary, body = encode_multipart(
        {"file": FileStorage(io.BytesIO(data), filename=name), **fields}
    )
    return client.post(
        f"{API}/contacts/import",
        headers=tenant.headers,
        data=body,
        content_type=f"multipart/form-data; boundary={boundary}",
    )


def finished_import(client, tenant, response, run_jobs) -> dict:
    """The import's final state, running the worker first when the file went to one."""
    assert response.status_code in (201, 202), response.json
    if response.status_code == 202:
        assert response.json["status"] == "queued"
        run_jobs()
    got = client.get(f"{API}/contacts/imports/{response.json['id']}", headers=tenant.headers)
    assert got.status_code == 200
    return got.json


def french_export(rows: int) -> tuple[bytes, dict[int, tuple[str, str]]]:
    """A French Excel export (semicolons, Windows-1252, no BOM) of `rows` records, with blank
    lines, bad numbers, duplicates and a row with an unquoted delimiter sprinkled in; returns
    the bytes and the reason expected for each bad line (by file line): its code, and words of
    its French wording."""
    lines, bad = [FRENCH_HEADER], {}
    good_line: dict[int, int] = {}  # customer n -> the file line of its accepted row
    for n in range(rows):
        line_number = len(lines) + 1
        phone = national(n)
        reason = None
        if n % 997 == 5:
            phone, reason = "06 12", ("invalid_phone", "« 06 12 » n'est pas un numéro valide")
        elif n % 1499 == 7:
            phone, reason = "", ("no_phone", "Pas de numéro de téléphone")
        elif n % 1201 == 9 and n - 1 in good_line:
            # the previous customer again, the number written another way
            phone = "+33 " + national(n - 1)[1:]
            reason = ("duplicate_phone", f"qu'à la ligne {good_line[n - 1]}")
        model = "Clio"
        if n % 2003 == 11:
            model = "Clio;extra"
            reason = ("too_many_cells", "11 cellules alors que l'en-tête en a 10")
        if reason:
            bad[line_number] = reason
        else:
            good_line[n] = line_number
        city_code = "97400" if n % 50 == 0 else "69003"
        lines.append(
            f"C{n:06d};Dupré;Hélène;{phone};{city_code};marie@dupont.example;"
            f"{1 + n % 28:02d}/03/2022;{model};{n * 7};{'oui' if n % 3 else 'non'}"
        )
        if n % 500 == 0:
            lines.append("")  # Excel leaves blank lines where rows were deleted
            lines.append(";;;;;;;;;")
    return ("\r\n".join(lines) + "\r\n").encode("cp1252"), bad


def national(n: int) -> str:
    return f"06 {n // 10000 % 100:02d} {n // 100 % 100:02d} {n % 100:02d} 1{n % 10}"


def test_a_french_excel_export_of_10000_rows_is_counted_exactly(
    app, client, admin, seller, run_jobs
):
    data, bad = french_export(10_000)
    state = finished_import(client, admin, upload(client, admin, data), run_jobs)

    assert state["status"] == "done", state
    report = state["report"]
    assert (report["encoding"], report["delimiter"]) == ("windows-1252", ";")
    assert report["rows"] == 10_000
    assert report["rejected"] == len(bad)
    assert report["created"] == 10_000 - len(bad)
    assert report["updated"] == report["unchanged"] == 0
    listed = {error["line"]: (error["code"], error["reason"]) for error in report["errors"]}
    assert set(listed) == set(bad)
    for line, (code, words) in bad.items():
        assert listed[line][0] == code and words in listed[line][1], (line, listed[line])
    lines = report["lines"]  # every physical line: records, the header, blank lines
    assert (lines["lines"], lines["record_lines"], lines["empty_lines"]) == (10_041, 10_000, 40)
    columns = {column["header"]: column for column in report["columns"]}
    assert columns["Téléphone"]["field"] == "phone"
    assert columns["Prénom"]["field"] == "first_name"
    assert columns["N° client"]["field"] == "external_id"
    assert columns["Date d'achat"] == {
        "header": "Date d'achat", "attribute": "date_d_achat", "type": "date", "failed": 0,
        "date_order": "DMY", "ambiguous": False, "date_order_from": "values",
        "date_note": "Lues au format JJ/MM/AAAA : « 13/03/2022 » ne se lit pas autrement.",
    }  # fmt: skip
    assert columns["Kilométrage"]["type"] == "number"
    assert columns["Contrat d'entretien"]["type"] == "boolean"

    found = client.get(
        f"{API}/contacts", headers=admin.headers, query_string={"phone": "+33600000010"}
    ).json["items"]
    (contact,) = found
    assert (contact["first_name"], contact["last_name"]) == ("Hélène", "Dupré")
    assert contact["seller_id"] == seller["id"]
    assert contact["external_id"] == "C000000"
    assert contact["line_type"] == "mobile"
    assert contact["timezone"] == "Indian/Reunion"  # postal code 974xx
    assert contact["attributes"] == {
        "date_d_achat": "2022-03-01", "modele": "Clio", "kilometrage": 0,
        "contrat_d_entretien": False,
    }  # fmt: skip


def test_importing_again_updates_and_keeps_what_the_file_leaves_empty(app, client, admin, run_jobs):
    first = b"Phone,First name,Last name,City\n0612345678,Ana,Lima,Lyon\n0698765432,Bo,,Paris\n"
    state = finished_import(client, admin, upload(client, admin, first), run_jobs)
    assert state["report"]["created"] == 2

    second = "\ufeffTéléphone,Prénom,Nom,Ville\n+33 6 12 34 56 78,Anna,,Lyon 3e\n".encode()
    state = finished_import(client, admin, upload(client, admin, second), run_jobs)
    report = state["report"]
    assert (report["created"], report["updated"], report["rejected"]) == (0, 1, 0)
    assert report["encoding"] == "utf-8"
    (contact,) = client.get(
        f"{API}/contacts", headers=admin.headers, query_string={"phone": "+33612345678"}
    ).json["items"]
    assert (contact["first_name"], contact["last_name"]) == ("Anna", "Lima")
    assert contact["attributes"] == {"city": "Lyon", "ville": "Lyon 3e"}


def test_importing_the_same_customers_again_leaves_unchanged_contacts_untouched(
    app, client, admin, run_jobs
):
    first = b"Phone,First name,Model\n0612345678,Ana,Clio\n0698765432,Bo,Zoe\n"
    finished_import(client, admin, upload(client, admin, first), run_jobs)
    before = contacts_by_phone(client, admin)

    again = b"Phone,First name,Model\n0612345678,Ana,Clio\n0698765432,Bob,Zoe\n"
    state = finished_import(client, admin, upload(client, admin, again), run_jobs)
    report = state["report"]
    assert (report["created"], report["updated"], report["unchanged"]) == (0, 1, 1)
    after = contacts_by_phone(client, admin)
    # Ana's row says what her contact already says: it is not written again.
    assert after["+33612345678"] == before["+33612345678"]
    assert after["+33698765432"]["first_name"] == "Bob"
    assert after["+33698765432"]["updated_at"] > before["+33698765432"]["updated_at"]


def test_a_value_of_another_type_is_a_change_even_where_python_calls_them_equal(
    app, client, admin, run_jobs
):
    first = b"Phone,VIP,Doors\n0612345678,1,5\n"
    finished_import(client, admin, upload(client, admin, first), run_jobs)
    again = b"Phone,VIP,Doors\n0612345678,oui,5\n"  # True == 1 in Python, not in JSON
    state = finished_import(client, admin, upload(client, admin, again), run_jobs)
    assert (state["report"]["updated"], state["report"]["unchanged"]) == (1, 0)
    (contact,) = contacts_by_phone(client, admin).values()
    assert contact["attributes"] == {"vip": True, "doors": 5}
    assert contact["attributes"]["vip"] is True


def test_a_value_too_long_for_its_field_is_a_bad_row_not_a_failed_file(
    app, client, admin, run_jobs
):
    data = (
        "Téléphone;Nom;Code postal;N° client\n"
        "0612345678;Lima;69003;C1\n"
        f"0612345679;Lima;{'6' * 17};C2\n"
        f"0612345680;{'L' * 101};69003;C3\n"
        f"0612345681;Lima;69003;{'C' * 101}\n"
        "0612345682;Lima;69003;C5\n"
    ).encode()
    state = finished_import(client, admin, upload(client, admin, data), run_jobs)
    assert state["status"] == "done", state
    report = state["report"]
    assert (report["created"], report["rejected"]) == (2, 3)
    reasons = {error["line"]: (error["code"], error["reason"]) for error in report["errors"]}
    assert reasons == {
        3: ("too_long", "« Code postal » dépasse 16 caractères."),
        4: ("too_long", "« Nom » dépasse 100 caractères."),
        5: ("too_long", "« N° client » dépasse 100 caractères."),
    }


def contacts_by_phone(client, admin) -> dict[str, dict]:
    items = client.get(f"{API}/contacts", headers=admin.headers).json["items"]
    return {contact["phone"]: contact for contact in items}


def test_matching_on_the_external_id_updates_a_changed_number(app, client, admin, run_jobs):
    upload(client, admin, b"id client;telephone\nA1;0612345678\n")
    moved = upload(client, admin, b"id client;telephone\nA1;0611111111\n", match_on="external_id")
    state = finished_import(client, admin, moved, run_jobs)
    assert (state["report"]["created"], state["report"]["updated"]) == (0, 1)
    listed = client.get(f"{API}/contacts", headers=admin.headers).json["items"]
    assert [(c["external_id"], c["phone"]) for c in listed] == [("A1", "+33611111111")]


def test_matching_on_the_external_id_refuses_a_number_another_customer_has(
    app, client, admin, run_jobs
):
    upload(client, admin, b"id client;telephone\nA1;0612345678\nA2;0611111111\n")
    data = b"id client;telephone\nA2;0612345678\nA3;0611111111\n"
    report = finished_import(
        client, admin, upload(client, admin, data, match_on="external_id"), run_jobs
    )["report"]
    assert (report["created"], report["updated"], report["rejected"]) == (0, 0, 2)
    reasons = [error["reason"] for error in report["errors"]]
    assert reasons[0].startswith("Le numéro 06 12 34 56 78 appartient à un autre contact (n° ")
    assert reasons[1].startswith("Le numéro 06 11 11 11 11 appartient à un autre contact (n° ")
    assert {error["code"] for error in report["errors"]} == {"phone_taken"}


def test_a_customer_number_given_twice_in_a_file_is_refused_the_second_time(
    app, client, admin, run_jobs
):
    """Matching on the phone, two new numbers claiming one customer number: the second row
    is refused (it used to break the whole chunk's insert)."""
    upload(client, admin, b"id client;telephone\nA9;0612345670\n")  # known before the file
    data = (
        b"id client;telephone\n"
        b"A1;0612345671\n"
        b"A1;0612345672\n"  # same customer number as line 2, another phone
        b"A9;0612345673\n"  # the customer number of a contact the account has
    )
    report = finished_import(client, admin, upload(client, admin, data), run_jobs)["report"]
    assert (report["created"], report["rejected"]) == (1, 2)
    reasons = {error["line"]: error["reason"] for error in report["errors"]}
    assert reasons[3] == "Le numéro client A1 appartient à un autre contact (créé par la ligne 2)."
    assert reasons[4].startswith("Le numéro client A9 appartient à un autre contact (n° ")


def test_an_explicit_mapping_reads_columns_with_unknown_headers(app, client, admin, run_jobs):
    data = b"Tel. portable;Concession;Commentaire\n0612345678;Lyon Est;rappeler\n"
    mapping = json.dumps(
        {"Tel. portable": "phone", "Concession": "attr:site", "Commentaire": "ignore"}
    )
    state = finished_import(client, admin, upload(client, admin, data, mapping=mapping), run_jobs)
    assert state["report"]["created"] == 1
    (contact,) = client.get(f"{API}/contacts", headers=admin.headers).json["items"]
    assert contact["attributes"] == {"site": "Lyon Est"}


@pytest.mark.parametrize(
    ("data", "mapping", "message"),
    [
        (b"Nom;Ville\nDupont;Lyon\n", None, "Aucune colonne ne contient le numéro"),
        (b"", None, "Le fichier est vide"),
        (b"Tel;Nom\n0612345678;A\n", '{"Portable": "phone"}', "colonnes que le fichier n'a pas"),
        (b"Tel;Nom\n0612345678;A\n", '{"Nom": "surname"}', "utilisez l'un de"),
        (b'"Tel;Nom\n0612345678;A\n', None, "La ligne 1, l'en-tête, ouvre un guillemet"),
    ],
)
def test_a_file_that_cannot_be_read_fails_with_what_to_fix(
    app, client, admin, run_jobs, data, mapping, message
):
    fields = {"mapping": mapping} if mapping else {}
    state = finished_import(client, admin, upload(client, admin, data, **fields), run_jobs)
    assert state["status"] == "failed"
    assert message in state["error"]
    assert client.get(f"{API}/contacts", headers=admin.headers).json["items"] == []


def test_a_malformed_mapping_is_refused_before_anything_is_read(client, admin):
    error = assert_error(upload(client, admin, b"Tel\n0612345678\n", mapping="{phone"), 422)
    assert error["details"][0]["field"] == "body.mapping"


def test_the_json_bulk_endpoint_reports_like_a_file(client, admin, seller):
    response = client.post(f"{API}/contacts/bulk", headers=admin.headers, json={"contacts": [
        {"phone": "0612345678", "first_name": "Ana", "seller": "Marie Curie",
         "attributes": {"purchase_year": 2022, "contract": True}},
        {"phone": "12"},
        {"phone": "+33 6 12 34 56 78"},
        {"phone": "0698765432", "seller": "nobody@dupont.example"},
    ]})  # fmt: skip
    assert response.status_code == 200, response.json
    report = response.json
    assert (report["rows"], report["created"], report["rejected"]) == (4, 1, 3)
    reasons = {error["line"]: (error["code"], error["reason"]) for error in report["errors"]}
    assert reasons == {
        2: ("invalid_phone", "« 12 » n'est pas un numéro valide pour la France."),
        3: ("duplicate_phone", "Même numéro (06 12 34 56 78) qu'à la ligne 1."),
        4: ("unknown_seller", "Aucun vendeur « nobody@dupont.example » dans le compte (indiquez "
            "l'e-mail ou le nom d'un vendeur)."),
    }  # fmt: skip
    (contact,) = client.get(f"{API}/contacts", headers=admin.headers).json["items"]
    assert contact["seller_id"] == seller["id"]
    assert contact["attributes"] == {"contract": True, "purchase_year": 2022}


def test_imports_belong_to_their_account_and_to_managers(runner, client, admin, seller):
    made = upload(client, admin, b"Tel\n0612345678\n")
    assert made.status_code == 201
    other = create_tenant(runner, client, "Garage Martin", "chef@martin.example")
    assert_error(
        client.get(f"{API}/contacts/imports/{made.json['id']}", headers=other.headers), 404
    )
    as_seller = seller_key(client, admin, seller["id"])
    assert_error(upload(client, as_seller, b"Tel\n0612345678\n"), 403)
    assert_error(client.get(f"{API}/contacts/imports/999999", headers=admin.headers), 404)


def test_an_account_outside_france_reads_its_reasons_in_english(runner, client, run_jobs):
    """The same codes beside the words, whatever the language."""
    us = create_tenant(runner, client, "Smith Motors", "boss@smith.example", country="US")
    data = b"Phone,Bought\n(212) 555-01,2024-01-31\n2125550123,2024-02-30\n2125550124,2024-03-01\n"
    report = finished_import(client, us, upload(client, us, data), run_jobs)["report"]
    assert [(error["code"], error["reason"]) for error in report["errors"]] == [
        ("invalid_phone", "'(212) 555-01' is not a valid number for US.")
    ]
    (cell,) = report["cell_errors"]
    assert (cell["line"], cell["column"], cell["code"]) == (3, "Bought", "not_a_date")
    assert cell["reason"] == (
        "'2024-02-30' is not a date (MM/DD/YYYY or YYYY-MM-DD): the cell is left empty."
    )
