"""Bringing the carrier's numbers into the service: each number of the Twilio account gets our
voice URL, voice fallback URL and status callback, and is registered (as a shared line) to the
given account."""

from __future__ import annotations

from voicecast.callbacks.lines import number_named
from voicecast.carrier import Carrier
from voicecast.extensions import db
from voicecast.media.public_urls import public_url
from voicecast.models import Account, PhoneNumber


def sync_numbers(account: Account, carrier: Carrier) -> list[str]:
    """Point every number of the carrier account at our webhooks and register the ones this
    service does not know yet to `account`; one line of report per number."""
    voice_url, status_url = public_url("inbound.voice"), public_url("inbound.voice_status")
    fallback_url = public_url("inbound.voice_fallback")
    report = []
    for ref in carrier.list_numbers():
        line = number_named(ref.phone_number)
        if line is not None and line.account_id != account.id:
            report.append(
                f"{ref.phone_number}: left alone, registered to account {line.account_id}"
            )
            continue
        wanted = (voice_url, fallback_url, status_url)
        if (ref.voice_url, ref.voice_fallback_url, ref.status_callback) != wanted:
            carrier.point_number(
                ref.sid, voice_url=voice_url, voice_fallback_url=fallback_url,
                status_callback=status_url,
            )  # fmt: skip
            pointed = "now calls " + voice_url
        else:
            pointed = "already calls " + voice_url
        if line is None:
            line = PhoneNumber(account_id=account.id, number=ref.phone_number)
            db.session.add(line)
            registered = "registered as a shared line"
        else:
            registered = f"already registered ({line.kind} line)"
        line.carrier_sid = ref.sid
        line.sms_capable = ref.sms_capable
        line.friendly_name = line.friendly_name or ref.friendly_name
        db.session.commit()
        report.append(f"{ref.phone_number}: {registered}, {pointed}")
    return report
