"""sc_emulator.geti3: the Geti 3.x application (``sc-emulator serve --dialect geti3``).

The 3.x REST API shares little with 2.x (no organisations, workspaces or auth; UUIDs; one task and one
dataset per project; ``{"detail": ...}`` errors), so it is an application of its own. It reuses the
emulator's SQLite/blob store, multipart reader, media probing, TLS material, test knobs and admin routes.
"""

from .app import Geti3Settings, build_app

__all__ = ["Geti3Settings", "build_app"]
