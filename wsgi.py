"""WSGI entry point: `gunicorn wsgi:app`."""

from voicecast import create_app

app = create_app()
