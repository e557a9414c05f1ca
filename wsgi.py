"""The WSGI entry point: `gunicorn --bind HOST:PORT wsgi:app` (settings in gunicorn.conf.py)."""

from ecabinet import create_app

app = create_app()
