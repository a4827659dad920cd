"""Text messages that fit: the GSM-7 alphabet (160 characters in one segment, 153 per
segment once split; anything outside it sends the whole text as UCS-2: 70, then 67), French
letters written the nearest GSM-7 way, and the longest wording that still fits one segment."""

from __future__ import annotations

import math
from collections.abc import Sequence

# GSM 03.38: the basic set (one septet each) and its extension (an escape and a septet).
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    "ÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENDED = frozenset("^{}\\[~]|€\f")
# French letters and signs outside GSM-7, as the nearest GSM-7 text.
NEAREST = str.maketrans({
    "â": "a", "ê": "e", "î": "i", "ô": "o", "û": "u", "ë": "e", "ï": "i", "ÿ": "y", "ç": "c",
    "À": "A", "Â": "A", "È": "E", "Ê": "E", "Ë": "E", "Î": "I", "Ï": "I", "Ô": "O", "Û": "U",
    "Ù": "U", "Ÿ": "Y", "á": "a", "í": "i", "ó": "o", "ú": "u", "Á": "A", "Í": "I", "Ó": "O",
    "Ú": "U", "œ": "oe", "Œ": "OE", "\u2019": "'", "\u2018": "'", "“": '"', "”": '"', "«": '"',
    "»": '"', "…": "...", "\u2013": "-", "—": "-", "\u00a0": " ", "\u202f": " ", "\u2009": " ",
})  # fmt: skip
ONE_SEGMENT = {"gsm7": 160, "ucs2": 70}
PER_PART = {"gsm7": 153, "ucs2": 67}


def to_gsm7(text: str) -> str:
    """`text` with what GSM-7 lacks written the nearest way it has ("ç" as "c", a curly
    apostrophe as a straight one)."""
    return text.translate(NEAREST)


def encoding(text: str) -> str:
    """ "gsm7" when every character is in GSM-7, else "ucs2"."""
    return "gsm7" if all(c in GSM7_BASIC or c in GSM7_EXTENDED for c in text) else "ucs2"


def length(text: str) -> int:
    """Characters as the network counts them: septets in GSM-7 (an extension character is
    two), UTF-16 code units in UCS-2."""
    if encoding(text) == "gsm7":
        return len(text) + sum(1 for c in text if c in GSM7_EXTENDED)
    return len(text.encode("utf-16-le")) // 2


def segments(text: str) -> int:
    """How many SMS the text is sent as (and billed as)."""
    kind, size = encoding(text), length(text)
    return 1 if size <= ONE_SEGMENT[kind] else math.ceil(size / PER_PART[kind])


def fitting(wordings: Sequence[str]) -> str:
    """The first of `wordings` (richest first) that fits one segment once made GSM-7; the
    first one when none does (it needs several segments anyway, so it may as well say all)."""
    made = [to_gsm7(text) for text in wordings]
    return next((text for text in made if segments(text) == 1), made[0])
