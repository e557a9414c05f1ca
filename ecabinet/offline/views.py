"""The installable app: its Web App Manifest and its service worker, served from the site's root.

The worker must be served from the root to control every page (a script under /static/ could only
control /static/ without the Service-Worker-Allowed header); it is the file static/js/sw.js.
"""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, send_from_directory, url_for
from flask_babel import gettext as _

bp = Blueprint("offline_pages", __name__)


@bp.get("/sw.js")
def service_worker():
    response = send_from_directory(current_app.static_folder, "js/sw.js", mimetype="text/javascript")
    response.headers["Service-Worker-Allowed"] = "/"
    # A new release reaches every tablet at its next page load, not after the browser's heuristic age.
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/manifest.webmanifest")
def manifest():
    """Asked for by the browser without the login cookie: it says nothing about any meeting."""
    icon = lambda name: url_for("static", filename=f"icons/{name}")  # noqa: E731
    response = jsonify(
        {
            "name": _("e-Cabinet"),
            "short_name": _("e-Cabinet"),
            "description": _("Cabinet meetings, papers and opinion ballots"),
            "start_url": url_for("meetings_pages.meetings"),
            "scope": "/",
            "display": "standalone",
            "orientation": "any",
            "background_color": "#f2f3f5",
            "theme_color": "#0f2c52",
            "icons": [
                {"src": icon("icon-192.png"), "sizes": "192x192", "type": "image/png"},
                {"src": icon("icon-512.png"), "sizes": "512x512", "type": "image/png"},
                {
                    "src": icon("icon-maskable-512.png"),
                    "sizes": "512x512",
                    "type": "image/png",
                    "purpose": "maskable",
                },
            ],
        }
    )
    response.mimetype = "application/manifest+json"
    return response
