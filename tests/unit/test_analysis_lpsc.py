"""lpsc analysis: unwrapping, regions, cluster detection, RDF peak, DOS gap (synthetic structures)."""

from __future__ import annotations

import numpy as np
import pytest
from ase import Atoms
from ase.build import bulk

from lidendrite.analysis.cluster import find_cluster
from lidendrite.analysis.geometry import unwrapped_positions
from lidendrite.analysis.rdf import first_peak, li_li_rdf, mean_nearest_neighbour
from lidendrite.config import schema_default
from lidendrite.dft.band_gap import gap_from_dos
from lidendrite.errors import InputError

A_LI = 3.44  # BCC Li lattice constant used by the synthetic anodes (Angstrom)


#: find_cluster's settings from the config's lpsc.analysis (the function has no defaults)
CLUSTER = {
    "li_li_cutoff": schema_default("lpsc.analysis.li_li_cutoff"),
    "q_metal": schema_default("lpsc.analysis.q_metal"),
    "min_size": schema_default("lpsc.analysis.min_cluster_size"),
    "anchor_layer": schema_default("lpsc.analysis.anchor_layer"),
}


def _sandwich(cluster: bool):
    """BCC Li anode (6 layers, 3x3) below a sparse 'electrolyte' of S with a 4-Li BCC fragment 10 A above."""
    anode = bulk("Li", "bcc", a=A_LI, cubic=True).repeat((3, 3, 3))
    n_an = len(anode)
    top = anode.positions[:, 2].max()
    sym, pos = [], []
    for x in np.arange(1.0, 10.0, 4.0):
        for y in np.arange(1.0, 10.0, 4.0):
            sym.append("S"), pos.append([x, y, top + 16.0])
    if cluster:
        frag = np.array([[0, 0, 0], [A_LI / 2] * 3, [A_LI, 0, 0], [A_LI / 2, A_LI / 2, -A_LI / 2]]) + [4.0, 4.0, top + 10.0]
        sym += ["Li"] * 4
        pos += list(frag)
    atoms = anode + Atoms(sym, positions=pos)
    atoms.set_cell([3 * A_LI, 3 * A_LI, top + 30.0])
    atoms.pbc = True
    region = np.array(["anode"] * n_an + ["electrolyte"] * (len(atoms) - n_an), dtype="<U11")
    z = anode.positions[:, 2]
    layer = np.full(len(atoms), -1)
    layer[:n_an] = np.round((top - z) / (A_LI / 2)).astype(int) + 1
    atoms.new_array("region", region)
    atoms.new_array("layer", layer)
    atoms.new_array("start_positions", atoms.positions.copy())
    return atoms


def test_unwrap_keeps_atoms_that_cross_z0_at_the_bottom():
    atoms = _sandwich(False)
    i = int(np.argmin(atoms.positions[:, 2]))
    atoms.positions[i, 2] -= 0.3
    atoms.wrap()  # LAMMPS puts it at the top of the cell
    assert atoms.positions[i, 2] > atoms.cell[2, 2] - 1
    np.testing.assert_allclose(unwrapped_positions(atoms)[i, 2], atoms.arrays["start_positions"][i, 2] - 0.3, atol=1e-9)


def test_cluster_found_above_anode_with_distance_and_origin():
    atoms = _sandwich(True)
    sym = np.asarray(atoms.get_chemical_symbols())
    q = np.where(sym == "Li", 0.05, -1.0)  # metal-like Li everywhere, anions negative
    res = find_cluster(atoms, q, h_boundary=0.0, h_sei_top=15.0, **CLUSTER)
    assert res.size == 4
    # fragment atoms at heights 10, 11.72, 10, 8.28 above the anode top: centroid 10.0 A
    assert abs(res.distance_from_boundary - 10.0) < 1e-6
    assert res.location == "sei" and res.origin["electrolyte"] == 4
    # the four electrolyte-origin Li: in the SEI, metal-like, all in the cluster
    assert res.driven_li == {"total": 4, "anode": 0, "sei": 4, "electrolyte": 0,
                             "metal_like": 4, "metal_like_in_sei": 4, "in_cluster": 4,
                             "metal_like_joined_anode": 0, "metal_like_joined_source": 0,
                             "metal_like_joined_free": 4}
    # the same four Li touching the anode: joined to it, no free cluster
    touching = atoms.copy()
    frag = np.flatnonzero(touching.arrays["region"] == "electrolyte")[-4:]
    touching.positions[frag, 2] -= 8.28 - A_LI / 2  # lowest fragment atom half a layer above the top
    on_anode = find_cluster(touching, q, h_boundary=0.0, h_sei_top=15.0, **CLUSTER)
    assert on_anode.size == 0 and on_anode.driven_li["metal_like_joined_anode"] == 4
    # charged Li are not metal-like: no cluster, and the fate counts say so
    q2 = q.copy()
    q2[res.atoms] = 0.9
    none = find_cluster(atoms, q2, h_boundary=0.0, h_sei_top=15.0, **CLUSTER)
    assert none.size == 0 and none.driven_li["metal_like"] == 0 and none.driven_li["sei"] == 4
    # a lower SEI top puts the two upper ones in the electrolyte
    up = find_cluster(atoms, q2, h_boundary=0.0, h_sei_top=9.0, **CLUSTER).driven_li
    assert (up["sei"], up["electrolyte"]) == (1, 3)


def test_rdf_first_peak_of_bcc_is_the_nearest_neighbour_distance():
    atoms = _sandwich(False)
    region = atoms.arrays["region"]
    layer = atoms.arrays["layer"]
    interior = np.flatnonzero((region == "anode") & (layer >= 3) & (layer <= 4))
    rho = 2 / A_LI**3
    r, g = li_li_rdf([atoms], [interior], rho=rho, r_max=5.0, dr=0.02)
    nn = A_LI * np.sqrt(3) / 2  # 2.979 A
    # a delta peak spread by the 3-bin running mean: ties resolve to the lower bin, so within 1.5 bins
    assert abs(first_peak(r, g) - nn) <= 1.5 * 0.02 + 1e-9
    assert abs(mean_nearest_neighbour(atoms, interior) - nn) < 1e-6


def test_gap_from_dos_insulator_and_metal():
    e = np.arange(-5, 5, 0.01)
    dos = ((e < -1.0) | (e > 1.15)).astype(float)
    assert abs(gap_from_dos(e, dos, fermi=0.0) - 2.15) < 0.03  # resolved to ~one bin (0.01 eV)
    assert gap_from_dos(e, np.ones_like(e), fermi=0.0) == 0.0


def _write_dump(path, frames_by_step, species=("Li", "P", "S", "Cl")):
    """A LAMMPS ``custom`` text dump (id type element x y z), as run_moving_restraint writes."""
    lines = []
    for step, atoms in frames_by_step:
        lx, ly, lz = atoms.cell.lengths()
        lines += ["ITEM: TIMESTEP", str(step), "ITEM: NUMBER OF ATOMS", str(len(atoms)),
                  "ITEM: BOX BOUNDS pp pp pp", f"0 {lx}", f"0 {ly}", f"0 {lz}",
                  "ITEM: ATOMS id type element x y z"]
        for i, (s, p) in enumerate(zip(atoms.get_chemical_symbols(), atoms.positions, strict=True)):
            lines.append(f"{i + 1} {species.index(s) + 1} {s} {p[0]} {p[1]} {p[2]}")
    path.write_text("\n".join(lines) + "\n")


def test_collapsed_frames_are_skipped_and_the_last_clean_one_used(tmp_path):
    """Frames with overlapping atoms (a collapsed MD) are listed, not analysed; fallback is said."""
    from _sampling_toy import toy_interface

    from lidendrite.analysis.pipeline import charges_at_times

    start = toy_interface()
    collapsed = start.copy()
    collapsed.positions[1] = collapsed.positions[0] + [0.2, 0.0, 0.0]
    dump = tmp_path / "traj.lammpstrj"
    _write_dump(dump, [(0, start), (10, collapsed), (20, collapsed)])
    out = charges_at_times(dump, start, n_steps=20, timestep_fs=1.0, fractions=[0.5, 1.0],
                           out_extxyz=tmp_path / "q.extxyz")
    assert [f["step"] for f in out["frames"]] == [0]
    assert [s["step"] for s in out["skipped_frames"]] == [10, 20]
    assert "overlap" in out["skipped_frames"][0]["reason"] and "step 0" in out["fallback"]
    assert abs(out["frames"][0]["total_charge_e"]) < 1e-6
    # nothing clean at all: the one-line error stands
    _write_dump(dump, [(0, collapsed), (10, collapsed), (20, collapsed)])
    with pytest.raises(InputError, match="overlap"):
        charges_at_times(dump, start, n_steps=20, timestep_fs=1.0, fractions=[1.0],
                         out_extxyz=tmp_path / "q.extxyz")


def test_sei_slab_lies_between_the_anode_surface_and_the_cluster_without_metal_like_li():
    """Paper Fig. 4a: the gap is computed on the SEI between anode and cluster, not on the cluster."""
    from lidendrite.analysis.sei_slab import sei_bounds

    atoms = _sandwich(True)
    sym = np.asarray(atoms.get_chemical_symbols())
    n_an = int((atoms.arrays["region"] == "anode").sum())
    # an anode Li that stuck out 1.2 A above the surface, still metal-like
    atoms.arrays["start_positions"][0, 2] = 0.0
    atoms.positions[0, 2] = atoms.positions[:n_an, 2].max() + 1.2
    q = np.where(sym == "Li", 0.05, -1.0)
    atoms.new_array("charges", q)
    cluster_h = np.array([10.0, 11.72, 10.0, 8.28])
    lo, hi, n_metal = sei_bounds(atoms, h_boundary=0.0, h_top=cluster_h.min(), q_metal=0.4)
    assert n_metal == 0
    assert hi <= 8.28 and lo >= 1.2  # above the protruding anode Li, below the cluster
    assert lo == pytest.approx(1.2 + 0.5) and hi == pytest.approx(8.28)
    # the protruding Li oxidised: the slab starts just above the anode's top layer (h = 0)
    q[0] = 0.9
    atoms.arrays["charges"][:] = q
    lo2, hi2, n2 = sei_bounds(atoms, h_boundary=0.0, h_top=8.28, q_metal=0.4)
    assert (lo2, hi2, n2) == (0.5, 8.28, 0)
    # a metal-like Li inside the SEI moves the nearer bound past it: what is left holds no
    # metal-like Li, however thin (the caller stops on a slab thinner than min_width)
    q[0] = 0.05
    atoms.positions[0, 2] = atoms.positions[:n_an, 2].max() + 4.0
    atoms.arrays["charges"][:] = q
    h0 = unwrapped_positions(atoms)[0, 2] - atoms.arrays["start_positions"][:n_an, 2].max()
    lo3, hi3, n3 = sei_bounds(atoms, h_boundary=0.0, h_top=8.28, q_metal=0.4)
    assert n3 == 0 and 0.0 < h0 < 8.28
    assert hi3 == pytest.approx(h0 - 0.5) or lo3 == pytest.approx(h0 + 0.5)
