"""The English catalogue of the pages' French messages (voicecast.i18n translates with it):
each key is the French text as the templates and code write it, each value its English. One
module per part of the product; a feature package may keep its words beside its code
(`voicecast/outcomes/translations.py`, importing nothing)."""

from __future__ import annotations

from voicecast.outcomes.translations import EN as OUTCOMES_EN
from voicecast.translations import dashboard, pages, studio

EN: dict[str, str] = {**pages.EN, **studio.EN, **dashboard.EN, **OUTCOMES_EN}
