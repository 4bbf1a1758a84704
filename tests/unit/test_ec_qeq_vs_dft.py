"""QEq-vs-DFT charge comparison (ec Fig. 3b, S9): groups, agreement, extra-electron partition."""

from __future__ import annotations

import numpy as np
import pytest
from ase import Atoms

from lidendrite.analysis.ec_qeq_vs_dft import (
    agreement,
    atom_groups,
    compare_charges,
    extra_electron_partition,
    verdicts,
)
from lidendrite.errors import InputError


def model() -> Atoms:
    """Two 2-atom 'electrodes' (contact layer 1, interior layer 2), a Li+ and a PF6-like pair."""
    atoms = Atoms("Li4" + "Li" + "PF" + "Li4",
                  positions=[[0, 0, z] for z in (0, 1.7, 3.4, 5.1, 8.0, 9.0, 10.6,
                                                 13.0, 14.7, 16.4, 18.1)],
                  cell=[10, 10, 30], pbc=True)
    atoms.set_array("region", np.array(["cathode"] * 4 + ["electrolyte"] * 3 + ["anode"] * 4))
    atoms.set_array("layer", np.array([3, 3, 2, 1, -1, -1, -1, 1, 2, 3, 3]))
    atoms.set_array("molecule", np.array(["metal"] * 4 + ["Li+", "PF6", "PF6"] + ["metal"] * 4))
    return atoms


def test_groups_follow_the_builder_arrays():
    g = atom_groups(model())
    assert g["li_electrode"].sum() == 8 and g["li_electrolyte"].sum() == 1
    assert g["li_surface"].sum() == 2 and g["li_interior"].sum() == 6
    assert g["molecule_PF6"].sum() == 2 and g["anode"].sum() == 4
    bare = model()
    del bare.arrays["region"]
    with pytest.raises(InputError, match="region"):
        atom_groups(bare)


def test_extra_electron_partition_adds_up():
    atoms = model()
    g = atom_groups(atoms)
    neutral = np.array([0, 0, 0, 0.1, 0.8, 0.5, -1.3, 0.1, 0, 0, -0.2])
    dq = np.array([0, 0, 0, -0.3, -0.5, 0, -0.1, -0.1, 0, 0, 0])
    p = extra_electron_partition(neutral, neutral + dq, g)
    assert p["delta_total_e"] == pytest.approx(-1.0)
    assert p["electrodes_e"] + p["electrolyte_e"] == pytest.approx(-1.0)
    assert p["per_region_e"] == pytest.approx({"cathode": -0.3, "anode": -0.1})
    assert p["li_electrolyte_e"] == pytest.approx(-0.5)
    assert p["per_molecule_e"] == pytest.approx({"Li+": -0.5, "PF6": -0.1})
    assert p["fraction_on_electrodes"] == pytest.approx(0.4)
    # atom 3 goes 0.1 -> -0.2 (newly negative); atom 10 was negative already
    assert p["n_electrode_li_newly_negative"] == 1 and p["n_electrode_li_negative"] == 2


def test_agreement_and_verdicts():
    a = np.array([0.0, 0.1, 0.2, 0.3])
    assert agreement(a, a)["pearson_r"] == pytest.approx(1.0)
    assert agreement(a, a)["rmsd_e"] == 0.0
    assert agreement(a, a + 0.1)["rmsd_e"] == pytest.approx(0.1)
    atoms = model()
    q = np.array([0, 0, 0, 0.2, 0.8, 1.2, -1.2, 0.2, 0, 0, -0.0])
    good = compare_charges(atoms, {"QEq": q, "Hirshfeld": 0.5 * q, "CM5": 0.6 * q})
    partition = {m: extra_electron_partition(q, q - np.eye(11)[4], atom_groups(atoms))
                 for m in ("QEq", "CM5")}
    summary = {**good, "extra_electron": partition,
               "mean_q_li_electrode_e": {m: good["methods"][m]["mean_q_li_electrode_e"]
                                         for m in good["methods"]},
               "mean_q_li_electrolyte_e": {m: good["methods"][m]["mean_q_li_electrolyte_e"]
                                           for m in good["methods"]}}
    v = verdicts(summary)
    assert v["qeq_tracks_cm5"] == "yes"
    assert v["extra_electron_goes_to"] == {"QEq": "electrolyte", "CM5": "electrolyte"}
    # reversed Li ordering: QEq anti-correlated with CM5 -> "no"
    bad = compare_charges(atoms, {"QEq": -q, "CM5": q})
    summary.update(bad, mean_q_li_electrode_e={m: bad["methods"][m]["mean_q_li_electrode_e"]
                                                for m in bad["methods"]},
                   mean_q_li_electrolyte_e={m: bad["methods"][m]["mean_q_li_electrolyte_e"]
                                            for m in bad["methods"]})
    assert verdicts(summary)["qeq_tracks_cm5"] == "no"
    with pytest.raises(InputError, match="3 charges for 11 atoms"):
        compare_charges(atoms, {"QEq": [0, 0, 0]})
