"""Chemical species along the ec cycle with ReacNetGenerator (ec sec. 3.2-3.3, Fig. S10b, Fig. 6).

ReacNetGenerator (Zeng et al., PCCP 22, 683 (2020), doi:10.1039/C9CP05091D),
as the paper used it, perceives bonds from coordinates with Open Babel
(``ConnectTheDots``: covalent radii + 0.45 Angstrom, then the longest bonds of an
atom beyond its maximum valence are dropped; Li keeps one bond), finds the
molecules of every frame and names them by SMILES.  No bond cutoffs are set
here: they are Open Babel's element table.

Because Open Babel gives each Li at most one bond, Li ions appear as counter
ions hung on anions ([Li]OC(=O)O[Li], [Li]F, [Li]O[Li]) or as [Li]/[Li][Li].
Species are therefore classified by their Li-free core (element counts without
Li), the paper's eight species (Fig. S10b); the names are read with RDKit
(Landrum et al., https://www.rdkit.org, doi:10.5281/zenodo.591637), which also
finds EC's ring:

=========  ==========  ==========================================
name       core        note
=========  ==========  ==========================================
EC         C3H4O3      with its carbonate ring intact
PF6        PF6
Li2CO3     CO3         carbonate with any number of Li attached
Li2O       O           oxide O (no C/H/P/F bonded)
LiF        F           fluoride F (no P bonded)
C2H4       C2H4        gas
CO2        CO2         gas
CO         CO          gas
=========  ==========  ==========================================

Inorganic products are Li2CO3, Li2O, LiF; gases C2H4, CO2, CO (paper Fig. 6).
The z distribution of a species spreads each molecule over its core atoms
(weight 1 / core size per atom), so the histogram sums to molecule counts.
"""

from __future__ import annotations

import functools
import shutil
import tempfile
from collections import Counter
from pathlib import Path

import numpy as np
from ase.formula import Formula
from rdkit import Chem, rdBase
from tqdm import tqdm

from lidendrite.errors import InputError

__all__ = [
    "SPECIES",
    "INORGANIC",
    "GASES",
    "TYPE_MAP",
    "classify_smiles",
    "smiles_elements",
    "has_ec_ring",
    "write_lammps_dump",
    "run_reacnetgenerator",
    "species_counts",
    "atom_species_weights",
    "cumulative_times",
    "analyse_species",
]

#: Li-free core formula of each species the paper follows (Fig. S10b); EC also needs a ring
SPECIES: dict[str, dict[str, int]] = {
    "EC": {"C": 3, "H": 4, "O": 3},
    "PF6": {"P": 1, "F": 6},
    "Li2CO3": {"C": 1, "O": 3},
    "Li2O": {"O": 1},
    "LiF": {"F": 1},
    "C2H4": {"C": 2, "H": 4},
    "CO2": {"C": 1, "O": 2},
    "CO": {"C": 1, "O": 1},
}
INORGANIC = ("Li2CO3", "Li2O", "LiF")
GASES = ("C2H4", "CO2", "CO")
#: ReacNetGenerator atom types (LAMMPS dump type k -> TYPE_MAP[k-1]); ec paper 2.2.3
TYPE_MAP = ("Li", "C", "H", "O", "P", "F")

#: EC's ring with its carbonate carbon: O~C1(~O)~O~C~C~1, any bond orders (Open Babel's may be odd)
_EC_RING_SMARTS = "[#8]~[#6]1~[#8]~[#6]~[#6]~[#8]~1"


@functools.cache
def _ec_ring_query() -> Chem.Mol:
    return Chem.MolFromSmarts(_EC_RING_SMARTS)


def _species_mol(smiles: str) -> Chem.Mol:
    """RDKit molecule of a ReacNetGenerator SMILES, unsanitised (radicals, Li counter ions and
    odd valences stay as written), with implicit H counts computed; InputError if unparsable."""
    with rdBase.BlockLogs():
        mol = Chem.MolFromSmiles(smiles, sanitize=False)
    if mol is None:
        raise InputError(f"RDKit cannot parse the ReacNetGenerator species name {smiles!r}")
    mol.UpdatePropertyCache(strict=False)
    return mol


def smiles_elements(smiles: str) -> Counter:
    """Element counts of a ReacNetGenerator species name, H included (explicit ``[H]`` atoms,
    bracket counts such as ``[CH2]`` and implicit H of unbracketed atoms).

    SMILES are read with RDKit; a name that is not SMILES
    (``<formula>_unknownSMILES_<k>``, e.g. ``Li0C3H4O3P0F0_unknownSMILES_0``) is read as
    a formula with :class:`ase.formula.Formula`, zero counts dropped.
    """
    if "_unknownSMILES" in smiles:
        return +Counter(Formula(smiles.split("_unknownSMILES")[0]).count())
    out: Counter = Counter()
    for atom in _species_mol(smiles).GetAtoms():
        out[atom.GetSymbol()] += 1
        out["H"] += atom.GetTotalNumHs()
    return +out


def has_ec_ring(smiles: str) -> bool:
    """Whether a ReacNetGenerator species holds EC's intact five-membered carbonate ring
    (False for ``_unknownSMILES`` names, which carry no bonds)."""
    if "_unknownSMILES" in smiles:
        return False
    return _species_mol(smiles).HasSubstructMatch(_ec_ring_query())


def classify_smiles(smiles: str) -> str | None:
    """The paper species (key of :data:`SPECIES`) a ReacNetGenerator name belongs to, or None."""
    el = smiles_elements(smiles)
    core = {k: v for k, v in el.items() if k != "Li"}
    for name, formula in SPECIES.items():
        if core == formula:
            if name == "EC" and not has_ec_ring(smiles):
                return None  # ring opened (or no bonds known): not intact EC
            return name
    return None


def write_lammps_dump(frames, path: str | Path, type_map=TYPE_MAP) -> Path:
    """Write ``frames`` as a LAMMPS text dump (``id type x y z``, TIMESTEP = frame index) that
    ReacNetGenerator reads with ``inputfiletype='dump'``; the cell must be orthorhombic."""
    path = Path(path)
    types = {el: k + 1 for k, el in enumerate(type_map)}
    with path.open("w") as fh:
        for t, atoms in enumerate(tqdm(frames, desc="species dump", unit="frame", disable=None)):
            cell = np.asarray(atoms.cell.array)
            if np.abs(cell - np.diag(np.diag(cell))).max() > 1e-6:
                raise InputError(f"frame {t}: ReacNetGenerator dump needs an orthorhombic cell")
            sym = atoms.get_chemical_symbols()
            missing = sorted(set(sym) - set(types))
            if missing:
                raise InputError(f"frame {t}: element(s) {missing} not in the type map {list(type_map)}")
            pos = atoms.get_scaled_positions(wrap=True) * np.diag(cell)
            fh.write(f"ITEM: TIMESTEP\n{t}\nITEM: NUMBER OF ATOMS\n{len(atoms)}\n"
                     "ITEM: BOX BOUNDS pp pp pp\n")
            for k in range(3):
                fh.write(f"0.0 {cell[k, k]:.8f}\n")
            fh.write("ITEM: ATOMS id type x y z\n")
            fh.writelines(f"{i + 1} {types[s]} {p[0]:.6f} {p[1]:.6f} {p[2]:.6f}\n"
                          for i, (s, p) in enumerate(zip(sym, pos, strict=True)))
    return path


def _read_species_file(path: Path, n_frames: int) -> list[Counter]:
    counts = [Counter() for _ in range(n_frames)]
    for line in path.read_text().splitlines():
        if not line.startswith("Timestep"):
            continue
        head, _, rest = line.partition(":")
        t = int(head.split()[1])
        tok = rest.split()
        for name, n in zip(tok[::2], tok[1::2], strict=True):
            counts[t][name] += int(n)
    return counts


def _read_route_file(path: Path, n_atoms: int, n_frames: int) -> np.ndarray:
    """``[n_frames, n_atoms]`` species name of every atom (route file: changes only)."""
    names = np.empty((n_frames, n_atoms), dtype=object)
    for line in path.read_text().splitlines():
        if not line.startswith("Atom "):
            continue
        head, _, route = line.partition(": ")
        i = int(head.split()[1]) - 1
        steps = [s.strip().split(" ", 1) for s in route.split(" -> ")]
        times = [int(t) for t, _ in steps] + [n_frames]
        for (t0, name), t1 in zip(steps, times[1:], strict=True):
            names[int(t0):t1, i] = name
    if any(v is None for v in names.ravel()):
        raise InputError(f"{path}: atom route does not cover every frame")
    return names


def run_reacnetgenerator(frames, *, hmm: bool = False, nproc: int = 1, keep: str | Path | None = None,
                         with_routes: bool = True) -> dict:
    """Run ReacNetGenerator on ``frames`` (Open Babel bonds from coordinates, periodic).

    Returns ``counts`` (per frame, Counter of species name -> molecules) and,
    with ``with_routes``, ``atom_species`` (``[n_frames, n_atoms]`` species name of each
    atom, from an unfiltered pass). ``keep``: copy ReacNetGenerator's species file there.
    """
    from reacnetgenerator import ReacNetGenerator

    if not frames:
        raise InputError("ReacNetGenerator: no frames")
    n_atoms = len(frames[0])
    with tempfile.TemporaryDirectory(prefix="rng_") as tmp:
        dump = write_lammps_dump(frames, Path(tmp) / "traj.dump")
        out: dict = {}
        passes = [hmm] + ([False] if (with_routes and hmm) else [])
        for run_hmm in passes:
            rng = ReacNetGenerator(inputfiletype="dump", inputfilename=str(dump), atomname=list(TYPE_MAP),
                                   runHMM=run_hmm, nproc=max(1, int(nproc)), pbc=True)
            rng.run()
            if run_hmm == hmm:
                out["counts"] = _read_species_file(Path(f"{dump}.species"), len(frames))
                if keep is not None:
                    shutil.copyfile(f"{dump}.species", keep)
            if with_routes and not run_hmm:
                out["atom_species"] = _read_route_file(Path(f"{dump}.route"), n_atoms, len(frames))
    return out


def species_counts(counts: list[Counter]) -> dict[str, np.ndarray]:
    """Molecules of each paper species per frame, ``{name: [n_frames]}``."""
    cache: dict[str, str | None] = {}
    out = {name: np.zeros(len(counts), int) for name in SPECIES}
    for t, c in enumerate(counts):
        for smi, n in c.items():
            if smi not in cache:
                cache[smi] = classify_smiles(smi)
            if cache[smi] is not None:
                out[cache[smi]][t] += n
    return out


def atom_species_weights(atom_species: np.ndarray, symbols) -> dict[str, np.ndarray]:
    """Per frame and atom, the molecule weight of each species: 1 / core size on the core
    atoms of a molecule of that species, 0 elsewhere (``{name: [n_frames, n_atoms]}``)."""
    sym = np.asarray(symbols)
    cache: dict[str, str | None] = {}
    labels = np.empty(atom_species.shape, dtype=object)
    for idx, smi in np.ndenumerate(atom_species):
        if smi not in cache:
            cache[smi] = classify_smiles(smi)
        labels[idx] = cache[smi]
    out = {}
    for name, formula in SPECIES.items():
        w = (labels == name) & (sym[None, :] != "Li")
        out[name] = w.astype(float) / sum(formula.values())
    return out


def cumulative_times(stages: list) -> list[np.ndarray]:
    """Per stage, frame times (ps) on one axis: each stage starts where the previous ended."""
    out, offset = [], 0.0
    for _, frames in stages:
        t = np.array([float(a.info.get("time_ps", k)) for k, a in enumerate(frames)])
        t = t - t[0] + offset
        out.append(t)
        offset = float(t[-1])
    return out


def _weighted_stats(x: np.ndarray, w: np.ndarray) -> tuple[float | None, float | None]:
    if w.sum() <= 0:
        return None, None
    m = float((x * w).sum() / w.sum())
    return m, float(np.sqrt(((x - m) ** 2 * w).sum() / w.sum()))


def analyse_species(stages: list, geom, *, bin_width: float, hmm: bool = False, nproc: int = 1,
                    keep: str | Path | None = None, z_rounds: int = 2) -> tuple[dict, dict]:
    """Species over the cycle (Fig. S10b) and inorganic products vs gases along z (Fig. 6).

    ``stages`` from :func:`lidendrite.analysis.ec_frames.load_cycle`; the z
    distribution averages the frames of the last ``z_rounds`` rounds (paper: rounds 3
    and 4). Returns ``(summary, data)``; ``data`` holds the arrays for the figures.
    """
    frames = [a for _, fr in stages for a in fr]
    seg = np.concatenate([np.full(len(fr), k) for k, (_, fr) in enumerate(stages)])
    times = np.concatenate(cumulative_times(stages))
    rng = run_reacnetgenerator(frames, hmm=hmm, nproc=nproc, keep=keep)
    counts = species_counts(rng["counts"])
    labels = [lab for lab, _ in stages]
    first = {n: int(c[0]) for n, c in counts.items()}
    ends = {}
    for k, lab in enumerate(labels):
        last = int(np.flatnonzero(seg == k)[-1])
        ends[lab.replace(" ", "")] = {n: int(c[last]) for n, c in counts.items()}
    final = {n: int(c[-1]) for n, c in counts.items()}
    consumed = [n for n in SPECIES if final[n] < first[n]]
    formed = [n for n in SPECIES if final[n] > first[n]]

    # z distribution over the last z_rounds rounds
    round_idx = [k for k, lab in enumerate(labels) if lab != "ConstQ"][-z_rounds:]
    sel = np.flatnonzero(np.isin(seg, round_idx))
    weights = atom_species_weights(rng["atom_species"][sel], frames[0].get_chemical_symbols())
    zsel = np.array([geom.z(frames[i]) for i in sel])
    lo, hi = float(zsel.min()), float(zsel.max())
    edges = lo - 1e-9 + bin_width * np.arange(int(np.ceil((hi - lo) / bin_width)) + 1 + 1)
    hist = {n: np.histogram(zsel.ravel(), bins=edges, weights=w.ravel())[0] / max(len(sel), 1)
            for n, w in weights.items()}
    side = geom.nearest_side(zsel.ravel())
    h = np.where(side == "lower", zsel.ravel() - geom.plane["lower"], geom.plane["upper"] - zsel.ravel())
    dist = {}
    for group, names in (("inorganic", INORGANIC), ("gas", GASES)):
        w = sum(weights[n] for n in names).ravel()
        mean, std = _weighted_stats(h, w)
        dist[group] = {"mean_height_above_nearest_electrode_A": mean, "spread_A": std,
                       "molecules_per_frame": float(w.sum() / max(len(sel), 1))}
    mi = dist["inorganic"]["mean_height_above_nearest_electrode_A"]
    mg = dist["gas"]["mean_height_above_nearest_electrode_A"]
    near = mi is not None and mg is not None and mi < mg
    z_labels = [labels[k] for k in round_idx]
    if mi is None or mg is None:
        what = " and no ".join(g for g, m in (("inorganic products", mi), ("gas molecules", mg)) if m is None)
        z_effect = f"NOT reproduced: no {what} in {', '.join(z_labels)} (paper: inorganics near the electrodes)"
    elif near:
        z_effect = (f"reproduced: inorganic products {mi:.1f} A and gases {mg:.1f} A above the nearest "
                    "electrode on average (paper: inorganics at the bottom of the SEI, gases spread)")
    else:
        z_effect = (f"NOT reproduced: inorganic products {mi:.1f} A, gases {mg:.1f} A above the nearest "
                    "electrode (paper: inorganics closer)")
    summary = {
        "species": list(SPECIES),
        "inorganic": list(INORGANIC),
        "gases": list(GASES),
        "initial_counts": first,
        "counts_at_end": ends,
        "final_counts": final,
        "species_consumed": consumed,
        "products_formed": formed,
        "consumed_effect": ("EC and PF6 consumed, as in the paper" if {"EC", "PF6"} <= set(consumed)
                            else f"NOT reproduced: consumed {consumed or 'nothing'} (paper: EC and PF6)"),
        "z_distribution_rounds": z_labels,
        "z_distribution": dist,
        "inorganic_closer_to_electrode_than_gas": bool(near),
        "shows_paper_effect": bool(near),
        "paper_effect": z_effect,
        "n_frames": len(frames),
        "reacnetgenerator_hmm": bool(hmm),
    }
    snapshots = []
    for k in round_idx:  # the last frame of each z round, atoms grouped for Fig. 6
        i = int(np.flatnonzero(seg == k)[-1])
        j = int(np.flatnonzero(sel == i)[0])
        group = np.full(len(frames[i]), "", dtype="U9")
        for names, g in ((INORGANIC, "inorganic"), (GASES, "gas")):
            for n in names:
                group[weights[n][j] > 0] = g
        snapshots.append((labels[k], frames[i], group))
    data = {"times_ps": times, "segment": seg, "labels": labels, "counts": counts,
            "z_edges": edges, "z_hist": hist, "z_frames": sel, "snapshots": snapshots}
    return summary, data
