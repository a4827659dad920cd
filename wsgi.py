"""WSGI entry point: `gunicorn wsgi:app`."""

import gc

from voicecast import create_app

app = create_app()
# What the app loaded lives as long as the worker: keep it out of the collector's way, or a
# full collection of it pauses every request for 100 ms or more.
gc.collect()
gc.freeze()
