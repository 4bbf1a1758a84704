"""Fig. 3b / S9a and S9b of the ec paper: Li charges of QEq, Hirshfeld and CM5 on the
interface model, and where one extra electron goes."""

from __future__ import annotations

import numpy as np

from lidendrite.plotting.style import figure, save_figure

__all__ = ["plot_fig3b", "plot_figs9b", "METHOD_STYLE"]

#: colour and marker of each charge method
METHOD_STYLE = {"QEq": ("tab:blue", "o"), "Hirshfeld": ("tab:orange", "s"),
                "CM5": ("tab:green", "^")}


def _li(atoms):
    return np.array(atoms.get_chemical_symbols()) == "Li"


def _electrode_spans(ax, atoms):
    """Shade the z range of each electrode (Angstrom) on a z-vs-charge axis."""
    reg = np.asarray(atoms.arrays["region"]).astype(str)
    z = atoms.positions[:, 2]
    for r in ("anode", "cathode", "electrode"):
        if np.any(reg == r):
            lo, hi = z[reg == r].min(), z[reg == r].max()
            ax.axhspan(lo - 0.5, hi + 0.5, color="0.9", zorder=0)
            ax.text(0.98, hi + 0.4, f"{r} (Li metal)", transform=ax.get_yaxis_transform(),
                    ha="right", va="top", fontsize=7, color="0.35")


def _profile(ax, atoms, charges: dict, *, filled: bool = True, label_suffix: str = "") -> None:
    li = _li(atoms)
    z = atoms.positions[li, 2]
    for name, q in charges.items():
        colour, marker = METHOD_STYLE.get(name, ("k", "o"))
        ax.scatter(np.asarray(q)[li], z, marker=marker, s=22, label=name + label_suffix,
                   facecolors=colour if filled else "none", edgecolors=colour, linewidths=0.8,
                   alpha=0.85)
    ax.axvline(0.0, color="0.4", lw=0.8, ls=":")


def plot_fig3b(atoms, charges: dict, summary: dict, png, pdf=None, *, note: str = "") -> None:
    """Li atoms coloured by charge for each method (x vs z), and Li charge vs z together.

    ``charges`` maps ``QEq``/``Hirshfeld``/``CM5`` to per-atom charges (e);
    ``summary`` is :func:`~lidendrite.analysis.ec_qeq_vs_dft.compare_charges`'s dict.
    """
    import matplotlib.colors as mcolors

    li = _li(atoms)
    names = list(charges)
    qmax = max(np.abs(np.asarray(q)[li]).max() for q in charges.values()) or 1e-3
    norm = mcolors.TwoSlopeNorm(vmin=-qmax, vcenter=0.0, vmax=qmax)
    fig, axes = figure(1, len(names) + 1, figsize=(2.6 * len(names) + 4.6, 5.4), sharey=True,
                       constrained_layout=True,
                       gridspec_kw={"width_ratios": [1] * len(names) + [1.7]})
    pos = atoms.positions[li]
    order = np.argsort(pos[:, 1])
    for ax, name in zip(axes, names, strict=False):
        q = np.asarray(charges[name])[li]
        sc = ax.scatter(pos[order, 0], pos[order, 2], c=q[order], cmap="coolwarm", norm=norm,
                        s=30, edgecolors="k", linewidths=0.3)
        m = summary["methods"][name]
        ax.set_title(f"{name}\nelectrode {m['mean_q_li_electrode_e']:+.3f} e, "
                     f"Li$^+$ {m['mean_q_li_electrolyte_e']:+.3f} e", fontsize=8.5)
        ax.set_xlabel("x ($\\AA$)")
    axes[0].set_ylabel("z ($\\AA$)")
    cb = fig.colorbar(sc, ax=list(axes[:len(names)]), location="bottom", shrink=0.8)
    cb.set_label("Li charge (e)")
    ax = axes[-1]
    _electrode_spans(ax, atoms)
    _profile(ax, atoms, charges)
    ax.set_xlabel("Li charge (e)")
    ax.set_title("Li charge vs z (paper: Hirshfeld, CM5 ~0 in the\n"
                 "metal interior; QEq matches qualitatively)", fontsize=8.5)
    agree = summary.get("qeq_vs_cm5", {}).get("li", {})
    if agree.get("pearson_r") is not None:
        ax.text(0.98, 0.02, f"QEq vs CM5 (Li): r = {agree['pearson_r']:.2f}, "
                f"RMSD = {agree['rmsd_e']:.3f} e", transform=ax.transAxes, fontsize=7.5, ha="right",
                bbox=dict(fc="white", ec="0.6", alpha=0.9))
    ax.legend(loc="center left", fontsize=7.5)
    fig.suptitle("Li charges of the Li/[EC+LiPF$_6$] interface model (ec Fig. 3b, S9a)"
                 + (f"\n{_wrap(note)}" if note else ""), fontsize=9)
    save_figure(fig, png, pdf)


def _wrap(note: str, width: int = 170) -> str:
    """Long provenance notes (basis, cutoffs, smearing) on lines that fit the figure."""
    import textwrap

    return "\n".join(textwrap.wrap(note, width))


def plot_figs9b(atoms, neutral: dict, charged: dict, partition: dict, png, pdf=None, *,
                note: str = "") -> None:
    """Li charge vs z without and with one extra electron, and where the electron goes.

    ``neutral``/``charged`` map method name to per-atom charges (e); ``partition``
    maps method name to :func:`~lidendrite.analysis.ec_qeq_vs_dft.extra_electron_partition`.
    """
    names = list(charged)
    fig, axes = figure(1, len(names) + 1, figsize=(2.9 * len(names) + 4.2, 5.0),
                       constrained_layout=True,
                       gridspec_kw={"width_ratios": [1] * len(names) + [1.5]})
    for ax, name in zip(axes, names, strict=False):
        _electrode_spans(ax, atoms)
        _profile(ax, atoms, {name: neutral[name]}, filled=False, label_suffix=", neutral")
        _profile(ax, atoms, {name: charged[name]}, label_suffix=", +1 e$^-$")
        p = partition[name]
        ax.set_title(f"{name}: {p['n_electrode_li_newly_negative']} electrode Li turn negative\n"
                     f"({p['n_electrode_li_negative']} < 0 with, "
                     f"{100 * (p['fraction_on_electrodes'] or 0):.0f} % of e$^-$ on electrodes)",
                     fontsize=8.5)
        ax.set_xlabel("Li charge (e)")
        ax.legend(loc="center left", fontsize=7)
    axes[0].set_ylabel("z ($\\AA$)")
    for ax in axes[1:len(names)]:
        ax.sharey(axes[0])
    ax = axes[-1]
    keys = list(next(iter(partition.values()))["per_region_e"]) + ["Li+", "EC", "PF6"]
    width = 0.8 / len(names)
    x = np.arange(len(keys))
    for k, name in enumerate(names):
        p = partition[name]
        vals = [p["per_region_e"].get(key, p["per_molecule_e"].get(key, 0.0)) for key in keys]
        colour, _ = METHOD_STYLE.get(name, ("k", "o"))
        ax.bar(x + (k - (len(names) - 1) / 2) * width, vals, width, color=colour, label=name)
    ax.axhline(0.0, color="0.3", lw=0.8)
    ax.set_xticks(x, [k.replace("+", "$^+$") for k in keys])
    ax.set_ylabel("charge change with the extra electron (e)")
    ax.set_title("where the extra electron goes\n(paper S9b: no electrode Li becomes negative)",
                 fontsize=8.5)
    ax.legend(fontsize=7.5)
    fig.suptitle("One extra electron in the interface model (ec Fig. S9b)"
                 + (f"\n{_wrap(note)}" if note else ""), fontsize=9)
    save_figure(fig, png, pdf)
