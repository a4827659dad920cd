"""A draft campaign's forecast in the page's words: the pace and what limits it, the last call
and the calling window closings on the way (times in the zone they are read in, named)."""

from __future__ import annotations

from datetime import datetime

from flask import current_app

from voicecast.delivery.forecast import Forecast, Pause
from voicecast.delivery.pace import Pace
from voicecast.i18n import current_locale, local_time, zone_name
from voicecast.i18n import gettext as _
from voicecast.models.campaign import Campaign

LIMITS = {
    "campaign_rate": "le débit demandé pour la campagne ({value} appels/s)",
    "account_limit": "la limite du compte opérateur ({carrier} appels/s, toutes campagnes)",
    "max_in_flight": "les appels simultanés ({count} à la fois, {seconds} s chacun {how})",
}


def rate(value: float) -> str:
    written = f"{value:g}"
    return written.replace(".", ",") if current_locale() == "fr" else written


def moment(at: datetime, zone: str) -> str:
    """ "le 07/12/2026 à 09:00 (heure de Paris)": the time as read in `zone`, the zone named."""
    return _("le {when} ({zone})").format(when=local_time(at, zone), zone=zone_name(zone))


def limit_text(pace: Pace, campaign: Campaign) -> str:
    binding = next(limit for limit in pace.limits if limit.name == pace.limited_by)
    how = (
        _("en moyenne sur les {count} derniers appels du compte").format(count=pace.measured_calls)
        if pace.measured_calls
        else _("supposés : aucun appel du compte n'est encore terminé")
    )
    return _(LIMITS[binding.name]).format(
        value=rate(campaign.calls_per_second),
        carrier=rate(current_app.config["TWILIO_CALLS_PER_SECOND"]),
        count=campaign.max_in_flight,
        seconds=rate(pace.call_seconds),
        how=how,
    )


def pause_text(pause: Pause) -> str:
    closed = _("La fenêtre d'appel ferme {when} avec des appels restants").format(
        when=moment(pause.closes_at, pause.zone)
    )
    if pause.closed_because != "hours":
        closed += _(" (jour férié : {name})").format(name=pause.closed_because)
    if pause.reopens_at is None:
        return closed + _(" et ne rouvre pas dans l'année.")
    return closed + _(" ; reprise {when}.").format(when=moment(pause.reopens_at, pause.zone))


def forecast_texts(result: Forecast, campaign: Campaign, account_zone: str) -> dict[str, object]:
    """The forecast card's lines: pace, last call, and each window closing met."""
    pace = _("{rate} appels/s, limité par {limit}.").format(
        rate=rate(result.pace.calls_per_second), limit=limit_text(result.pace, campaign)
    )
    if not result.to_call:
        last = _("Personne à appeler.")
    elif result.eta.last_call is None:
        last = _("Le dernier appel ne serait pas passé dans l'année.")
    else:
        last = _("{count} appels : le dernier premier appel {when}.").format(
            count=result.to_call, when=moment(result.eta.last_call, account_zone)
        )
    if result.eta.last_retry is not None:
        last += " " + _(
            "Dernière relance au plus tard {when}, si toutes les tentatives servent."
        ).format(when=moment(result.eta.last_retry, account_zone))
    return {"pace": pace, "last_call": last, "pauses": [pause_text(p) for p in result.eta.pauses]}


def warning_text(warning: dict[str, object]) -> str:
    """A segment warning (`voicecast.segments.warnings.campaign_warnings`) in the page's
    words, the column named by its header in the file."""
    count = int(warning["failed_cells"])  # type: ignore[call-overload]
    text = (
        _("Le segment « {segment} » filtre sur la colonne « {column} », dont 1 cellule n'avait "
          "pas le bon type à l'importation n° {import_id} : ce contact n'y a pas de valeur et "
          "aucune condition sur cette colonne ne le retient.")
        if count == 1
        else _("Le segment « {segment} » filtre sur la colonne « {column} », dont {count} "
               "cellules n'avaient pas le bon type à l'importation n° {import_id} : ces contacts "
               "n'y ont pas de valeur et aucune condition sur cette colonne ne les retient.")
    )  # fmt: skip
    return text.format(
        segment=warning["segment"], column=warning["header"], count=count,
        import_id=warning["import_id"],
    )  # fmt: skip
