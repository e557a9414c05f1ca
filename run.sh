#!/usr/bin/env bash
# Set up and serve ecabinet with demo data: a virtual environment, the package, the schema on SQLite
# under instance/, a demo cabinet on an empty database, and gunicorn on http://127.0.0.1:8000.
set -euo pipefail
cd "$(dirname "$0")"
requirements/install.sh app
.venv/bin/flask --app ecabinet db upgrade
HOST=${HOST:-127.0.0.1}
PORT=${PORT:-8000}
# The address and the demo logins are the last lines before gunicorn's "Listening at": gunicorn.conf.py
# prints ECABINET_WELCOME as it starts, after its own first line.
ECABINET_WELCOME="$(.venv/bin/flask --app ecabinet seed-demo)
ecabinet is serving at http://$HOST:$PORT/  (Ctrl+C stops it)"
export ECABINET_WELCOME
exec .venv/bin/gunicorn --config gunicorn.conf.py --bind "$HOST:$PORT" wsgi:app
