"""Helpers that keep scripts on scmigrate's Python API short (the recipes in ``examples/``).

::

    import argparse
    from scmigrate.script import cluster_arguments, run

    p = argparse.ArgumentParser()
    p.add_argument("annotations")
    cluster_arguments(p)
    a = p.parse_args()
    run(f"coco:{a.annotations}", a.cluster, ca_bundle=a.ca_bundle, project_type="detection", labels="dog")

Imports nothing heavy: the plugins load when :func:`run` opens the locations.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

from .errors import ScmigrateError

if TYPE_CHECKING:
    from .engine import ProjectsReport, Report

__all__ = ["cluster_arguments", "run"]


def cluster_arguments(parser: argparse.ArgumentParser, *, required: bool = True) -> None:
    """Add ``--cluster NAME|https://HOST`` and ``--ca-bundle FILE``.

    The token is deliberately not an argument (it would show in the process list): it comes from
    the named cluster's config (``scmigrate clusters add``) or ``$SCMIGRATE_TOKEN`` for a URL.
    """
    parser.add_argument(
        "--cluster",
        required=required,
        help="a configured cluster name (scmigrate clusters add) or https://HOST "
        "with the token in $SCMIGRATE_TOKEN",
    )
    parser.add_argument("--ca-bundle", help="CA certificate(s) of the cluster's TLS certificate")


def run(from_: str, to: str, **options: Any) -> Report | ProjectsReport:
    """:func:`scmigrate.transfer` (same keywords, ``all_projects=True`` too) with the command line's manners.

    Prints the summary on success; on an error prints one ``error: ...`` line and exits with the
    CLI's code (2 bad input, 1 an incomplete transfer that ``resume=True`` finishes).
    """
    from .engine.facade import transfer

    try:
        report = transfer(from_, to, **options)
    except ScmigrateError as exc:
        print(f"error: {exc}", file=sys.stderr)
        raise SystemExit(exc.exit_code) from None
    if not options.get("dry_run"):
        print(report.summary())
    return report
