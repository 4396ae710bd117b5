"""WSGI entry point (gunicorn ultrabackend.wsgi): Django's handler, with a shorter middleware
chain for the API's hot path (ultrabackend/lean_handler.py)."""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ultrabackend.settings.production")

from ultrabackend.lean_handler import application as _application  # noqa: E402

application = _application()
