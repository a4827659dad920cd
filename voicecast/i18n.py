"""Languages of the web pages: French by default, English available.

Messages are written in French in the templates' calls (`_("...")`) and translated to English
from the catalogue in `voicecast/translations/`; the language comes from `?lang=`, then a
cookie, then the signed-in user's account (English outside France), then French. Also how
figures, money, percentages and times read in each language, and for English, in the US way
for US accounts (12/06/2026, 8:00 PM CST).
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import Flask, Response, g, request
from flask_login import current_user

from voicecast.phones import for_people
from voicecast.translations import EN

DEFAULT_LOCALE = "fr"
DEFAULT_COUNTRY = "FR"  # whose language a page speaks when nobody is signed in
LOCALES = ("fr", "en")
COOKIE = "lang"

CATALOGS = {"en": EN}


def current_locale() -> str:
    return g.get("locale", DEFAULT_LOCALE)


def gettext(message: str) -> str:
    return translate(message, current_locale())


def translate(message: str, locale: str) -> str:
    """`message` (French) in `locale`, outside a request (an export, a text message)."""
    return CATALOGS.get(locale, {}).get(message, message)


def pick_locale() -> None:
    asked = request.args.get("lang") or request.cookies.get(COOKIE)
    g.country = account_country()
    g.locale = asked if asked in LOCALES else account_locale(g.country or DEFAULT_COUNTRY)


def account_country() -> str | None:
    """The country of the signed-in user's account on a page (None: nobody, or the API, whose
    texts are English whoever calls)."""
    if request.path.startswith(("/api/", "/static/")):
        return None
    user = current_user
    return user.account.country if getattr(user, "is_authenticated", False) else None


def format_locale(locale: str | None = None) -> str:
    """How dates and times read: the language's way ("fr", "en"), and for English on a US
    account's page, the US way ("en-US")."""
    locale = locale or current_locale()
    return "en-US" if locale == "en" and g.get("country") == "US" else locale


def date_locale(country: str | None) -> str:
    """How dates and times read in what an account's people read outside a page (texts,
    exports): "en-US" for US accounts, else their language's."""
    return "en-US" if country == "US" else account_locale(country)


def remember_locale(response: Response) -> Response:
    if request.args.get("lang") in LOCALES:
        response.set_cookie(COOKIE, request.args["lang"], max_age=365 * 86400, samesite="Lax")
    return response


def init_app(app: Flask) -> None:
    app.before_request(pick_locale)
    app.after_request(remember_locale)
    app.jinja_env.globals.update(
        _=gettext, current_locale=current_locale, format_locale=format_locale, locales=LOCALES,
        colon=colon,
    )  # fmt: skip
    app.jinja_env.filters.update(
        money=money, percent=percent, number=number, local_time=local_time, zone_name=zone_name,
        phone=for_people, hours=hours,
    )  # fmt: skip


# How figures read in each language. French follows CLDR, as Chromium's Intl.NumberFormat
# ("fr-FR") writes them, so what the server writes and what the page's script redraws agree:
# a decimal comma, a narrow no-break space (U+202F) between thousands and before "%", a
# no-break space (U+00A0) before the currency symbol: "1 234,50 €", "30 %".
NBSP = "\u00a0"
NNBSP = "\u202f"
CURRENCY_SYMBOLS = {
    "fr": {"EUR": "€", "USD": "$US", "GBP": "£GB", "CHF": "CHF", "CAD": "$CA"},
    "en": {"EUR": "€", "USD": "$", "GBP": "£", "CHF": "CHF ", "CAD": "CA$"},
}
# A time zone as French and English readers name it, after "heure de" / before "time".
ZONE_CITIES = {
    "Europe/Paris": "Paris",
    "America/New_York": "New York",
    "Indian/Reunion": "La Réunion",
}


def account_locale(country: str | None) -> str:
    """The language of what an account's people read outside a web page (texts, exports):
    French for French accounts, else English."""
    return "fr" if country == "FR" else "en"


# The order people of a country write a date's day and month in (slashed dates in their files).
DATE_ORDERS = {"US": "MDY"}


def date_order(country: str | None) -> str:
    """ "MDY" (12/31/2026) for US accounts, "DMY" (31/12/2026) for French and the others."""
    return DATE_ORDERS.get((country or "").upper(), "DMY")


def number(value: float, decimals: int = 0, locale: str | None = None) -> str:
    """`value` with `decimals` digits, thousands grouped, in the language's way."""
    written = f"{value:,.{decimals}f}"
    if (locale or current_locale()) != "fr":
        return written
    return written.replace(",", NNBSP).replace(".", ",")


def money(amount: float, currency: str, locale: str | None = None) -> str:
    """An amount in one currency: "0,25 €" in French, "€0.25" in English."""
    locale = locale or current_locale()
    symbol = CURRENCY_SYMBOLS[locale].get(currency, currency + ("" if locale == "fr" else " "))
    digits = number(abs(amount), 2, locale)
    sign = "-" if amount < 0 else ""
    return f"{sign}{digits}{NBSP}{symbol}" if locale == "fr" else f"{sign}{symbol}{digits}"


def percent(ratio: float, locale: str | None = None) -> str:
    """A ratio as a percentage with at most one decimal: "30 %", "12,5 %" ("30%" in English)."""
    locale = locale or current_locale()
    value = round(ratio * 100, 1)
    digits = number(value, 0 if value == int(value) else 1, locale)
    return f"{digits}{NNBSP}%" if locale == "fr" else f"{digits}%"


def zone_name(zone: str, locale: str | None = None) -> str:
    """ "heure de Paris" / "Paris time": what a reader calls the zone's time."""
    city = ZONE_CITIES.get(zone) or zone.rsplit("/", 1)[-1].replace("_", " ")
    return f"heure de {city}" if (locale or current_locale()) == "fr" else f"{city} time"


DATE_FORMATS = {
    "fr": {
        "date": "%d/%m/%Y",
        "time": "%H:%M",
        "clock": "%H:%M:%S",
        "datetime": "%d/%m/%Y à %H:%M",
        "short": "%d/%m à %H:%M",
    },
    "en": {
        "date": "%d %b %Y",
        "time": "%H:%M",
        "clock": "%H:%M:%S",
        "datetime": "%d %b %Y at %H:%M",
        "short": "%b %d %H:%M",
    },
    # US English: month first, a 12-hour clock, and the zone's abbreviation (CST) after a time.
    "en-US": {
        "date": "%m/%d/%Y",
        "time": "%-I:%M %p %Z",
        "clock": "%-I:%M:%S %p %Z",
        "datetime": "%m/%d/%Y %-I:%M %p %Z",
        "short": "%m/%d %-I:%M %p %Z",
    },
}


def colon(locale: str | None = None) -> str:
    """What follows a label: " :" in French typography, ":" in English."""
    return " :" if (locale or current_locale()) == "fr" else ":"


def hours(interval: list[str] | tuple[str, str], locale: str | None = None) -> str:
    """An interval of hours of the day ("HH:MM" each) as the reader writes them: "10:00 - 20:00",
    and on a US page "10:00 AM - 8:00 PM"."""
    return " - ".join(hour_of_day(text, locale) for text in interval)


def hour_of_day(text: str, locale: str | None = None) -> str:
    """ "20:00" as the reader writes it ("8:00 PM" in the US way; "24:00" is midnight)."""
    if (locale or format_locale()) != "en-US":
        return text
    hour, _, minutes = text.partition(":")
    if not hour.isdigit():
        return text
    value = int(hour) % 24
    return f"{value % 12 or 12}:{minutes} {'AM' if value < 12 else 'PM'}"


def local_time(
    moment: datetime | str, zone: str, style: str = "datetime", locale: str | None = None
) -> str:
    """`moment` (aware, or ISO 8601 with its offset) as read in `zone`: "06/12/2026 à 00:34";
    `style` is one of DATE_FORMATS' ("date", "time", "clock", "datetime", "short")."""
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    pattern = DATE_FORMATS[locale or format_locale()][style]
    return moment.astimezone(ZoneInfo(zone)).strftime(pattern)
