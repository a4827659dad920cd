"""Languages of the web pages: French by default, English available.

Messages are written in French in the templates' calls (`_("...")`) and translated to English
from the catalogue below; the language comes from `?lang=`, then a cookie, then French.
"""

from __future__ import annotations

from flask import Flask, Response, g, request

DEFAULT_LOCALE = "fr"
LOCALES = ("fr", "en")
COOKIE = "lang"

EN: dict[str, str] = {
    "Connexion": "Log in",
    "Se connecter": "Log in",
    "Se déconnecter": "Log out",
    "Adresse e-mail": "Email address",
    "Mot de passe": "Password",
    "E-mail ou mot de passe incorrect.": "Wrong email or password.",
    "Réservé aux responsables et administrateurs.": "For managers and admins only.",
    "Vous êtes déconnecté.": "You are logged out.",
    "Vendeurs": "Sellers",
    "Contacts": "Contacts",
    "Clés d'API": "API keys",
    "Nom": "Name",
    "Téléphone": "Phone",
    "Actif": "Active",
    "oui": "yes",
    "non": "no",
    "Aucun vendeur pour l'instant.": "No sellers yet.",
    "Documentation de l'API": "API documentation",
    "Compte": "Account",
    "Tableau de bord": "Dashboard",
    "Erreur": "Error",
    "Retour à l'accueil": "Back to the home page",
    "Page introuvable.": "Page not found.",
    "Votre session a expiré, veuillez réessayer.": "Your session expired, please try again.",
    "Langue": "Language",
    "Voicecast : vos vendeurs laissent leur propre voix sur la messagerie de vos clients.": (
        "Voicecast: your sellers leave their own voice on your customers' voicemail."
    ),
    "Paramètres": "Parameters",
    "Corps de la requête": "Request body",
    "Réponses": "Responses",
    "Schémas": "Schemas",
    "Champ": "Field",
    "Type": "Type",
    "Obligatoire": "Required",
    "Description": "Description",
}
CATALOGS = {"en": EN}


def current_locale() -> str:
    return g.get("locale", DEFAULT_LOCALE)


def gettext(message: str) -> str:
    return CATALOGS.get(current_locale(), {}).get(message, message)


def pick_locale() -> None:
    asked = request.args.get("lang") or request.cookies.get(COOKIE)
    g.locale = asked if asked in LOCALES else DEFAULT_LOCALE


def remember_locale(response: Response) -> Response:
    if request.args.get("lang") in LOCALES:
        response.set_cookie(COOKIE, request.args["lang"], max_age=365 * 86400, samesite="Lax")
    return response


def init_app(app: Flask) -> None:
    app.before_request(pick_locale)
    app.after_request(remember_locale)
    app.jinja_env.globals.update(_=gettext, current_locale=current_locale, locales=LOCALES)
