"""The carrier simulator: a stand-in for Twilio's Calls API for development and tests.

It speaks the subset of Twilio's REST API 2010-04-01 that twilio-python uses for calls, queues
calls at a CPS limit, plays each call out (status callbacks, AMD, our TwiML, `<Play>` audio,
all signed like Twilio's webhooks) and keeps a ledger at `GET /_sim/calls`. It imports nothing
from the Voicecast app (no models, no database). Start it with `voicecast simulator`.
"""
