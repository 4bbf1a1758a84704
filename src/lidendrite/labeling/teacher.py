"""Teacher labeller: a PBE-trained universal potential whose weights ship on PyPI.

Two teachers, chosen by the ``model`` setting:

* ``sevennet-0`` -- SevenNet-0 (11 Jul 2024) from the ``sevenn`` package,
  an equivariant message-passing network trained on MPtrj (PBE/PBE+U);
  Park et al., J. Chem. Theory Comput. 20, 4857 (2024),
  doi:10.1021/acs.jctc.4c00190. The checkpoint is
  ``sevenn/pretrained_potentials/SevenNet_0__11Jul2024/checkpoint_sevennet_0.pth``.
* ``chgnet`` -- CHGNet 0.3.0 from the ``chgnet`` package, trained on MPtrj;
  Deng et al., Nat. Mach. Intell. 5, 1031 (2023), doi:10.1038/s42256-023-00716-3.
  The checkpoint is ``chgnet/pretrained/0.3.0/*.pth.tar``.

Both are loaded from these files inside the installed packages, never from
the network (a missing file is a :class:`ToolMissingError`, not a download).
They evaluate on the CPU in float32, the precision they ship in: SevenNet's
e3nn-compiled tensor products refuse float64 inputs (measured: "both inputs
should have same dtype"), and CHGNet hard-codes float32 graphs.
"""

from __future__ import annotations

import contextlib
import io
import os
import warnings
from pathlib import Path
from typing import Any

from ase import Atoms

from lidendrite.errors import InputError, ToolMissingError
from lidendrite.labeling.base import Labeller

__all__ = ["TEACHER_MODELS", "TeacherLabeller", "check_teacher", "teacher_checkpoint"]

#: model setting -> (package, plain-words description)
TEACHER_MODELS: dict[str, tuple[str, str]] = {
    "sevennet-0": ("sevenn", "SevenNet-0 (11Jul2024), PBE-trained (MPtrj) universal MLIP"),
    "chgnet": ("chgnet", "CHGNet 0.3.0, PBE-trained (MPtrj) universal MLIP"),
}

_FIX = {
    "sevenn": "pip install sevenn (see requirements/) into the project venv",
    "chgnet": "pip install chgnet (see requirements/) into the project venv",
}


def _offline() -> None:
    """Make sure no hub client tries the network (weights are package files)."""
    for key in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_DATASETS_OFFLINE"):
        os.environ.setdefault(key, "1")


def teacher_checkpoint(model: str) -> Path:
    """Path of the bundled checkpoint of ``model`` inside its installed package.

    Raises
    ------
    InputError
        Unknown model name.
    ToolMissingError
        Package or checkpoint file not installed.
    """
    if model not in TEACHER_MODELS:
        raise InputError(
            f"unknown teacher model {model!r}: choose one of {', '.join(TEACHER_MODELS)}"
        )
    package = TEACHER_MODELS[model][0]
    try:
        if model == "sevennet-0":
            from sevenn import _const

            path = Path(_const.SEVENNET_0_11Jul2024)
        else:
            import chgnet

            path = (
                Path(chgnet.__file__).parent / "pretrained/0.3.0/chgnet_0.3.0_e29f68s314m37.pth.tar"
            )
    except ImportError as exc:
        raise ToolMissingError(f"{package} not importable ({exc}): {_FIX[package]}") from exc
    if not path.is_file():
        raise ToolMissingError(
            f"bundled {model} weights missing at {path}: reinstall the wheel, {_FIX[package]}"
        )
    return path


class TeacherLabeller(Labeller):
    """Labels frames with a universal potential (SevenNet-0 or CHGNet).

    Parameters
    ----------
    model
        ``sevennet-0`` (default) or ``chgnet``.
    device
        Torch device: ``cpu``, ``cuda`` or ``cuda:N`` (a GPU that torch cannot see is a
        one-line error, :func:`lidendrite.devices.check_torch_device`).
    threads
        Torch intra-op threads (process-wide); None leaves torch's default.
    """

    name = "teacher"

    def __init__(self, model: str = "sevennet-0", device: str = "cpu", threads: int | None = None):
        from lidendrite.devices import check_torch_device

        teacher_checkpoint(model)  # validates the name and that the weights are installed
        self.model = model
        self.device = check_torch_device(device)
        self.threads = threads
        self._calc: Any = None

    @property
    def level_of_theory(self) -> str:
        package = TEACHER_MODELS[self.model][0]
        return f"teacher potential {TEACHER_MODELS[self.model][1]} ({package} {_version(package)})"

    def settings(self) -> dict[str, Any]:
        return {"model": self.model, "device": self.device, "threads": self.threads}

    def use_threads(self, threads: int) -> None:
        """Torch intra-op threads of the calling thread (an OpenMP setting of that thread)."""
        if int(threads) < 1:
            raise InputError(f"teacher threads: need >= 1, got {threads}")
        import torch

        self.threads = int(threads)
        torch.set_num_threads(self.threads)

    def calculator(self) -> Any:
        """The package's own ASE calculator, built once, weights from the package."""
        if self._calc is not None:
            return self._calc
        _offline()
        import torch

        if self.threads:
            torch.set_num_threads(int(self.threads))
        path = teacher_checkpoint(self.model)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "no tensor-product accelerator" etc.
            if self.model == "sevennet-0":
                from sevenn.calculator import SevenNetCalculator

                self._calc = SevenNetCalculator(str(path), device=self.device)
            else:
                from chgnet.model import CHGNet
                from chgnet.model.dynamics import CHGNetCalculator

                with contextlib.redirect_stdout(io.StringIO()):  # banner lines
                    net = CHGNet.from_file(str(path), mlp_out_bias=False, version="0.3.0")
                    self._calc = CHGNetCalculator(model=net, use_device=self.device)
        return self._calc

    def label(self, frames):  # noqa: D102 (documented in the base class)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return super().label(frames)


def _version(package: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(package)
    except PackageNotFoundError:
        return "not installed"


def check_teacher(model: str = "sevennet-0") -> str:
    """Doctor check: load the bundled weights offline and evaluate a 2-atom Li cell.

    Returns
    -------
    str
        One line: package, version, model and the energy of BCC Li (eV/atom).

    Raises
    ------
    ToolMissingError
        Package or weights missing, or the evaluation failed (with a fix hint).
    """
    import numpy as np

    labeller = TeacherLabeller(model=model)
    atoms = Atoms("Li2", scaled_positions=[[0, 0, 0], [0.5, 0.5, 0.5]], cell=[3.44] * 3, pbc=True)
    try:
        (frame,) = labeller.label([atoms])
    except Exception as exc:  # torch/e3nn failures: report as a missing tool
        raise ToolMissingError(
            f"teacher {model} failed on a 2-atom Li cell ({type(exc).__name__}: {exc}): "
            f"{_FIX[TEACHER_MODELS[model][0]]}"
        ) from exc
    e = frame.get_potential_energy() / len(frame)
    if not np.isfinite(e):
        raise ToolMissingError(f"teacher {model} returned a non-finite energy: reinstall it")
    return f"{labeller.level_of_theory}; BCC Li a=3.44 A: {e:.4f} eV/atom"
