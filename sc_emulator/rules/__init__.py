"""Domain rules of the SC emulator: pure functions on plain dicts, no I/O (contract ``sc-rest-api.md``).

- :mod:`.errors` — :class:`RuleError` (§2.2 error bodies);
- :mod:`.pipeline` — project creation and edit (§3.2, §4.1);
- :mod:`.annotations` — annotation scenes: validation, normalised storage, rendering, states (§3.5, §4.2);
- :mod:`.configuration` — the legacy and the new configuration documents (§3.6, §8).
"""

from .errors import RuleError

__all__ = ["RuleError"]
