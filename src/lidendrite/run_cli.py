"""``lidendrite run``: start the Snakemake workflow after checking its config files.

``snakemake --configfile X`` reads ``X`` before the workflow's own checks run, so a
missing or malformed file ends in a Python traceback. This command checks every
``--configfile`` first (it exists, parses, and passes ``config/schema.yaml`` merged over
``config/config.yaml``, as the workflow will merge it) and prints one line naming the
file and key when it does not; then it runs ``snakemake`` in the repository with the
same arguments, adding ``--profile profiles/local`` when no profile is given. Every
other argument goes to Snakemake unchanged::

    lidendrite run -n                                          # the demo plan
    lidendrite run --configfile config/ci.yaml                 # ci scale
    lidendrite run --profile profiles/slurm --configfile config/paper.yaml
    lidendrite run --unlock                                    # after a killed run
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path

__all__ = ["HELP", "add_arguments", "run", "config_files", "snakemake_command"]

HELP = "run the Snakemake workflow (default profile profiles/local) after checking its --configfile"

#: Snakemake options that take one or more config files
_CONFIGFILE_FLAGS = ("--configfile", "--configfiles")


def config_files(args: list[str]) -> list[str]:
    """The files named after ``--configfile``/``--configfiles`` in a Snakemake argument list
    (``--configfile a.yaml b.yaml``, ``--configfile=a.yaml``)."""
    files: list[str] = []
    i = 0
    while i < len(args):
        a = args[i]
        flag, eq, value = a.partition("=")
        if flag in _CONFIGFILE_FLAGS:
            if eq:
                files.append(value)
            else:
                i += 1
                while i < len(args) and not args[i].startswith("-"):
                    files.append(args[i])
                    i += 1
                continue
        i += 1
    return files


def check_config_files(files: list[str], cwd: Path) -> None:
    """Raise :class:`~lidendrite.errors.InputError` naming the config file that is missing
    or not a file, or the files whose merge (in order, over ``config/config.yaml``) fails
    validation."""
    from lidendrite.config import load_config_files
    from lidendrite.errors import InputError

    if not files:
        return
    paths = []
    for name in files:
        path = Path(name) if Path(name).is_absolute() else cwd / name
        if not path.exists():
            raise InputError(f"--configfile {name}: no such file")
        if not path.is_file():
            raise InputError(f"--configfile {name}: not a file")
        paths.append(path)
    try:
        load_config_files(paths, workdir=cwd)
    except InputError as exc:
        msg = str(exc)
        if any(str(p) in msg for p in paths):
            raise
        raise InputError(f"{' + '.join(files)}: {msg}") from None


def snakemake_command(args: list[str], repo: Path) -> list[str]:
    """The ``snakemake`` command line for ``args``: the Snakemake next to this Python,
    ``--profile <repo>/profiles/local`` unless ``args`` names a profile."""
    exe = Path(sys.executable).parent / "snakemake"
    cmd = [str(exe) if exe.is_file() else (shutil.which("snakemake") or "snakemake")]
    if not any(a == "--profile" or a.startswith("--profile=") for a in args):
        cmd += ["--profile", str(repo / "profiles" / "local")]
    return cmd + list(args)


def add_arguments(p: argparse.ArgumentParser) -> None:
    """Options of ``lidendrite run``: every argument is Snakemake's."""
    p.add_argument(
        "snakemake_args",
        nargs=argparse.REMAINDER,
        metavar="SNAKEMAKE_ARGS",
        help="passed to snakemake (e.g. -n, --cores 2, --configfile config/ci.yaml, --unlock)",
    )


def run(args: argparse.Namespace) -> int:
    """Check the config files, then run Snakemake in the repository; return its exit status."""
    from lidendrite.config import REPO_ROOT

    extra = list(args.snakemake_args)
    if extra[:1] == ["--"]:
        extra = extra[1:]
    cwd = Path.cwd()
    workdir = cwd if (cwd / "Snakefile").is_file() else REPO_ROOT
    check_config_files(config_files(extra), workdir)
    cmd = snakemake_command(extra, REPO_ROOT)
    env = dict(os.environ)
    # the rules call dp, lmp, plumed, cp2k, ... from the same environment as this command
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    print("lidendrite run:", " ".join(cmd), flush=True)
    return subprocess.call(cmd, cwd=workdir, env=env)
