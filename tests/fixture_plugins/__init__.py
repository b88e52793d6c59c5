"""One-off plugin modules for the tests (registered explicitly or through a temporary entry point)."""
