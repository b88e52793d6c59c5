"""Domain rules of the SC emulator: pure functions on plain dicts, no I/O (``docs/rest-api.md``).

- :mod:`.errors` — :class:`RuleError` (§5.1 error bodies);
- :mod:`.pipeline` — project creation and edit (§7, §7.6);
- :mod:`.annotations` — annotation scenes: validation, normalised storage, rendering, states (§10, §10.8);
- :mod:`.configuration` — the legacy and the new configuration documents (§11, §16.1).
"""

from .errors import RuleError

__all__ = ["RuleError"]
