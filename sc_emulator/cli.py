"""``sc-emulator serve ...``: run a local SC-compatible cluster."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from .app import Settings
from .dialects import CURRENT, DIALECTS
from .faults import Knobs


def _codes(text: str) -> tuple[int, ...]:
    try:
        codes = tuple(int(c) for c in text.split(",") if c.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a comma-separated list of HTTP statuses: {text!r}") from None
    if not codes or any(not 400 <= c <= 599 for c in codes):
        raise argparse.ArgumentTypeError(f"fail codes must be HTTP error statuses: {text!r}")
    return codes


def _rate(text: str) -> float:
    value = float(text)
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"a rate must be between 0 and 1: {text!r}")
    return value


def _per_second(text: str) -> float:
    """``N`` or ``N/s`` (the spelling of the docs): requests per second; 0 = no limit."""
    number = text.strip().removesuffix("/s")
    try:
        value = float(number)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected requests per second, e.g. 20 or 20/s: {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"a rate limit cannot be negative: {text!r}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="sc-emulator", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    s = sub.add_parser("serve", help="run a local SC-compatible cluster")
    s.add_argument("--data-dir", type=Path, required=True, help="state directory (SQLite, blobs, token, TLS)")
    s.add_argument("--host", default="127.0.0.1")
    s.add_argument("--port", type=int, default=0, help="0 = any free port (printed and written to --url-file)")
    s.add_argument("--dialect", choices=(*DIALECTS, "geti3"), default=CURRENT,
                   help="API generation: sc1 (SC 1.1), geti1.0 (1.0-1.8), geti1.9 (1.9-1.13), geti1.14 (1.14-1.15), "
                        "geti2 (1.16-2.13, the default), geti3 (the Geti 3.x application, sc_emulator.geti3)")
    s.add_argument("--tls", action=argparse.BooleanOptionalAction, default=None,
                   help="HTTPS with a certificate generated in the data dir (default: on for geti3 only)")
    s.add_argument("--token-file", type=Path, help="read the access token from here (created if missing)")
    s.add_argument("--url-file", type=Path, help="write the base URL here once listening")
    s.add_argument("--version", default=None,
                   help="product version reported "
                        "(default: the dialect's, e.g. 2.13.0; geti3: 3.2.0, in the OpenAPI info)")
    s.add_argument("--user", default="admin", help="login name of the browser login (sc1, geti1.0, geti1.9)")
    s.add_argument("--password-file", type=Path,
                   help="read the login password from here (created with a generated one if missing)")
    s.add_argument("--session-ttl", type=float, default=8 * 3600.0,
                   help="seconds a login session or swapped bearer token stays valid")
    s.add_argument("--spa", action=argparse.BooleanOptionalAction, default=True,
                   help="geti3: answer unknown GET paths with the UI page (200 text/html), as the Docker image")
    s.add_argument("--tus", action=argparse.BooleanOptionalAction, default=True,
                   help="geti3: serve resumable uploads (/api/uploads, media:from-upload)")
    s.add_argument("--csrf", choices=("strict", "lenient"), default="lenient",
                   help="strict: mutating requests need x-geti-csrf-protection: 1")
    s.add_argument("--latency-ms", type=float, default=0.0, help="delay added to every request")
    s.add_argument("--fail-rate", type=_rate, default=0.0, help="fraction of requests failed on purpose")
    s.add_argument("--fail-codes", type=_codes, default=(500, 502, 503, 429), help="e.g. 500,502,503,429")
    s.add_argument("--drop-rate", type=_rate, default=0.0, help="fraction of responses cut mid-way")
    s.add_argument("--rate-limit", type=_per_second, default=None,
                   help="N or N/s: requests per second per connection (429)")
    s.add_argument("--seed", type=int, default=0, help="seed of the fault random source")
    s.add_argument("--exit-with-parent", action="store_true", help=argparse.SUPPRESS)
    s.add_argument("--max-upload-bytes", type=int, default=int(4.7 * 1024 ** 3), help="largest accepted media file")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    dialect = DIALECTS.get(args.dialect)  # None for geti3, a separate application
    if args.version is not None and dialect is not None:
        try:
            fits = dialect.version_ok(args.version)
        except ValueError as exc:
            print(f"sc-emulator: --version: {exc}", file=sys.stderr)
            return 2
        if not fits and dialect.versions:
            print(f"sc-emulator: --version {args.version} is not a version of dialect {dialect.name} "
                  f"({dialect.versions[0]} to {dialect.versions[1]})", file=sys.stderr)
            return 2
    if args.session_ttl <= 0:
        print("sc-emulator: --session-ttl must be a positive number of seconds", file=sys.stderr)
        return 2
    knobs = Knobs(latency_ms=args.latency_ms, fail_rate=args.fail_rate, fail_codes=args.fail_codes,
                  drop_rate=args.drop_rate, rate_limit=args.rate_limit, seed=args.seed,
                  max_upload_bytes=args.max_upload_bytes, session_ttl=args.session_ttl)
    settings: Any
    if args.dialect == "geti3":  # the one place that picks the Geti 3.x application
        from .geti3 import Geti3Settings, build_app

        build: Any = build_app
        settings = Geti3Settings(data_dir=args.data_dir, host=args.host, port=args.port,
                                 tls=args.tls is not False, url_file=args.url_file,
                                 version=args.version or "3.2.0", spa=args.spa, tus=args.tus, knobs=knobs)
    else:
        from .app import create_app as build

        settings = Settings(data_dir=args.data_dir, host=args.host, port=args.port, tls=bool(args.tls),
                            token_file=args.token_file, url_file=args.url_file, version=args.version,
                            csrf=args.csrf, knobs=knobs, dialect=args.dialect, user=args.user,
                            password_file=args.password_file)
    from .server import serve  # uvicorn import only when serving

    try:
        serve(settings, exit_with_parent=args.exit_with_parent, build=build)
    except OSError as exc:
        if exc.filename:  # the data dir (or token/url file), not the address: name the path
            print(f"sc-emulator: {exc.filename}: {exc.strerror or exc}", file=sys.stderr)
        else:
            print(f"sc-emulator: cannot serve on {args.host}:{args.port}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    except SystemExit as exc:
        if not isinstance(exc.code, str):
            raise
        # a bad token or password file: one line naming the file, exit 2 (bad input)
        print(f"sc-emulator: {exc.code}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
