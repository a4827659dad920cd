"""Read the TwiML our app answers with into a list of verbs the player can act on."""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass, field

# Verbs every call leg acts on (session.py); inbound calls add Dial and Record (inbound.py,
# dial.py), calls we place add Dial (outbound_dial.py: a seller's call back rings the
# customer); any other verb is recorded as ignored.
ACTED_ON = {"Play", "Say", "Pause", "Hangup", "Gather", "Reject", "Redirect"}
KNOWN_VERBS = ACTED_ON | {
    "Dial",
    "Record",
    "Enqueue",
    "Leave",
    "Connect",
    "Start",
    "Stop",
    "Refer",
    "Pay",
    "Sms",
    "Echo",
}


class TwimlError(ValueError):
    """Not a TwiML document (Twilio error 12100, document parse failure)."""


@dataclass(frozen=True)
class Verb:
    """One TwiML verb: its name, attributes, text and nested verbs (for `<Gather>`, `<Dial>`)."""

    name: str
    attrs: dict[str, str]
    text: str = ""
    children: tuple[Verb, ...] = field(default_factory=tuple)

    def describe(self) -> dict[str, object]:
        """JSON form for the ledger."""
        described: dict[str, object] = {"verb": self.name, "attrs": self.attrs}
        if self.text:
            described["text"] = self.text
        if self.children:
            described["children"] = [child.describe() for child in self.children]
        return described


def parse(document: str | bytes) -> list[Verb]:
    """The verbs of a `<Response>` document, in order; raise TwimlError for anything else."""
    try:
        root = ElementTree.fromstring(document)
    except ElementTree.ParseError as error:
        raise TwimlError(f"TwiML is not well-formed XML: {error}") from None
    if root.tag != "Response":
        raise TwimlError(f"TwiML root element must be <Response>, got <{root.tag}>")
    return [to_verb(element) for element in root]


def to_verb(element: ElementTree.Element) -> Verb:
    if element.tag not in KNOWN_VERBS and element.tag not in {"Number", "Client", "Sip"}:
        raise TwimlError(f"<{element.tag}> is not a TwiML verb")
    children = tuple(to_verb(child) for child in element)
    return Verb(element.tag, dict(element.attrib), (element.text or "").strip(), children)


def pause_seconds(verb: Verb) -> float:
    """`<Pause length="n">`, 1 s by default."""
    try:
        return max(0.0, float(verb.attrs.get("length", "1")))
    except ValueError:
        return 1.0


def say_seconds(verb: Verb) -> float:
    """How long a `<Say>` takes to speak: about 0.4 s a word."""
    return 0.4 * max(1, len(verb.text.split()))


def loops(verb: Verb) -> int:
    """`loop` of `<Play>`/`<Say>`: 1 by default; 0 (forever) is played once here."""
    try:
        return max(1, int(verb.attrs.get("loop", "1")))
    except ValueError:
        return 1
