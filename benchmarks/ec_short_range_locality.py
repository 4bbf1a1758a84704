"""How much of the DP_short energy error follows the QEq energy that was subtracted from its labels.

DP-QEq (ec paper eq. 1, sec. 2.2.3) trains DP_short on ``E_short = E_label - E_QEq``. With
PBE labels, which hold the long-range electrostatics that QEq supplies, E_short is short
ranged. A local teacher (CHGNet, SevenNet-0: no interaction beyond a 5-6 A graph) holds no
such long-range part, so ``E_label - E_QEq`` keeps the long-range part of ``-E_QEq``, which
a DP of cut-off ``ec.training.model.rcut`` cannot represent.

For every frame the active learning labelled (``ec/potential/al_work/iter.*/labelled.extxyz``)
this script computes E_QEq with the labels' own settings (``ec.dpqeq.qeq``, ConstQ) and
sets beside it the per-atom energy error of the final DP_short (against ``E_label -
E_QEq``) and of the final full DP (against ``E_label``). It reports their RMS, their
correlation with ``E_QEq`` per atom, and the least-squares slope of the DP_short error on
``E_QEq`` per atom; and the DP_short error on bulk BCC Li (``E_QEq`` = 0 there).

Usage::

    .venv/bin/python benchmarks/ec_short_range_locality.py --results results/demo \\
        --out benchmarks/results/ec_short_range_locality
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

import numpy as np
from _provenance import provenance


def dp_energy(dp, atoms) -> float:
    """Energy (eV) of one frame with a deepmd ``DeepPot``."""
    types = np.array([dp.get_type_map().index(s) for s in atoms.get_chemical_symbols()])
    e = dp.eval(atoms.positions.reshape(1, -1), atoms.cell.array.reshape(1, -1), types)[0]
    return float(np.ravel(e)[0])


def main() -> None:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--results", type=Path, default=Path("results/demo"))
    p.add_argument(
        "--short-model", type=Path, help="a DP_short to test instead of the run's dp_short.pb"
    )
    p.add_argument("--out", type=Path, required=True)
    a = p.parse_args()
    load0 = os.getloadavg()

    from ase.build import bulk
    from deepmd.infer import DeepPot

    from lidendrite.config import load_config
    from lidendrite.dpqeq.short_range import qeq_constq_calculator, qeq_parts
    from lidendrite.io.trajectory import read_frames

    cfg = load_config("demo")["ec"]
    ec = a.results / "ec"
    short = DeepPot(str(a.short_model or ec / "potential" / "dp_short.pb"))
    full = DeepPot(str(ec / "potential" / "full_dp.pb"))
    qeq = qeq_constq_calculator(cfg["dpqeq"]["qeq"])
    rows = []
    for path in sorted((ec / "potential" / "al_work").glob("iter.*/labelled.extxyz")):
        for atoms in read_frames(path):
            n = len(atoms)
            e_label = float(atoms.get_potential_energy())
            e_qeq = qeq_parts(atoms, qeq)[0]
            rows.append(
                {
                    "iteration": path.parent.name,
                    "n_atoms": n,
                    "e_qeq_meV_per_atom": e_qeq / n * 1000.0,
                    "short_error_meV_per_atom": (dp_energy(short, atoms) - (e_label - e_qeq))
                    / n
                    * 1000.0,
                    "full_error_meV_per_atom": (dp_energy(full, atoms) - e_label) / n * 1000.0,
                }
            )
        print(path.parent.name, len(rows), flush=True)
    q = np.array([r["e_qeq_meV_per_atom"] for r in rows])
    es = np.array([r["short_error_meV_per_atom"] for r in rows])
    ef = np.array([r["full_error_meV_per_atom"] for r in rows])
    slope, intercept = np.polyfit(q, es, 1)
    li = bulk("Li", "bcc", a=3.43, cubic=True).repeat((2, 2, 2))
    li_qeq = qeq_parts(li, qeq)[0] / len(li) * 1000.0
    summary = {
        "n_frames": len(rows),
        "short_rms_meV_per_atom": float(np.sqrt(np.mean(es**2))),
        "full_rms_meV_per_atom": float(np.sqrt(np.mean(ef**2))),
        "short_corr_with_e_qeq": float(np.corrcoef(es, q)[0, 1]),
        "full_corr_with_e_qeq": float(np.corrcoef(ef, q)[0, 1]),
        "short_slope_on_e_qeq": float(slope),
        "short_rms_after_removing_the_fit_meV_per_atom": float(
            np.sqrt(np.mean((es - slope * q - intercept) ** 2))
        ),
        "e_qeq_range_meV_per_atom": [float(q.min()), float(q.max())],
        "bulk_li_e_qeq_meV_per_atom": float(li_qeq),
    }
    # within one composition (one system size), where the per-type energy bias cannot help
    summary["per_system"] = {}
    for n in sorted({r["n_atoms"] for r in rows}):
        k = np.array([r["n_atoms"] == n for r in rows])
        summary["per_system"][str(n)] = {
            "n_frames": int(k.sum()),
            "e_qeq_range_meV_per_atom": [float(q[k].min()), float(q[k].max())],
            "short_rms_meV_per_atom": float(np.sqrt(np.mean(es[k] ** 2))),
            "short_corr_with_e_qeq": float(np.corrcoef(es[k], q[k])[0, 1]),
            "short_slope_on_e_qeq": float(np.polyfit(q[k], es[k], 1)[0]),
            "full_rms_meV_per_atom": float(np.sqrt(np.mean(ef[k] ** 2))),
            "full_corr_with_e_qeq": float(np.corrcoef(ef[k], q[k])[0, 1]),
        }
    print(summary, flush=True)
    out = {
        "results": str(a.results),
        "summary": summary,
        "frames": rows,
        "provenance": provenance(load0, command="python " + " ".join(sys.argv)),
    }
    a.out.parent.mkdir(parents=True, exist_ok=True)
    a.out.with_suffix(".json").write_text(json.dumps(out, indent=1) + "\n")
    plot(q, es, ef, summary, a.out.with_suffix(".png"))
    pv, s = out["provenance"], summary
    a.out.with_suffix(".md").write_text(
        "\n".join(
            [
                "# DP_short energy errors against the QEq energy subtracted from their labels",
                "",
                f"DP_short: `{a.short_model or ec / 'potential' / 'dp_short.pb'}`; full DP: `{ec / 'potential' / 'full_dp.pb'}`.",
                "",
                f"{pv['date']}, commit {pv['commit']}, {pv['machine']}; `{pv['command']}`.",
                "",
                f"{s['n_frames']} frames labelled by the active learning of `{a.results}` (CHGNet teacher); "
                f"E_QEq per atom spans {s['e_qeq_range_meV_per_atom'][0]:.0f} to "
                f"{s['e_qeq_range_meV_per_atom'][1]:.0f} meV/atom (bulk BCC Li: {s['bulk_li_e_qeq_meV_per_atom']:.1f}).",
                "",
                "| model (label) | energy error RMS (meV/atom) | correlation with E_QEq per atom |",
                "|---|---:|---:|",
                f"| DP_short (E_label - E_QEq) | {s['short_rms_meV_per_atom']:.1f} | {s['short_corr_with_e_qeq']:.2f} |",
                f"| full DP (E_label) | {s['full_rms_meV_per_atom']:.1f} | {s['full_corr_with_e_qeq']:.2f} |",
                "",
                f"DP_short error = {s['short_slope_on_e_qeq']:.2f} x E_QEq per atom + const; without that line its RMS is "
                f"{s['short_rms_after_removing_the_fit_meV_per_atom']:.1f} meV/atom.",
                "",
                "Within one composition (frames of one size, where the per-element energy offsets cannot help):",
                "",
                "| atoms | frames | E_QEq range (meV/atom) | DP_short RMS | corr | slope | full DP RMS | corr |",
                "|---:|---:|---|---:|---:|---:|---:|---:|",
                *[
                    f"| {n} | {g['n_frames']} | {g['e_qeq_range_meV_per_atom'][0]:.0f} to {g['e_qeq_range_meV_per_atom'][1]:.0f} | "
                    f"{g['short_rms_meV_per_atom']:.1f} | {g['short_corr_with_e_qeq']:.2f} | {g['short_slope_on_e_qeq']:.2f} | "
                    f"{g['full_rms_meV_per_atom']:.1f} | {g['full_corr_with_e_qeq']:.2f} |"
                    for n, g in s["per_system"].items()
                ],
                "",
            ]
        )
    )


def plot(q, es, ef, s, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5.2, 3.8), constrained_layout=True)
    ax.scatter(
        q, es, s=10, label=f"DP_short vs E_label - E_QEq (r = {s['short_corr_with_e_qeq']:.2f})"
    )
    ax.scatter(
        q, ef, s=10, marker="x", label=f"full DP vs E_label (r = {s['full_corr_with_e_qeq']:.2f})"
    )
    ax.axhline(0.0, color="0.6", lw=0.8)
    ax.set_xlabel("E_QEq of the frame (meV/atom)")
    ax.set_ylabel("energy error of the model (meV/atom)")
    ax.set_title("active-learning frames, CHGNet labels", fontsize=9)
    ax.legend(fontsize=7)
    fig.savefig(path, dpi=130)
    plt.close(fig)


if __name__ == "__main__":
    main()
