"""The ``glassnet`` command line: ``glassnet <command> [options]`` (also ``python -m glassnet``).

Each command is a module of this package that defines

    register(subparsers) -> None   adds its parser and sets ``handler=run`` on it
    run(args) -> int               does the work; the exit status

and is found automatically: adding a command means adding its file. Modules whose names start
with "_" are helpers, not commands. A command imports what it needs inside ``run`` so that
``glassnet --help`` stays fast and never needs optional dependencies.
"""

from __future__ import annotations

import argparse
import importlib
import os
import pkgutil
import sys
from collections.abc import Sequence

from glassnet.errors import GlassnetError

# Help lists the commands in this order; commands not named here follow alphabetically.
COMMAND_ORDER = ("demo", "train", "evaluate", "diagnose", "importance", "predict", "info",
                 "export", "playground")


def command_names() -> list[str]:
    """The command modules present in this package, in help order."""
    names = [info.name for info in pkgutil.iter_modules(__path__) if not info.name.startswith("_")]
    rank = {name: i for i, name in enumerate(COMMAND_ORDER)}
    return sorted(names, key=lambda name: (rank.get(name, len(rank)), name))


def build_parser() -> argparse.ArgumentParser:
    """The top-level parser with one subparser per command module."""
    from glassnet import __version__

    parser = argparse.ArgumentParser(
        prog="glassnet",
        description="glassnet: a neural-network library on NumPy that shows its work.",
    )
    parser.add_argument("--version", action="version", version=f"glassnet {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", title="commands")
    for name in command_names():
        importlib.import_module(f"glassnet.cli.{name}").register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command and return its exit status: 0 success, 1 failure, 2 bad usage."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_request:  # --help, --version, or a usage error already printed
        code = exit_request.code
        return code if isinstance(code, int) else (0 if code is None else 2)
    if args.command is None:
        parser.print_help(sys.stderr)
        return 2
    try:
        status = int(args.handler(args) or 0)
        sys.stdout.flush()  # here, so that a reader gone early is caught below, not at exit
        return status
    except BrokenPipeError:  # the reader stopped early (`| head`): not an error
        _quiet_stdout()
        return 0
    except KeyboardInterrupt:
        print(f"glassnet {args.command}: interrupted", file=sys.stderr)
        return 130
    except (GlassnetError, OSError, ImportError) as error:
        print(f"glassnet {args.command}: error: {error}", file=sys.stderr)
        return 1


def _quiet_stdout() -> None:
    """Point stdout at devnull, as Python's docs advise, so that the flush at exit is silent."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
