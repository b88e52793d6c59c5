"""Geti 3.x: its own reader and writer over the shared HTTP session (``api``, ``mapping``, ``scenes``,
``reader``, ``writer``, ``uploads``). The cluster source and sink dispatch here when the connection
detects a 3.x server (``GET /api/openapi.json``)."""
