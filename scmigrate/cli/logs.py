"""Where log records go: stderr (default) or ``--log-file FILE``; as text or ``--use-json-log``.

Levels are as ever: warnings by default, ``-v`` info, ``-vv`` debug. The lines a run shows on its
progress stream (failures, summaries) are log records too (logger ``scmigrate.run``): a log file
keeps them (from info up), while the stderr handler skips them, as they are on stderr already.
"""

from __future__ import annotations

import json
import logging
import sys
import time

from ..engine.progress import SHOWN
from ..errors import InputError

__all__ = ["configure_logging"]

_TEXT = "%(levelname)s %(name)s: %(message)s"


class JsonFormatter(logging.Formatter):
    """One JSON object a line, with rclone's keys: ``time``, ``level``, ``msg``, ``source``."""

    def format(self, record: logging.LogRecord) -> str:
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(record.created))
        out = {"time": f"{stamp}.{int(record.msecs):03d}{time.strftime('%z', time.localtime(record.created))}",
               "level": record.levelname.lower(), "msg": record.getMessage(), "source": record.name}
        if record.exc_info:
            out["traceback"] = self.formatException(record.exc_info)
        return json.dumps(out, ensure_ascii=False)


def _not_shown(record: logging.LogRecord) -> bool:
    return not getattr(record, SHOWN, False)


def configure_logging(verbose: int, log_file: str | None = None, json_log: bool = False) -> None:
    """Set the root logger up for one command; ``InputError`` if ``log_file`` cannot be opened."""
    level = logging.WARNING - 10 * min(verbose, 2)
    handler: logging.Handler
    if log_file:
        try:
            handler = logging.FileHandler(log_file, encoding="utf-8")  # appends, as rclone does
        except OSError as exc:
            raise InputError(f"{log_file}: cannot write the log file ({exc.strerror or exc})") from None
        # the run's own lines (summaries, failures) are worth keeping in a file from info up
        logging.getLogger("scmigrate.run").setLevel(min(level, logging.INFO))
    else:
        handler = logging.StreamHandler(sys.stderr)
        handler.addFilter(_not_shown)
    handler.setFormatter(JsonFormatter() if json_log else logging.Formatter(_TEXT))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
