"""Build the deepmd-kit ``input.json`` of a Deep Potential (se_e2_a) model.

The model is the smooth-edition Deep Potential with the two-body embedding
descriptor ``se_e2_a`` (Zhang et al., NeurIPS 2018,
https://proceedings.neurips.cc/paper/2018/hash/e2ad76f2326fbc6b56a45a56c59fafdb-Abstract.html)
and a fitting network for the atomic energy, trained with Adam and an
exponentially decaying learning rate, as in SI 2.2 of the lpsc paper (embedding
(25, 50, 100), fitting (240, 240, 240), 1e-3 -> 5e-8) and section 2.2.3 of the
ec paper (same networks, 6 Angstrom cutoff, 1e-3 -> 3.51e-8).

Every number is a keyword argument; the values per scale live in
``config/schema.yaml`` (key ``<study>.training.model``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from lidendrite.errors import InputError

__all__ = ["build_deepmd_input", "check_with_deepmd"]


def build_deepmd_input(
    *,
    type_map: Sequence[str],
    training_systems: Sequence[str],
    sel: Sequence[int],
    numb_steps: int,
    validation_systems: Sequence[str] | None = None,
    rcut: float,
    rcut_smth: float,
    embedding_neuron: Sequence[int],
    axis_neuron: int,
    fitting_neuron: Sequence[int],
    resnet_dt: bool = True,
    precision: str = "float64",
    type_one_side: bool = False,
    zbl: Mapping[str, Any] | None = None,
    start_lr: float,
    stop_lr: float,
    decay_steps: int,
    start_pref_e: float,
    limit_pref_e: float,
    start_pref_f: float,
    limit_pref_f: float,
    start_pref_v: float,
    limit_pref_v: float,
    seed: int = 1,
    disp_freq: int,
    save_freq: int,
    batch_size: int | str = "auto",
    for_dpgen: bool = False,
) -> dict[str, Any]:
    """Return a deepmd-kit (v2/v3, TensorFlow backend) training input as a dict.

    The network, learning-rate, loss and output settings have no defaults:
    they come from the config block ``<study>.training.model`` (its one
    source), which the callers pass whole.

    Parameters
    ----------
    type_map
        Element symbol of each atom type, e.g. ``["Li", "P", "S", "Cl"]``.
    training_systems, validation_systems
        Paths of dpdata ``deepmd/npy`` systems. ``training_systems`` may be
        empty only with ``for_dpgen=True``.
    sel
        Maximum number of neighbours of each type inside ``rcut`` (one entry
        per element of ``type_map``); ec paper: Li 90, C 60, H 80, O 60, P 80, F 80.
    numb_steps
        Number of training steps (Adam updates).
    rcut, rcut_smth
        Cutoff radius and start of the smooth switch, Angstrom.
    embedding_neuron
        Widths of the embedding network (paper: 25, 50, 100).
    axis_neuron
        Number of axis columns of the embedding matrix (``M2``).
    fitting_neuron
        Widths of the fitting network (paper: 240, 240, 240).
    resnet_dt
        Timestep-like scaling of the residual connections in the fitting net.
    precision
        Floating-point precision of the descriptor and fitting nets,
        ``"float64"`` or ``"float32"`` (about 1.5x faster training on CPU).
    type_one_side
        One embedding net per neighbour type instead of one per (centre,
        neighbour) pair: fewer parameters, about 1.3x faster on CPU.
    zbl
        DP-ZBL blending (see :mod:`lidendrite.training.zbl`): ``{"enabled",
        "table", "smin_alpha", "sw_rmin", "sw_rmax"}`` with ``table`` the pair
        table file (absolute path) and the switch radii in Angstrom; None or
        ``enabled: false`` for a plain DP.
    start_lr, stop_lr
        Learning rate at step 0 and at ``numb_steps``; it decays as
        ``lr(t) = start_lr * r**(t // decay_steps)`` with ``r`` chosen so that
        ``lr(numb_steps) = stop_lr`` (deepmd-kit ``exp`` schedule).
    decay_steps
        Steps between learning-rate decays; reduced to ``numb_steps`` when larger.
    start_pref_e, limit_pref_e, start_pref_f, limit_pref_f, start_pref_v, limit_pref_v
        Loss prefactors of energy (per atom), force and virial; each moves from
        its start to its limit value in proportion to the learning rate.
    seed
        Seed of the descriptor, the fitting net and the batch order (DP-GEN
        overwrites these with one seed per model): not a physical setting and
        no key of the model block, so it keeps a default here.
    disp_freq, save_freq
        Steps between lines of ``lcurve.out`` and between checkpoints.
    batch_size
        Frames per batch, or ``"auto"``.
    for_dpgen
        Build DP-GEN's ``default_training_param``: DP-GEN writes the systems,
        batch sizes and seeds of each of its models itself.

    Returns
    -------
    dict
        JSON-serialisable deepmd-kit input.

    Raises
    ------
    InputError
        On an empty type map or system list, a ``sel`` of the wrong length, or a
        non-positive size.
    """
    type_map = [str(t) for t in type_map]
    if not type_map:
        raise InputError("type_map: empty; give one element symbol per atom type")
    if len(set(type_map)) != len(type_map):
        raise InputError(f"type_map: repeated element in {type_map}")
    sel = [int(s) for s in sel]
    if len(sel) != len(type_map):
        raise InputError(
            f"sel: {len(sel)} entries for {len(type_map)} types in type_map {type_map}; give one per type"
        )
    if any(s <= 0 for s in sel):
        raise InputError(f"sel: every entry must be positive, got {sel}")
    if not training_systems and not for_dpgen:
        raise InputError("training_systems: empty; give at least one deepmd/npy system")
    if not rcut > rcut_smth >= 0:
        raise InputError(
            f"rcut: need rcut > rcut_smth >= 0, got rcut={rcut}, rcut_smth={rcut_smth}"
        )
    for key, widths in (("embedding_neuron", embedding_neuron), ("fitting_neuron", fitting_neuron)):
        if not widths or any(int(w) <= 0 for w in widths):
            raise InputError(f"{key}: need positive layer widths, got {list(widths)}")
    if precision not in ("float64", "float32"):
        raise InputError(f"precision: must be float64 or float32, got {precision!r}")
    if numb_steps <= 0:
        raise InputError(f"numb_steps: must be positive, got {numb_steps}")
    if not start_lr > stop_lr > 0:
        raise InputError(f"stop_lr: need start_lr > stop_lr > 0, got {start_lr} -> {stop_lr}")

    pair: dict[str, Any] = {}
    if zbl and zbl.get("enabled"):
        if not zbl.get("table"):
            raise InputError("zbl: enabled but no pair table file given (zbl.table)")
        if not 0 < float(zbl["sw_rmin"]) < float(zbl["sw_rmax"]) < rcut:
            raise InputError(
                f"zbl: need 0 < sw_rmin < sw_rmax < rcut, got {zbl['sw_rmin']}, {zbl['sw_rmax']}, {rcut}"
            )
        pair = {
            "use_srtab": str(zbl["table"]),
            "smin_alpha": float(zbl["smin_alpha"]),
            "sw_rmin": float(zbl["sw_rmin"]),
            "sw_rmax": float(zbl["sw_rmax"]),
        }
    training: dict[str, Any] = {
        "training_data": {"systems": [str(s) for s in training_systems], "batch_size": batch_size},
        "numb_steps": int(numb_steps),
        "seed": int(seed),
        "disp_file": "lcurve.out",
        "disp_freq": int(disp_freq),
        "save_freq": int(save_freq),
        "save_ckpt": "model.ckpt",
    }
    if validation_systems:
        training["validation_data"] = {
            "systems": [str(s) for s in validation_systems],
            "batch_size": batch_size,
            "numb_btch": 1,
        }
    return {
        "model": {
            "type_map": type_map,
            **pair,
            "descriptor": {
                "type": "se_e2_a",
                "sel": sel,
                "rcut": float(rcut),
                "rcut_smth": float(rcut_smth),
                "neuron": [int(w) for w in embedding_neuron],
                "axis_neuron": int(axis_neuron),
                "resnet_dt": False,
                "type_one_side": bool(type_one_side),
                "precision": precision,
                "seed": int(seed),
            },
            "fitting_net": {
                "neuron": [int(w) for w in fitting_neuron],
                "resnet_dt": bool(resnet_dt),
                "precision": precision,
                "seed": int(seed),
            },
        },
        "learning_rate": {
            "type": "exp",
            "start_lr": float(start_lr),
            "stop_lr": float(stop_lr),
            "decay_steps": int(min(decay_steps, numb_steps)),
        },
        "loss": {
            "type": "ener",
            "start_pref_e": float(start_pref_e),
            "limit_pref_e": float(limit_pref_e),
            "start_pref_f": float(start_pref_f),
            "limit_pref_f": float(limit_pref_f),
            "start_pref_v": float(start_pref_v),
            "limit_pref_v": float(limit_pref_v),
        },
        "training": training,
    }


def check_with_deepmd(jdata: dict[str, Any]) -> dict[str, Any]:
    """Validate ``jdata`` with deepmd-kit's own argument checker.

    Returns the normalised dict (defaults filled). Raises :class:`InputError`
    with deepmd-kit's message on its first line.
    """
    import copy

    from deepmd.utils.argcheck import normalize  # heavy import, only here

    try:
        return normalize(copy.deepcopy(jdata))
    except Exception as exc:  # dargs raises ArgumentKeyError/ValueError with a long text
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise InputError(f"deepmd input: {first}") from None
