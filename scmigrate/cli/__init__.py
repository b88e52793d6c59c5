"""The ``scmigrate`` command line: a thin layer that parses, calls core and renders.

One error handler (:func:`main`) turns every error into one line and an exit code: bad input
or usage 2, a transfer that did not move everything 1, a plugin's own error 1, anything else 1
with a hint to ``--debug``, which alone shows tracebacks. Plugins load only when a command
needs them, never for ``scmigrate --help``.
"""

from __future__ import annotations

import os
import sys
import traceback
from collections.abc import Sequence
from typing import Any

import click

from .. import __version__
from ..errors import InputError, PluginError, ScmigrateError, TransferIncomplete
from .arenas import limit_malloc_arenas
from .options import name_envvars, state

__all__ = ["cli", "main"]


@click.group(context_settings={"auto_envvar_prefix": "SCMIGRATE", "help_option_names": ["-h", "--help"]})
@click.option("--debug", is_flag=True, help="Show tracebacks; a plugin that fails to load stops the run.")
@click.option("-v", "--verbose", count=True, help="More log output (-vv for even more).")
@click.option("-q", "--quiet", is_flag=True, help="No progress output; only errors.")
@click.option("--disable-plugin", "disabled", multiple=True, metavar="NAME", help="Do not load this plugin.")
@click.option("--log-file", type=click.Path(dir_okay=False), metavar="FILE",
              help="Write the log there (appended) instead of standard error.")
@click.option("--use-json-log", is_flag=True, help="Log as JSON lines (time, level, msg, source).")
@click.version_option(__version__, "--version", prog_name="scmigrate", message="%(prog)s %(version)s")
@click.pass_context
def cli(ctx: click.Context, debug: bool, verbose: int, quiet: bool, disabled: tuple[str, ...], log_file: str | None,
        use_json_log: bool) -> None:
    """Back up, restore, migrate and seed SC / Intel Geti computer-vision projects.

    \b
    scmigrate run --from cluster-a --to backup.scz
    scmigrate run --from coco:instances.json --images imgs/ --to dogs.scz --project-type detection --labels dog
    scmigrate inspect backup.scz
    """
    from .. import plugins
    from .logs import configure_logging

    st = state(ctx)
    st.update(debug=debug, verbose=verbose, quiet=quiet)
    configure_logging(verbose, log_file, use_json_log)  # before plugins load: their warnings are logged too
    plugins.configure(block=disabled, debug=debug)


def _register_commands() -> None:
    from . import check, clusters, inspect, plugins_cmd, projects, run, verify

    for mod in (run, inspect, verify, check, plugins_cmd, clusters, projects):
        cli.add_command(mod.command)
    from . import forget, snapshots, sync  # the snapshot repository's commands, and sync
    cli.add_command(snapshots.command)
    cli.add_command(forget.command)
    cli.add_command(forget.prune_command)
    cli.add_command(sync.command)
    name_envvars(cli)  # after every command is in: SCMIGRATE_<COMMAND>_<OPTION>, shown in each --help


_register_commands()


def _line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def main(argv: Sequence[str] | None = None) -> None:
    """Console-script entry point: run the CLI and map every error to one line and an exit code."""
    args = list(sys.argv[1:] if argv is None else argv)
    limit_malloc_arenas()  # before any worker thread exists
    # numpy's OpenBLAS starts a thread for each core but one at import, and each spins ~0.1 s waiting
    # for work that never comes (scmigrate does no linear algebra): CPU taken from the cores the run
    # needs. Read by OpenBLAS when it loads, so set before any import of numpy; the environment wins.
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    debug = "--debug" in args or os.environ.get("SCMIGRATE_DEBUG", "") not in ("", "0", "false")
    code: Any = 0
    try:
        code = cli.main(args=args, prog_name="scmigrate", standalone_mode=False)
    except click.exceptions.Exit as exc:
        code = exc.exit_code
    except click.ClickException as exc:
        exc.show()
        code = exc.exit_code
    except click.exceptions.Abort as exc:
        if isinstance(exc.__cause__, KeyboardInterrupt):  # click turns Ctrl-C into Abort
            if debug:
                traceback.print_exception(exc.__cause__)
            click.echo("interrupted: what moved is kept; run again with --resume to finish", err=True)
        else:
            click.echo("aborted", err=True)
        code = 1
    except KeyboardInterrupt:
        if debug:
            traceback.print_exc()
        click.echo("interrupted: what moved is kept; run again with --resume to finish", err=True)
        code = 1
    except (InputError, TransferIncomplete, PluginError, ScmigrateError) as exc:
        if debug:
            traceback.print_exc()
        click.echo(f"error: {_line(exc)}", err=True)
        code = exc.exit_code
    except BrokenPipeError:
        code = 1
    except Exception as exc:  # noqa: BLE001 - the one place that turns surprises into one line
        if debug:
            traceback.print_exc()
            click.echo(f"error: {type(exc).__name__}: {_line(exc)}", err=True)
        else:
            click.echo(f"error: {type(exc).__name__}: {_line(exc)} (--debug for a traceback)", err=True)
        code = 1
    sys.stdout.flush()
    sys.exit(code if isinstance(code, int) else 0)
