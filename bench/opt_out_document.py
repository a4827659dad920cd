"""Benchmark: the CPU a US drop's first document costs over a French one, in process.

Run with `.venv/bin/python bench/opt_out_document.py [--calls N]`. Builds the document a call
plays at pick-up (`delivery.amd.first_document`) N times for a French account (the message,
then the hold) and for a US one (the business and the callback number said first, the message
inside the opt-out key's Gather: `delivery.optout`), and the same US document through
twilio's VoiceResponse, as it was first written, for comparison. Prints microseconds per
document. No database: the row is made up as `amd.call_row` would read it.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from twilio.twiml.voice_response import Gather, VoiceResponse  # noqa: E402

from voicecast import create_app  # noqa: E402
from voicecast.delivery import amd, optout  # noqa: E402

URL = "https://voicecast.example/media/recordings/7/carrier.wav?sha256=ab12&t=x&u=y"


def row(country: str) -> amd.CallRow:
    return amd.CallRow(("play", "play", "dialing", "CA" + "1" * 32, None, 7, "ab12", 21.5,
                        None, None, None, "Lone Star Motors", country, "+12135550100"))  # fmt: skip


def twilio_built(attempt_id: int, held_url: str) -> str:
    response = VoiceResponse()
    gather = Gather(num_digits=1, action=optout.key_url(attempt_id), method="POST", timeout=3)
    gather.say(optout.intro("Lone Star Motors", "+12135550100", "US"), language="en-US")
    gather.play(URL)
    response.append(gather)
    response.redirect(held_url, method="POST")
    return str(response)


def per_call_us(build, calls: int) -> float:
    started = time.process_time()
    for attempt_id in range(calls):
        build(attempt_id)
    return (time.process_time() - started) / calls * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=20000)
    calls = parser.parse_args().calls
    instance = tempfile.mkdtemp(prefix="bench-optout-")
    app = create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{instance}/db.sqlite3",
                      "PUBLIC_BASE_URL": "https://voicecast.example"})  # fmt: skip
    held = "https://voicecast.example/twilio/attempts/1/held"
    with app.app_context():
        french, american = row("FR"), row("US")
        cases = {
            "FR (message, hold)": lambda i: amd.first_document(french, held, i, "+33159000000"),
            "US (identified, opt-out key)": lambda i: amd.first_document(
                american, held, i, "+12135550100"
            ),
            "US through VoiceResponse": lambda i: twilio_built(i, held),
        }
        for name, build in cases.items():
            build(0)  # warm the caches as a running server has them
            print(f"{name:32} {per_call_us(build, calls):7.1f} us per document")


if __name__ == "__main__":
    main()
