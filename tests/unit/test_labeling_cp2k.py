"""CP2K labeller: real single points of a 2-atom Li cell, parsing and errors."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import numpy as np
import pytest
from ase import Atoms, units

from lidendrite.errors import InputError, ToolMissingError
from lidendrite.labeling.base import get_labeller, get_labels
from lidendrite.labeling.cp2k import (
    Cp2kFailed,
    Cp2kSettings,
    ScfNotConverged,
    check_cp2k,
    find_cp2k,
    kpoint_grid,
    parse_cp2k_output,
    run_cp2k,
    write_cp2k_input,
)

DATA = Path(__file__).parent.parent / "data"
#: real CP2K outputs with a force table (excerpts; the header of each says how they were made)
FORCE_OUTPUTS = sorted(
    p for p in DATA.glob("cp2k_*.out") if "ATOMIC FORCES in [a.u.]" in p.read_text()
)

HAS_CP2K = any(shutil.which(b) for b in ("cp2k.psmp", "cp2k.ssmp", "cp2k", "cp2k.popt"))
needs_cp2k = pytest.mark.skipif(
    not HAS_CP2K, reason="cp2k binary not on PATH (apt-get install cp2k cp2k-data)"
)

#: the lowest sane grid for Li with 1s in valence (GTH-q3): measured on 16-atom BCC Li,
#: 400/50 Ry forces agree with 500/60 Ry to 2 meV/A, while 300/40 Ry leaves a net force
#: of 0.3 eV/A (egg-box effect) and 150/30 Ry 1.1 eV/A
TINY = dict(
    cutoff=400.0,
    rel_cutoff=50.0,
    eps_scf=1e-7,
    eps_default=1e-10,
    smearing_temperature=500.0,
    threads=1,
    timeout=120,
)


def regex_parse(text: str) -> tuple[float, np.ndarray, np.ndarray | None]:
    """Energy (eV), forces (eV/A) and stress (GPa) of a CP2K 2023 output by plain regexes.

    An independent reader of the same blocks as :func:`parse_cp2k_output`: the
    last ``ENERGY| Total FORCE_EVAL`` line, the last ``ATOMIC FORCES in [a.u.]``
    table and the last ``STRESS| Analytical stress tensor [GPa]`` block.
    """
    energies = re.findall(r"ENERGY\|\s+Total FORCE_EVAL \( QS \) energy[^:]*:\s+(\S+)", text)
    energy = float(energies[-1]) * units.Hartree
    lines = text[text.rfind("ATOMIC FORCES in [a.u.]") :].splitlines()
    start = next(i + 1 for i, line in enumerate(lines[:5]) if line.lstrip().startswith("# Atom"))
    rows = []
    for line in lines[start:]:
        parts = line.split()
        if len(parts) != 6 or not parts[0].isdigit():
            break
        rows.append([float(x) for x in parts[3:6]])
    forces = np.array(rows) * units.Hartree / units.Bohr
    sidx = text.rfind("STRESS| Analytical stress tensor [GPa]")
    stress = None
    if sidx >= 0:
        block = text[sidx:].splitlines()[2:5]
        stress = np.array([[float(x) for x in line.split()[2:5]] for line in block])
    return energy, forces, stress


def assert_parsers_agree(text: str) -> None:
    """cp2kdata-backed :func:`parse_cp2k_output` and :func:`regex_parse` give the same numbers."""
    energy, forces, stress = regex_parse(text)
    res = parse_cp2k_output(text, len(forces), "x.out")
    # both read the same printed decimals and scale them by the same ase.units factors, so
    # they differ by float rounding only (~1e-13 relative); 1e-8 is far above that and below
    # one printed digit of the forces (1e-8 Hartree/Bohr = 5e-7 eV/A): a wrong column, row
    # or block fails
    assert res.energy == pytest.approx(energy, abs=1e-8)
    np.testing.assert_allclose(res.forces, forces, rtol=0, atol=1e-8)
    assert (res.virial is None) == (stress is None)
    if stress is not None:
        np.testing.assert_allclose(res.virial, stress, rtol=0, atol=1e-8)


def li2(dx: float = 0.0) -> Atoms:
    """2-atom BCC Li cell (a = 3.44 A) with atom 0 displaced by ``dx`` along x."""
    atoms = Atoms(
        "Li2", positions=[[0.1 + dx, 0.05, 0.0], [1.72, 1.72, 1.72]], cell=[3.44] * 3, pbc=True
    )
    return atoms


@pytest.mark.parametrize("path", FORCE_OUTPUTS, ids=lambda p: p.name)
def test_parser_agrees_with_plain_regexes(path):
    assert_parsers_agree(path.read_text())


def test_parser_units_and_run_info():
    """The Li2 excerpt: values checked by hand against the printed Hartree numbers."""
    res = parse_cp2k_output((DATA / "cp2k_energy_force_li2.out").read_text(), 2, "li2.out")
    # printed: -15.103493950475851 Ha; Fx(1) -0.00314030 Ha/Bohr; sigma_xx -6.75458197443 GPa
    assert res.energy == pytest.approx(-15.103493950475851 * units.Hartree, rel=1e-15)
    assert res.forces[0, 0] == pytest.approx(-0.00314030 * units.Hartree / units.Bohr, rel=1e-15)
    assert res.virial[0, 0] == pytest.approx(-6.75458197443, rel=1e-15)
    assert res.forces.shape == (2, 3) and res.virial.shape == (3, 3)
    assert (res.version, res.scf_steps, res.seconds) == ("CP2K version 2023.1", 13, 8.655)


def test_truncated_outputs_give_one_line_errors():
    text = (DATA / "cp2k_energy_force_li2.out").read_text()
    row2 = text.index("      2      1      Li ")
    cases = {
        "ENERGY| Total": "no total energy in cut.out",
        "ATOMIC FORCES": "no ATOMIC FORCES block in cut.out",
        "      2      1      Li ": "1 force rows for 2 atoms in cut.out",
        " STRESS|      y": "incomplete STRESS block in cut.out",
    }
    for cut, message in cases.items():
        with pytest.raises(Cp2kFailed, match=re.escape(message)) as err:
            parse_cp2k_output(text[: text.index(cut)], 2, "cut.out")
        assert "\n" not in str(err.value)
    # a run appended to a truncated one: force tables of 1 and 2 rows, which cp2kdata
    # cannot stack; its exception comes back as Cp2kFailed naming the file
    with pytest.raises(Cp2kFailed, match="appended.out") as err:
        parse_cp2k_output(text[:row2] + text, 2, "appended.out")
    assert "\n" not in str(err.value)
    with pytest.raises(ScfNotConverged, match="max_scf"):
        parse_cp2k_output(text + "\n *** SCF run NOT converged ***\n", 2, "x.out")


def test_missing_binary_is_tool_missing():
    with pytest.raises(ToolMissingError, match="apt-get install cp2k cp2k-data"):
        find_cp2k("cp2k-not-installed-here")


def test_missing_basis_names_the_element():
    pytest.importorskip("ase")
    if not (Cp2kSettings().resolved_data_dir() / "BASIS_MOLOPT").is_file():
        pytest.skip("cp2k-data not installed")
    # Li has only the short-range (-SR-) MOLOPT basis in BASIS_MOLOPT
    with pytest.raises(InputError, match="element Li") as err:
        write_cp2k_input(li2(), Cp2kSettings(basis_set="DZVP-MOLOPT-GTH"))
    assert "\n" not in str(err.value)


def test_input_has_the_requested_physics():
    if not (Cp2kSettings().resolved_data_dir() / "BASIS_MOLOPT").is_file():
        pytest.skip("cp2k-data not installed")
    text = write_cp2k_input(li2(), Cp2kSettings(kpoints=[3, 3, 3], d3=True, cutoff=321.0))
    for key in (
        "XC_FUNCTIONAL PBE",
        "DZVP-MOLOPT-SR-GTH",
        "POTENTIAL GTH-PBE",
        "CUTOFF 321.0",
        "MONKHORST-PACK 3 3 3",
        "DFTD3(BJ)",
        "FERMI_DIRAC",
        "STRESS_TENSOR ANALYTICAL",
    ):
        assert key in text
    gamma = write_cp2k_input(li2(), Cp2kSettings(kpoints=None, smearing_temperature=0))
    assert "KPOINTS" not in gamma and "SMEAR" not in gamma


def test_kspacing_grid_follows_the_cell():
    # 2*pi/L per reciprocal vector: 16-atom BCC Li (L = 6.88 A) -> 0.913/A -> 2 at 0.5/A;
    # a 30 A vacuum direction -> 0.21/A -> 1 (Gamma along z)
    cell = Atoms("Li", cell=[6.88, 6.88, 30.0], pbc=True)
    assert kpoint_grid(cell, Cp2kSettings(kspacing=0.5)) == [2, 2, 1]
    assert kpoint_grid(cell, Cp2kSettings(kpoints=[3, 3, 1])) == [3, 3, 1]
    assert kpoint_grid(cell, Cp2kSettings()) == [1, 1, 1]
    with pytest.raises(InputError, match="kpoints"):
        kpoint_grid(cell, Cp2kSettings(kpoints=[2, 2]))


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    if not HAS_CP2K:
        pytest.skip("cp2k binary not on PATH (apt-get install cp2k cp2k-data)")
    labeller = get_labeller("cp2k", workdir=str(tmp_path_factory.mktemp("cp2k")), **TINY)
    return labeller, labeller.label([li2()])[0]


@pytest.mark.cp2k
@needs_cp2k
def test_single_point_shapes_units(reference):
    labeller, frame = reference
    energy, forces, virial = get_labels(frame)
    # 2 Li with 3 valence electrons (GTH-q3, 1s in valence): ~ -203 eV/atom
    assert -210 < energy / 2 < -200
    assert forces.shape == (2, 3) and virial.shape == (3, 3)
    # Newton's third law up to the egg-box error of a 400 Ry grid (~0.01 eV/A)
    assert np.abs(forces.sum(axis=0)).max() < 0.05
    assert (
        "CP2K version" in frame.info["level_of_theory"] and "PBE" in frame.info["level_of_theory"]
    )


@pytest.mark.cp2k
@needs_cp2k
def test_force_is_energy_derivative(reference, tmp_path):
    _, frame = reference
    fx = get_labels(frame)[1][0, 0]
    h = 0.01  # A
    settings = Cp2kSettings(**TINY)
    ep = run_cp2k(li2(+h), settings, tmp_path / "p").energy
    em = run_cp2k(li2(-h), settings, tmp_path / "m").energy
    # measured agreement 3e-4 eV/A (fx ~ -0.16 eV/A); eps_scf 1e-7 Ha gives ~1e-5 eV of
    # energy noise -> 5e-4 eV/A over 2h, plus O(h^2) and egg-box ripple: 5e-3 eV/A leaves margin
    assert -(ep - em) / (2 * h) == pytest.approx(fx, abs=5e-3)


@pytest.mark.cp2k
@needs_cp2k
def test_virial_is_minus_strain_derivative(reference, tmp_path):
    """Checks the sign convention: CP2K prints a pressure; virial = -dE/d(eps)."""
    _, frame = reference
    vxx = get_labels(frame)[2][0, 0]
    eps = 0.01
    settings = Cp2kSettings(**TINY)
    e = []
    for sign in (1, -1):
        a = li2()
        a.set_cell(a.cell.array * np.array([1 + sign * eps, 1, 1])[:, None], scale_atoms=True)
        e.append(run_cp2k(a, settings, tmp_path / f"s{sign}").energy)
    numeric = -(e[0] - e[1]) / (2 * eps)
    # measured agreement 2e-4 eV (virial_xx ~ -1.7 eV); the analytical GPW stress ignores the
    # change of the plane-wave set with the cell (Pulay stress, small at 400 Ry): 0.02 eV
    assert numeric == pytest.approx(vxx, abs=0.02)
    assert np.sign(numeric) == np.sign(vxx)


@pytest.mark.cp2k
@needs_cp2k
def test_truncated_output_and_scf_failure(reference, tmp_path):
    labeller, _ = reference
    out = next(labeller.workdir.glob("frame_00000/*.out")).read_text()
    cut = out[: out.index("ATOMIC FORCES")]
    with pytest.raises(Cp2kFailed, match="ATOMIC FORCES"):
        parse_cp2k_output(cut, 2, "cut.out")
    assert_parsers_agree(out)
    with pytest.raises(ScfNotConverged, match="max_scf"):
        run_cp2k(li2(), Cp2kSettings(**{**TINY, "max_scf": 2}), tmp_path / "scf")


@pytest.mark.cp2k
@needs_cp2k
def test_doctor_line(tmp_path):
    line = check_cp2k(tmp_path)
    assert line.startswith("CP2K version") and "eV" in line


def test_rerun_replaces_a_stale_output(tmp_path):
    """CP2K appends to an existing -o file; a new run must not inherit the old run's lines."""
    from lidendrite.labeling.cp2k import Cp2kSettings, execute_cp2k

    fake = tmp_path / "fake_cp2k"  # stands in for the binary: only the file handling is tested
    fake.write_text('#!/bin/sh\necho " *** SCF run converged in 3 steps ***\n PROGRAM ENDED" >> "$4"\n')
    fake.chmod(0o755)
    work = tmp_path / "run"
    work.mkdir()
    (work / "p.out").write_text(" *** WARNING in qs_scf.F:601 :: SCF run NOT converged ***\n")
    out = execute_cp2k("&GLOBAL\n&END GLOBAL\n", Cp2kSettings(executable=str(fake)), work, "p")
    text = out.read_text()
    assert "NOT converged" not in text and "PROGRAM ENDED" in text
