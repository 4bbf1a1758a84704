"""Command-line entry point: ``lidendrite <subcommand> ...``.

Each subcommand lives in its own module that exposes

* ``HELP``: a one-line description,
* ``add_arguments(parser)``: declares the options (cheap, no heavy imports),
* ``run(args) -> int``: does the work (heavy imports inside).

Errors derived from :class:`lidendrite.errors.LidendriteError` (and file
errors, OSError) are printed as a single line ``lidendrite <cmd>: error: ...`` and the
process exits with status 2.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from lidendrite import __version__
from lidendrite.errors import LidendriteError

__all__ = ["SUBCOMMANDS", "build_parser", "main"]

#: subcommand name -> module implementing it (imported lazily for --help speed)
SUBCOMMANDS: dict[str, str] = {
    "doctor": "lidendrite.doctor",
    "qeq": "lidendrite.qeq.cli",
    "build": "lidendrite.structures.cli",
    "report": "lidendrite.report.cli",
    "label": "lidendrite.labeling.cli",
    "run": "lidendrite.run_cli",
}


def build_parser() -> argparse.ArgumentParser:
    """Return the top-level parser with every subcommand registered."""
    parser = argparse.ArgumentParser(
        prog="lidendrite",
        description="Replication pipeline for Li-dendrite nucleation studies (lpsc, ec).",
    )
    parser.add_argument("--version", action="version", version=f"lidendrite {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="<command>")
    for name, modname in SUBCOMMANDS.items():
        try:
            mod = importlib.import_module(modname)
        except ModuleNotFoundError as exc:  # a subcommand whose module is not there yet
            if exc.name and exc.name.startswith("lidendrite"):
                continue
            raise
        p = sub.add_parser(name, help=mod.HELP, description=mod.HELP)
        mod.add_arguments(p)
        p.set_defaults(_run=mod.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Parse ``argv`` and run the subcommand; return the exit status."""
    parser = build_parser()
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["run"] and argv[1:2] not in (["-h"], ["--help"]):
        # `lidendrite run ARGS`: every ARG is Snakemake's, options included
        from lidendrite import run_cli

        args = argparse.Namespace(command="run", snakemake_args=argv[1:], _run=run_cli.run)
    else:
        args = parser.parse_args(argv)
    if not getattr(args, "_run", None):
        parser.print_help()
        return 2
    try:
        return int(args._run(args) or 0)
    except (LidendriteError, OSError) as exc:
        # OSError: a path that is a directory, not writable, ... (errno names it)
        if isinstance(exc, OSError) and not isinstance(exc, LidendriteError) and exc.strerror:
            names = " -> ".join(str(f) for f in (exc.filename, exc.filename2) if f)
            msg = f"{names}: {exc.strerror}" if names else exc.strerror
        else:
            msg = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        print(f"lidendrite {args.command}: error: {msg}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
