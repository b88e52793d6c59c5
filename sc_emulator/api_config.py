"""Placeholder, filled in below."""
ROUTES: list = []
