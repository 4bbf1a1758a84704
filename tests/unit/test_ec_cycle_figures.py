"""The ec cycle analyses end to end on a small synthetic cycle written as the cycle stage writes it.

Frames are extended XYZ with per-atom ``charges`` (ASE moves them into a
single-point calculator), ``region`` swapped every round and info ``time_ps``.
Four Li+ gather into a neutral cluster in the last round (dead Li), an EC and a
PF6 sit in the electrolyte. Every analysis and figure of Fig. 4a, 5, S12, S10b, 6 and
S13 must run on it and report what it found.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from ase.calculators.singlepoint import SinglePointCalculator
from ase.io import write
from test_ec_dead_li import A, D, add, double_slab

from lidendrite.analysis.ec_bonds import analyse_bonds
from lidendrite.analysis.ec_charge_z import analyse_charge_z
from lidendrite.analysis.ec_dead_li import analyse_series
from lidendrite.analysis.ec_frames import level_of_theory, load_cycle, read_trajectory
from lidendrite.config import schema_default
from lidendrite.errors import InputError
from lidendrite.io.jsonfile import write_json
from lidendrite.plotting.ec_fig4a import plot_fig4a
from lidendrite.plotting.ec_fig5 import plot_charge_states
from lidendrite.plotting.ec_figS13 import plot_bonds
from lidendrite.structures.molecules import ethylene_carbonate, hexafluorophosphate

PARAMS = dict(q_metal=0.2, li_li_cutoff=3.5, anchor_layer=2, min_dead_size=3, protrusion_min_height=2.6)


def _with_molecules():
    atoms = double_slab()
    z_cat = atoms.positions[atoms.arrays["region"] == "cathode", 2].max()
    for k, mol in enumerate((ethylene_carbonate(), hexafluorophosphate(r_pf=schema_default("ec.structures.common.r_pf")))):
        m = mol.copy()
        m.positions += np.array([3.0 + 6.0 * k, 11.0, z_cat + 10.0]) - m.positions.mean(axis=0)
        n0 = len(atoms)
        atoms += m
        atoms.arrays["region"][n0:] = "electrolyte"
        atoms.arrays["layer"][n0:] = -1
        atoms.arrays["charges"][n0:] = 0.0
    ions = add(atoms, [[1.0 + 3.2 * k, 1.5, z_cat + 5.0] for k in range(4)], 0.8)
    return atoms, ions, z_cat


def _frame(atoms, t, rnd):
    f = atoms.copy()
    q = f.arrays.pop("charges")
    f.calc = SinglePointCalculator(f, charges=q)
    f.info.update(time_ps=t, round=rnd, level_of_theory="synthetic test frames")
    return f


@pytest.fixture(scope="module")
def cycle_files(tmp_path_factory):
    root = tmp_path_factory.mktemp("constp")
    atoms, ions, z_cat = _with_molecules()
    rng = np.random.default_rng(0)
    (root / "constq_nvt").mkdir()
    write(root / "constq_nvt" / "traj.extxyz", [_frame(atoms, 0.01 * k, 0) for k in range(2)])
    paths = []
    state = atoms.copy()
    for rnd in range(1, 5):
        if rnd > 1:  # swap the electrodes, as the cycle does
            reg = state.arrays["region"].copy()
            reg[state.arrays["region"] == "anode"] = "cathode"
            reg[state.arrays["region"] == "cathode"] = "anode"
            state.set_array("region", reg)
        frames = []
        for k in range(3):
            f = state.copy()
            f.positions[len(f) - 4 - 17:len(f) - 4] += rng.normal(0, 0.02, (17, 3))  # molecules jiggle
            if rnd == 4 and k == 2:  # the four Li+ gather into a neutral tetrahedron (dead Li)
                c = np.array([2 * A, 2 * A, z_cat + 2 * D + 5.0])
                tet = np.array([[1, 1, 1], [1, -1, -1], [-1, 1, -1], [-1, -1, 1]]) * 2.9 / (2 * np.sqrt(2))
                f.positions[ions] = c + tet
                f.arrays["charges"][ions] = 0.05
            frames.append(_frame(f, 0.01 * k, rnd))
        d = root / f"round{rnd}"
        d.mkdir()
        write(d / "traj.extxyz", frames)
        paths.append(d / "traj.extxyz")
    (root / "cycle.json").write_text(json.dumps({"level_of_theory": "synthetic (cycle.json)"}))
    return root, paths


def test_every_analysis_and_figure_runs(cycle_files, tmp_path):
    root, paths = cycle_files
    cycle = load_cycle(root / "constq_nvt" / "traj.extxyz", paths)
    stages, geom = cycle["stages"], cycle["geometry"]
    assert [s for s, _ in stages] == ["ConstQ", "round 1", "round 2", "round 3", "round 4"]
    assert level_of_theory(stages[-1][1], root / "cycle.json") == "synthetic (cycle.json)"
    assert level_of_theory(stages[-1][1]) == "synthetic test frames"

    cz, prof = analyse_charge_z(stages, geom, bin_width=1.0)
    plot_fig4a(cz, prof, tmp_path / "fig4a.png", tmp_path / "fig4a.pdf")
    dl, regions = analyse_series(stages, geom, paper_distance=10.0, paper_tolerance=5.0, **PARAMS)
    assert dl["dead_li_size_atoms"] == 4 and dl["headline_frame"] == "round4 end"
    assert dl["rounds"]["round3"]["end"]["n_dead_li_clusters"] == 0
    plot_charge_states(stages, regions, dl, tmp_path / "fig5.png", geom=geom, title="test")
    bs, bd = analyse_bonds(stages, geom, cutoff=3.5, depth=10.0)
    plot_bonds(bs, bd, tmp_path / "figS13.png")
    write_json({"charge_z": cz, "profiles": prof, "dead_li": dl, "bonds": bs}, tmp_path / "all.json")
    assert json.loads((tmp_path / "all.json").read_text())["dead_li"]["dead_li_size_atoms"] == 4
    for name in ("fig4a.png", "fig4a.pdf", "fig5.png", "figS13.png"):
        assert (tmp_path / name).stat().st_size > 10_000


def test_species_figures(cycle_files, tmp_path):
    pytest.importorskip("reacnetgenerator")
    from lidendrite.analysis.ec_species import analyse_species
    from lidendrite.plotting.ec_species import plot_species_time, plot_species_z

    root, paths = cycle_files
    cycle = load_cycle(root / "constq_nvt" / "traj.extxyz", paths, stride=2)
    assert [len(f) for _, f in cycle["stages"]] == [2, 2, 2, 2, 2]  # stride 2 keeps the last frame
    summary, data = analyse_species(cycle["stages"], cycle["geometry"], bin_width=1.0,
                                    keep=tmp_path / "species.txt")
    assert summary["initial_counts"]["EC"] == 1 and summary["initial_counts"]["PF6"] == 1
    assert summary["species_consumed"] == [] and summary["counts_at_end"]["round4"]["EC"] == 1
    assert "NOT reproduced" in summary["paper_effect"]  # no products in this synthetic cycle
    assert (tmp_path / "species.txt").read_text().startswith("Timestep 0:")
    plot_species_time(summary, data, tmp_path / "s10b.png")
    plot_species_z(summary, data, tmp_path / "fig6.png", geom=cycle["geometry"])
    assert (tmp_path / "s10b.png").is_file() and (tmp_path / "fig6.png").is_file()


def test_lost_atoms_and_missing_file(cycle_files, tmp_path):
    root, paths = cycle_files
    frames = read_trajectory(paths[0])
    write(tmp_path / "bad.extxyz", [frames[0], frames[1][:-1]])
    with pytest.raises(InputError, match="lost atoms"):
        read_trajectory(tmp_path / "bad.extxyz")
    with pytest.raises(InputError, match="does not exist"):
        load_cycle(None, [tmp_path / "nope.extxyz"])
