"""What the seller reads about a rejected recording, in the page's language."""

from __future__ import annotations

from typing import Any

from voicecast.i18n import gettext as _

REJECTIONS = {
    "not_audio": "Ce fichier n'est pas un enregistrement audio lisible. Enregistrez à nouveau, "
    "ou choisissez un fichier audio (webm, mp3, m4a, wav, ogg).",
    "too_large": "Le fichier est trop volumineux. Enregistrez un message plus court.",
    "silent": "Nous n'entendons rien. Vérifiez que le micro est autorisé et branché, "
    "puis recommencez.",
    "too_short": "Le message est trop court. Parlez au moins {min_seconds} secondes.",
    "too_long": "Le message est trop long. Restez sous {max_seconds} secondes.",
    "clipped": "Le son sature. Éloignez un peu le micro ou parlez moins fort, puis recommencez.",
    "empty_file": "Le fichier est vide. Enregistrez à nouveau.",
}
GENERIC = "Cet enregistrement n'a pas pu être utilisé. Recommencez, s'il vous plaît."


def rejection_message(code: str, limits: dict[str, Any]) -> str:
    """The seller-facing explanation of `code`; `limits` fills in the numbers it names."""
    template = _(REJECTIONS.get(code, GENERIC))
    try:
        return template.format(**limits)
    except (KeyError, IndexError, ValueError):
        return template
