"""The dashboard's pages as a logged-in manager sees them: campaigns, sellers with their
callbacks, contacts with their history; another account's objects are not found."""

from __future__ import annotations

from tests.callback_world import incoming
from tests.dashboard_world import CUSTOMER, SHARED
from tests.helpers import create_tenant
from tests.test_web_login import PASSWORD, csrf_token, log_in
from voicecast.i18n import NNBSP

pytest_plugins = ["tests.dashboard_world"]  # shop


def field(page: str, name: str) -> str:
    """The text of the page's element marked `data-field="name"`."""
    return page.split(f'data-field="{name}"', 1)[1].split(">", 1)[1].split("<", 1)[0]


def test_pages_need_a_login(client):
    for path in (
        "/campaigns",
        "/campaigns/1",
        "/campaigns/1/figures.json",
        "/sellers",
        "/contacts",
    ):
        response = client.get(path)
        assert response.status_code == 302 and "/login" in response.headers["Location"], path


def test_the_campaign_figures_count_its_drops_and_callbacks(client, shop):
    figures = client.get(f"/campaigns/{shop.campaign_id}/figures.json").json
    assert figures["status"] == "draft"
    assert figures["counts"]["voicemail_left"] == 1
    # Jeanne called only to opt out: an opt-out, counted apart, not a callback.
    assert (figures["callbacks"]["calls"], figures["callbacks"]["opted_out"]) == (0, 1)
    assert (figures["callbacks"]["callers"], figures["callbacks"]["rate"]) == (0, 0.0)
    texts = figures["texts"]
    assert (texts["callback_rate"], texts["progress"]) == (f"0{NNBSP}%", f"100{NNBSP}%")
    page = client.get(f"/campaigns/{shop.campaign_id}")
    assert page.status_code == 200 and "Entretien 2 ans" in page.text
    assert "Message déposé" in page.text
    assert field(page.text, "callback-rate") == f"0{NNBSP}%"  # not "0.0 %"
    assert field(page.text, "progress-text") == f"100{NNBSP}%"
    assert field(page.text, "callbacks") == "0"
    assert 'Désinscriptions (pas des rappels) : <strong data-outcome="opted_out">1<' in page.text
    english = client.get(f"/campaigns/{shop.campaign_id}?lang=en")
    assert "Voicemail left" in english.text and "Callbacks" in english.text


def test_the_sellers_page_shows_drops_callbacks_and_rate(client, shop):
    page = client.get("/sellers").text
    row = page[page.index('data-testid="seller-row"') :]
    cells = [cell.split(">", 1)[1].split("<", 1)[0].strip() for cell in row.split("<td")[1:7]]
    # Jeanne's call was an opt-out: no callback, so a rate of 0 % (not "100.0 %"); French
    # typography puts a narrow no-break space before "%", as Chromium's Intl writes it.
    assert cells[0] == "Marie" and cells[2:6] == ["1", "0", f"0{NNBSP}%", "0"]
    assert cells[1] in ("Prêt", "aucun")  # the recording's state in French, never "ready"


def test_a_contact_is_found_and_shows_its_history(client, shop):
    found = client.get("/contacts", query_string={"q": "06 12 34 56 78"}).text
    assert "Jeanne Petit" in found
    assert "Jeanne Petit" in client.get("/contacts", query_string={"q": "petit"}).text
    assert "Aucun contact trouvé." in client.get("/contacts", query_string={"q": "Durand"}).text
    contact_id = int(found.split("/contacts/")[1].split('"')[0])
    history = client.get(f"/contacts/{contact_id}").text
    assert "Entretien 2 ans" in history
    assert "Sur la liste d&#39;opposition depuis le" in history
    assert "(demandé par le client en rappelant)" in history  # the source in words, not its code
    assert "A tapé 9 en rappelant le 01 59 00 00 00" in history  # the reason, in French
    assert "Désinscrit" in history


def test_another_account_s_objects_are_not_found(app, runner, client, shop):
    with app.app_context():
        from voicecast.extensions import db
        from voicecast.models import Contact

        contact_id = db.session.query(Contact.id).scalar()
    client.post("/logout")
    create_tenant(runner, client, "Garage Martin", "chef@martin.example")
    runner.invoke(args=["user", "set-password", "chef@martin.example"],
                  input=f"{PASSWORD}\n{PASSWORD}\n")  # fmt: skip
    other = app.test_client()
    assert log_in(other, "chef@martin.example", PASSWORD).status_code == 302
    for path in (f"/campaigns/{shop.campaign_id}", f"/campaigns/{shop.campaign_id}/figures.json",
                 f"/contacts/{contact_id}"):  # fmt: skip
        assert other.get(path).status_code == 404, path
    assert "Entretien" not in other.get("/campaigns").text
    assert other.post(f"/campaigns/{shop.campaign_id}/pause").status_code in (400, 404)


def test_a_draft_cannot_be_paused_and_says_why(client, shop):
    url = f"/campaigns/{shop.campaign_id}"
    forged = client.post(f"{url}/pause")
    assert forged.status_code == 400  # no CSRF token: refused
    token = csrf_token(client.get(url).text)
    response = client.post(f"{url}/pause", data={"csrf_token": token}, follow_redirects=True)
    assert "Impossible maintenant : la campagne est Brouillon." in response.text


def test_the_campaign_page_says_plainly_when_no_calling_rules_apply(client, shop):
    page = client.get(f"/campaigns/{shop.campaign_id}").text
    rules = page[page.index('data-testid="calling-rules"') :]
    assert "Aucune règle d&#39;appel : seule la fenêtre de la campagne s&#39;applique" in rules
    assert "Lundi" in rules and "10:00 - 20:00" in rules
    english = client.get(f"/campaigns/{shop.campaign_id}?lang=en").text
    assert "No calling rules: only the campaign&#39;s own window applies" in english


def test_the_campaign_page_names_the_preset_and_how_the_account_narrowed_it(client, shop):
    client.patch("/api/v1/account", headers=shop.admin.headers, json={"calling_rules": "FR"})
    page = client.get(f"/campaigns/{shop.campaign_id}").text
    rules = rules_card(page)  # the page's times (launch, last update) may say 13:00 too
    assert "Règles FR du compte" in rules and "13:00" in rules  # the lunch break
    assert "Au plus 4 tentatives par numéro en 30 jours" in page
    assert "Resserrées par le compte" not in page
    narrower = {"calling_rules_changes": {"attempt_cap": 2, "hours": [["10:00", "12:00"]]}}
    client.patch("/api/v1/account", headers=shop.admin.headers, json=narrower)
    rules = rules_card(client.get(f"/campaigns/{shop.campaign_id}").text)
    assert "Resserrées par le compte" in rules and "Au plus 2 tentatives" in rules
    assert "12:00" in rules and "13:00" not in rules
    english = client.get(f"/campaigns/{shop.campaign_id}?lang=en").text
    assert "Narrowed by the account." in english and "At most 2 attempts per number" in english


def rules_card(page: str) -> str:
    """The campaign page's card of calling rules."""
    return page.split('data-testid="calling-rules"', 1)[1].split("</section>", 1)[0]


def test_the_campaign_page_s_export_links_work_with_the_session(client, shop):
    page = client.get(f"/campaigns/{shop.campaign_id}").text
    for kind in ("deliveries", "callbacks"):
        link = page.split(f'data-export="{kind}"')[0].rsplit('href="', 1)[1].split('"')[0]
        response = client.get(link.replace("&amp;", "&"))
        assert response.status_code == 200, (kind, response.text[:200])
        lines = response.get_data(as_text=True).lstrip("\ufeff").splitlines()
        assert ";" in lines[0] and len(lines) == 2, lines  # French Excel: one row each here


def test_empty_reasons_are_hidden_with_their_heading(client, shop):
    page = client.get(f"/campaigns/{shop.campaign_id}").text
    # Nobody waits and nobody was left out: neither heading shows over an empty list.
    assert '<div data-section="waiting" hidden>' in page
    assert '<div data-section="excluded" hidden>' in page
    assert 'class="card" data-section="reasons" hidden>' in page  # nor their empty card


def test_an_opt_out_after_a_callback_leaves_the_callback_counted(app, client, shop):
    incoming(client, app, CUSTOMER, SHARED, "CA" + "2" * 32)  # Jeanne calls again: a callback
    figures = client.get(f"/campaigns/{shop.campaign_id}/figures.json").json
    callbacks = figures["callbacks"]
    assert (callbacks["calls"], callbacks["callers"], callbacks["opted_out"]) == (1, 1, 1)
    assert figures["texts"]["callback_rate"] == f"100{NNBSP}%"


def test_percentages_read_the_french_way():
    from voicecast.i18n import percent

    assert [percent(r, "fr") for r in (0, 0.3, 0.125, 1)] == [
        f"0{NNBSP}%", f"30{NNBSP}%", f"12,5{NNBSP}%", f"100{NNBSP}%"
    ]  # fmt: skip
    assert [percent(r, "en") for r in (0, 0.3, 0.125)] == ["0%", "30%", "12.5%"]
