"""What a member's tablet may keep for reading offline, and the installable app's manifest and
service worker (static/js/sw.js, static/js/offline.js)."""
