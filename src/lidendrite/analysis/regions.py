"""Anode, SEI and electrolyte along z; SEI thickness and products (lpsc Results, Fig. 2).

Definitions (all distances in Angstrom, heights h along anode -> electrolyte,
h = 0 at the top of the starting anode):

* **metal-like Li**: at least ``n_metal_neighbours`` Li within ``li_li_cutoff``
  and no S/P/Cl within ``bond_cutoff``.
* **Li/SEI boundary** ``h_boundary``: scanning bins of ``bin_width`` upward
  from the middle of the anode, the top edge of the last contiguous bin in
  which metal-like Li are at least half of the atoms.
* **SEI anions**: electrolyte S/P/Cl that moved more than
  ``crystal_displacement`` from their crystal site (drift removed) or that
  are bonded (< ``bond_cutoff``) to a Li that started in the anode.
* **SEI**: from ``h_boundary`` to ``h_sei_top``, the 95th percentile of the
  SEI anions' heights; thickness = ``h_sei_top - h_boundary`` (0 if there is
  no SEI anion).  Above: crystalline electrolyte.
* **products** (SEI anions): S without P within ``ps_bond`` -> Li2S-like, P
  without S within ``ps_bond`` -> Li3P-like, Cl -> LiCl-like.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from lidendrite.analysis.geometry import (
    ANIONS,
    displacements,
    height_axis,
    pair_distances,
    unwrapped_positions,
)

__all__ = ["RegionResult", "analyse_regions", "metal_like_li", "new_li_anion_bonds"]


@dataclass
class RegionResult:
    """Regions of one frame (heights in Angstrom, h = 0 at the starting anode top)."""

    step: int
    h_boundary: float
    h_sei_top: float
    sei_thickness: float
    n_sei_anions: int
    n_li_sei: int
    n_li2s_like: int
    n_li3p_like: int
    n_licl_like: int
    n_new_li_anion_bonds: int

    def as_dict(self) -> dict:
        return {k: (round(v, 4) if isinstance(v, float) else v) for k, v in asdict(self).items()}


def metal_like_li(atoms, pos, *, li_li_cutoff, bond_cutoff, n_metal_neighbours) -> np.ndarray:
    """Boolean mask ``[n]``: Li with >= n_metal_neighbours Li and no anion within the cutoffs."""
    sym = np.asarray(atoms.get_chemical_symbols())
    li = np.flatnonzero(sym == "Li")
    an = np.flatnonzero(np.isin(sym, ANIONS))
    d_ll = pair_distances(atoms, pos, li, li)
    n_li = (d_ll < li_li_cutoff).sum(axis=1) - 1
    n_an = (pair_distances(atoms, pos, li, an) < bond_cutoff).sum(axis=1) if an.size else 0
    mask = np.zeros(len(atoms), bool)
    mask[li] = (n_li >= n_metal_neighbours) & (n_an == 0)
    return mask


def new_li_anion_bonds(atoms, pos, *, bond_cutoff) -> np.ndarray:
    """Pairs ``[k, 2]`` (Li index, anion index) of anode-born Li bonded to electrolyte S/P/Cl."""
    sym = np.asarray(atoms.get_chemical_symbols())
    region = np.asarray(atoms.arrays["region"]).astype(str)
    li = np.flatnonzero((sym == "Li") & (region == "anode"))
    an = np.flatnonzero(np.isin(sym, ANIONS) & (region == "electrolyte"))
    if not li.size or not an.size:
        return np.zeros((0, 2), int)
    ii, jj = np.nonzero(pair_distances(atoms, pos, li, an) < bond_cutoff)
    return np.stack([li[ii], an[jj]], axis=1)


def analyse_regions(
    atoms,
    *,
    li_li_cutoff: float,
    bond_cutoff: float,
    n_metal_neighbours: int,
    crystal_displacement: float,
    ps_bond: float,
    bin_width: float,
) -> tuple[RegionResult, np.ndarray, np.ndarray]:
    """Regions of one frame.

    The cut-offs, neighbour count, displacement and bin width have no
    defaults: they come from the config block ``lpsc.analysis`` (keys of the
    same names), their one source.

    Returns
    -------
    result
        :class:`RegionResult`.
    label
        ``[n]`` str: ``anode``, ``sei``, ``electrolyte`` or ``source`` (atoms of the
        counter electrode keep their label).
    h
        ``[n]`` heights (Angstrom).
    """
    pos = unwrapped_positions(atoms)
    sign, offset = height_axis(atoms)
    h = sign * pos[:, 2] - offset
    sym = np.asarray(atoms.get_chemical_symbols())
    region = np.asarray(atoms.arrays["region"]).astype(str)
    metal = metal_like_li(atoms, pos, li_li_cutoff=li_li_cutoff, bond_cutoff=bond_cutoff,
                          n_metal_neighbours=n_metal_neighbours)

    # Li/SEI boundary from the middle of the anode upward (its far face is a free surface)
    lower = float(np.median(h[region == "anode"]))
    core = region != "source"
    h_boundary = lower
    edge = lower
    while True:
        in_bin = core & (h >= edge) & (h < edge + bin_width)
        if in_bin.sum() == 0 or metal[in_bin].mean() < 0.5:
            break
        edge += bin_width
        h_boundary = edge

    # SEI anions: amorphised or bonded to anode-born Li
    an = np.isin(sym, ANIONS) & (region == "electrolyte")
    disp = displacements(atoms)
    drift = np.median(disp[an], axis=0) if an.any() else np.zeros(3)
    moved = np.linalg.norm(disp - drift, axis=1) > crystal_displacement
    bonds = new_li_anion_bonds(atoms, pos, bond_cutoff=bond_cutoff)
    bonded = np.zeros(len(atoms), bool)
    bonded[bonds[:, 1]] = True
    sei_an = an & (moved | bonded)
    if sei_an.any():
        h_top = max(float(np.percentile(h[sei_an], 95)), h_boundary)
    else:
        h_top = h_boundary
    label = np.where(region == "source", "source",
                     np.where(h < h_boundary, "anode", np.where(h <= h_top, "sei", "electrolyte")))
    label = label.astype("<U11")

    # products among the SEI anions
    idx_s = np.flatnonzero(sei_an & (sym == "S"))
    idx_p = np.flatnonzero(sei_an & (sym == "P"))
    all_s = np.flatnonzero(sym == "S")
    all_p = np.flatnonzero(sym == "P")
    n_li2s = int(((pair_distances(atoms, pos, idx_s, all_p) < ps_bond).sum(axis=1) == 0).sum()) if idx_s.size and all_p.size else int(idx_s.size)
    n_li3p = int(((pair_distances(atoms, pos, idx_p, all_s) < ps_bond).sum(axis=1) == 0).sum()) if idx_p.size and all_s.size else int(idx_p.size)
    result = RegionResult(
        step=int(atoms.info.get("step", 0)),
        h_boundary=float(h_boundary),
        h_sei_top=float(h_top),
        sei_thickness=float(h_top - h_boundary),
        n_sei_anions=int(sei_an.sum()),
        n_li_sei=int(((label == "sei") & (sym == "Li")).sum()),
        n_li2s_like=n_li2s,
        n_li3p_like=n_li3p,
        n_licl_like=int((sei_an & (sym == "Cl")).sum()),
        n_new_li_anion_bonds=int(len(bonds)),
    )
    return result, label, h
