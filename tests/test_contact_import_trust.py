"""A dealership's file as French Excel writes it (semicolons, Windows-1252, CRLF, accents), with
its legal basis, an impossible date, a `peut-être` in a yes/no column and quotes left open at
its start, middle and end: every physical line is accounted for, typed columns stay typed, the
legal basis comes in with the file and a FR campaign counts exactly who has one; a date segment
finds exactly the right customers (and warns of the column's failed cell). Both databases."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from html import unescape

import pytest

from tests.helpers import create_tenant
from tests.test_contact_import import API, finished_import, upload
from tests.test_web_login import PASSWORD, log_in

MONDAY = datetime(2026, 12, 7, 10, 30, tzinfo=UTC)  # 11:30 in Paris
HEADER = (
    "N° client;Nom;Prénom;Téléphone;Date d'achat;Modèle;Contrat d'entretien;Consentement;"
    "Date consentement;Source consentement;Preuve;Contrat;Fin de contrat"
)
# file line -> the line's text; None marks what the report must say about it
LINES = [
    HEADER,
    # 2: a quote opened at the start of the first row, never closed
    '"C0001;Martin;Jean;06 12 34 56 01;12/03/2020;Clio;oui;oui;01/09/2026;atelier;BC-1;;',
    # 3: bought over 2 years ago (the customer the text comparison used to leave out); consent
    "C0002;Durand;Léa;06 12 34 56 02;23/04/2024;Clio;oui;oui;02/09/2026;bon de commande;BC-2;;",
    # 4: an impossible purchase date, left empty; a lease until 2027
    "C0003;Lefèvre;Noël;06 12 34 56 03;30/02/2023;Zoé;non;;;;;LOA;31/12/2027",
    # 5: blank, as Excel leaves where a row was deleted
    "",
    # 6: `peut-être` in the yes/no column; no legal basis
    "C0004;Bézier;Hélène;06 12 34 56 04;15/01/2025;Mégane;peut-être;;;;;;",
    # 7: a quote opened in the middle of the file, never closed
    'C0005;"Garage du Lac;Éric;06 12 34 56 05;10/10/2018;Clio;oui;oui;;;;;',
    # 8: consent refused; bought long ago
    "C0006;Faure;Anaïs;06 12 34 56 06;05/06/2019;Twingo;non;non;;;;;",
    # 9: a contract that ended; bought just over 2 years ago
    "C0007;Gérard;Zoë;06 12 34 56 07;01/12/2024;Captur;oui;;;;;contrat d'entretien;01/01/2026",
    # 10-11: consent without a date, and a model written over two lines in a quoted cell
    'C0008;Hervé;Loïc;06 12 34 56 08;10/12/2024;"Mégane',
    'E-Tech";non;oui;;site web;;;',
    # 12: a row of empty cells
    ";;;;;;;;;;;;",
    # 13: consent with an impossible date: consent stands (dated the import), the cell reported
    "C0009;Ibáñez;Inès;06 12 34 56 09;;Arkana;oui;oui;31/11/2026;atelier;;;",
    # 14: a quote opened on the last line, never closed
    'C0010;Roux;"Paul;06 12 34 56 10;01/01/2020;Clio;oui;oui;01/09/2026;;;;',
]
UNBALANCED = (2, 7, 14)


def french_excel(lines: list[str]) -> bytes:
    return ("\r\n".join(lines) + "\r\n").encode("cp1252")


@pytest.fixture
def fr_admin(runner, client):
    return create_tenant(runner, client, "Garage Dupont", "chef@dupont.example", rules="FR")


@pytest.fixture
def imported(client, fr_admin, run_jobs, set_clock) -> dict:
    set_clock(MONDAY)
    state = finished_import(
        client, fr_admin, upload(client, fr_admin, french_excel(LINES)), run_jobs
    )
    assert state["status"] == "done", state
    return state["report"]


def by_phone(client, admin) -> dict[str, dict]:
    items = client.get(f"{API}/contacts", headers=admin.headers, query_string={"limit": 100})
    return {contact["phone"][-2:]: contact for contact in items.json["items"]}


def test_every_physical_line_is_accounted_for(imported):
    report = imported
    assert report["lines"] == {
        "lines": 14, "header_lines": 1, "empty_lines": 2, "continuation_lines": 1,
        "record_lines": 10,
    }  # fmt: skip
    lines = report["lines"]
    assert lines["header_lines"] + lines["empty_lines"] + lines["continuation_lines"] + lines[
        "record_lines"
    ] == len(LINES)
    assert report["rows"] == 10
    assert (report["created"], report["updated"], report["unchanged"]) == (7, 0, 0)
    assert report["rejected"] == 3
    assert [(error["line"], error["code"]) for error in report["errors"]] == [
        (line, "unbalanced_quote") for line in UNBALANCED
    ]
    # in French for a French account
    assert report["errors"][0]["reason"].startswith("Un guillemet ouvert sur cette ligne")


def test_typed_columns_stay_typed_and_their_misfits_are_reported(client, fr_admin, imported):
    columns = {column["header"]: column for column in imported["columns"]}
    assert columns["Date d'achat"] == {
        "header": "Date d'achat", "attribute": "date_d_achat", "type": "date", "failed": 1,
        # 23/04/2024 reads only day first: the column is day first, and the report says why
        "date_order": "DMY", "ambiguous": False, "date_order_from": "values",
        "date_note": "Lues au format JJ/MM/AAAA : « 23/04/2024 » ne se lit pas autrement.",
    }  # fmt: skip
    assert columns["Contrat d'entretien"]["type"] == "boolean"
    assert columns["Contrat d'entretien"]["failed"] == 1
    assert columns["Date consentement"] == {
        "header": "Date consentement", "field": "consent_date", "type": "date", "failed": 1,
        # 01/09/2026 and 02/09/2026 read both ways: the account's order, said to be a guess
        "date_order": "DMY", "ambiguous": True, "date_order_from": "account",
        "date_note": "Toutes les dates de cette colonne se lisent dans les deux sens : lues au "
        "format JJ/MM/AAAA, celui du compte. Si elles sont au format MM/JJ/AAAA, envoyez de "
        "nouveau le fichier avec date_order.",
    }  # fmt: skip
    assert imported["failed_cells"] == 3
    cells = [(cell["line"], cell["column"], cell["value"], cell["code"])
             for cell in imported["cell_errors"]]  # fmt: skip
    assert sorted(cells) == [
        (4, "Date d'achat", "30/02/2023", "not_a_date"),
        (6, "Contrat d'entretien", "peut-être", "not_a_boolean"),
        (13, "Date consentement", "31/11/2026", "not_a_date"),
    ]
    reasons = {cell["line"]: cell["reason"] for cell in imported["cell_errors"]}
    assert (
        reasons[4]
        == "« 30/02/2023 » n'est pas une date (JJ/MM/AAAA) : la cellule est laissée vide."
    )

    contacts = by_phone(client, fr_admin)
    assert contacts["03"]["attributes"] == {"modele": "Zoé", "contrat_d_entretien": False}
    assert contacts["04"]["attributes"] == {"date_d_achat": "2025-01-15", "modele": "Mégane"}
    assert contacts["02"]["attributes"]["date_d_achat"] == "2024-04-23"
    assert contacts["08"]["attributes"]["modele"] == "Mégane\nE-Tech"
    assert contacts["08"]["first_name"] == "Loïc"


def test_the_legal_basis_comes_with_the_file(client, fr_admin, imported):
    contacts = by_phone(client, fr_admin)
    assert set(contacts) == {"02", "03", "04", "06", "07", "08", "09"}
    consent = contacts["02"]["consent"]
    assert (consent["given_at"][:10], consent["source"], consent["proof"]) == (
        "2026-09-02", "bon de commande", "BC-2"
    )  # fmt: skip
    assert contacts["03"]["contract"] == {"kind": "LOA", "ends_on": "2027-12-31"}
    assert contacts["07"]["contract"] == {"kind": "contrat d'entretien", "ends_on": "2026-01-01"}
    assert contacts["08"]["consent"]["source"] == "site web"
    assert contacts["08"]["consent"]["given_at"].startswith("2026-12-07T10:30")  # the import's
    assert contacts["09"]["consent"]["given_at"].startswith("2026-12-07T10:30")
    assert contacts["06"]["consent"] is None and contacts["04"]["consent"] is None
    assert imported["calling"] == {
        "rules": "FR", "may_call": 4,
        # line 9's contract ended: the reason says so
        "may_not_call": {"suppressed": 0, "no_legal_basis": 2, "refused_recently": 0,
                         "contract_ended": 1},
    }  # fmt: skip


def test_a_fr_campaign_counts_exactly_the_contacts_with_a_legal_basis(client, fr_admin, imported):
    body = {"name": "Entretien", "audience": {"kind": "all"}}
    campaign = client.post(f"{API}/campaigns", headers=fr_admin.headers, json=body).json
    preview = client.get(f"{API}/campaigns/{campaign['id']}/preview", headers=fr_admin.headers)
    assert preview.status_code == 200, preview.json
    # The four with a basis have no seller to speak for them (per_seller message): they are
    # counted under no_seller, after the legal basis.
    assert (preview.json["audience"], preview.json["skipped"]) == (
        7, {"no_legal_basis": 2, "contract_ended": 1, "no_seller": 4}
    )  # fmt: skip


def test_bought_over_2_years_ago_finds_exactly_them_and_warns_of_the_failed_cell(
    client, fr_admin, imported
):
    made = client.post(f"{API}/segments", headers=fr_admin.headers, json={
        "name": "Achat il y a plus de 2 ans",
        "filter": {"field": "attr.date_d_achat", "op": "before", "value": {"years_ago": 2}},
    })  # fmt: skip
    assert made.status_code == 201, made.json
    preview = client.get(f"{API}/segments/{made.json['id']}/preview", headers=fr_admin.headers)
    found = sorted(contact["phone"][-2:] for contact in preview.json["sample"])
    assert (preview.json["count"], found) == (3, ["02", "06", "07"])
    (warning,) = preview.json["warnings"]
    assert (warning["field"], warning["code"], warning["failed_cells"]) == (
        "attr.date_d_achat", "failed_cells", 1
    )  # fmt: skip
    assert made.json["warnings"] == preview.json["warnings"]


def test_a_campaign_on_that_segment_warns_in_its_preview_and_on_its_page(
    runner, client, fr_admin, imported
):
    made = client.post(f"{API}/segments", headers=fr_admin.headers, json={
        "name": "Achat il y a plus de 2 ans",
        "filter": {"all": [
            {"field": "attr.date_d_achat", "op": "before", "value": {"years_ago": 2}},
            {"field": "attr.modele", "op": "contains", "value": "c"}]},
    })  # fmt: skip
    assert made.status_code == 201, made.json
    body = {"name": "Reprise", "audience": {"kind": "segment", "segment_id": made.json["id"]}}
    campaign = client.post(f"{API}/campaigns", headers=fr_admin.headers, json=body).json
    preview = client.get(f"{API}/campaigns/{campaign['id']}/preview", headers=fr_admin.headers)
    assert preview.status_code == 200, preview.json
    # Only the date column had a failed cell: one warning, the API's in English.
    (warning,) = preview.json["warnings"]
    assert warning == {
        "segment_id": made.json["id"], "segment": "Achat il y a plus de 2 ans",
        "field": "attr.date_d_achat", "header": "Date d'achat", "code": "failed_cells",
        "failed_cells": 1, "import_id": made.json["warnings"][0]["import_id"],
        "message": made.json["warnings"][0]["message"],
    }  # fmt: skip
    # The draft's page (its preview in words) says it in French, the column by its header.
    runner.invoke(args=["user", "set-password", "chef@dupont.example"],
                  input=f"{PASSWORD}\n{PASSWORD}\n")  # fmt: skip
    assert log_in(client, "chef@dupont.example", PASSWORD).status_code == 302
    page = client.get(f"/campaigns/{campaign['id']}").text
    said = re.findall(r'<p class="warning" role="alert" data-forecast="warning">([^<]*)</p>', page)
    assert [unescape(text) for text in said] == [
        f"Le segment « Achat il y a plus de 2 ans » filtre sur la colonne « Date d'achat », "
        f"dont 1 cellule n'avait pas le bon type à l'importation n° "
        f"{warning['import_id']} : ce contact n'y a pas de valeur et aucune condition "
        f"sur cette colonne ne le retient."
    ]
    for english in ("failed_cells", "attr.", "cells", "import ", "date_d_achat"):
        assert english not in " ".join(said), english
    # A campaign on everyone warns of nothing.
    everyone = client.post(f"{API}/campaigns", headers=fr_admin.headers,
                           json={"name": "Tous", "audience": {"kind": "all"}}).json  # fmt: skip
    assert 'data-forecast="warning"' not in client.get(f"/campaigns/{everyone['id']}").text
    url = f"{API}/campaigns/{everyone['id']}/preview"
    assert client.get(url, headers=fr_admin.headers).json["warnings"] == []


def test_a_later_file_without_the_columns_keeps_the_legal_basis(
    client, fr_admin, imported, run_jobs
):
    again = french_excel(["Téléphone;Prénom", "06 12 34 56 02;Léa", "06 12 34 56 03;Noël"])
    state = finished_import(client, fr_admin, upload(client, fr_admin, again), run_jobs)
    assert state["report"]["unchanged"] == 2
    contacts = by_phone(client, fr_admin)
    assert contacts["02"]["consent"]["source"] == "bon de commande"
    assert contacts["03"]["contract"]["kind"] == "LOA"


def test_a_withdrawal_is_never_undone_by_an_older_or_undated_consent(
    client, fr_admin, imported, run_jobs, set_clock
):
    lea = by_phone(client, fr_admin)["02"]
    url = f"{API}/contacts/{lea['id']}/consent"
    withdrawn_at = client.delete(url, headers=fr_admin.headers).json["consent"]["withdrawn_at"]
    header = "Téléphone;Consentement;Date consentement"
    for row in ("06 12 34 56 02;oui;01/10/2026", "06 12 34 56 02;oui;"):
        data = french_excel([header, row])
        state = finished_import(client, fr_admin, upload(client, fr_admin, data), run_jobs)
        assert state["report"]["calling"]["may_not_call"]["consent_withdrawn"] == 1, row
        assert by_phone(client, fr_admin)["02"]["consent"]["withdrawn_at"] == withdrawn_at
    # A consent given after the withdrawal stands.
    set_clock(datetime(2026, 12, 9, 10, 30, tzinfo=UTC))
    data = french_excel([header, "06 12 34 56 02;oui;08/12/2026"])
    state = finished_import(client, fr_admin, upload(client, fr_admin, data), run_jobs)
    assert state["report"]["calling"]["may_call"] == 1
    consent = by_phone(client, fr_admin)["02"]["consent"]
    assert (consent["given_at"][:10], consent["withdrawn_at"]) == ("2026-12-08", None)
