"""Rules run_constq_npt, run_constq_nvt, run_constp_round, run_constp_bias: one DP-QEq MD
stage of the ec cycle (sec. 2.2.2) or the bias study (Fig. S11)."""

import json
import logging
import sys

from lidendrite.constp import stages


def main(smk):
    sys.stderr = sys.stdout = open(smk.log[0], "a")
    logging.basicConfig(stream=sys.stdout, level=logging.INFO, format="%(asctime)s %(message)s")
    stages.enable_jax_cache(smk.params.jax_cache)
    cfg, scale = smk.params.cfg, smk.config["scale"]
    common = dict(traj=smk.output.traj, final=smk.output.final, summary=smk.output.summary,
                  workdir=smk.params.workdir, scale=scale)
    model, prov = smk.input.model, smk.input.provenance
    if smk.rule == "run_constq_npt":
        res = stages.run_npt(smk.input.structure, model, prov, cfg, **common)
    elif smk.rule == "run_constq_nvt":
        res = stages.run_constq_nvt(smk.input.structure, model, prov, cfg, **common)
    elif smk.rule == "run_constp_round":
        res = stages.run_round(smk.input.structure, model, prov, cfg, smk.params.bias,
                               series=smk.wildcards.series,
                               round_k=int(smk.wildcards.round), **common)
    elif smk.rule == "run_constp_bias":
        res = stages.run_bias(smk.input.structure, model, prov, cfg, smk.params.bias,
                              phi_anode=smk.params.phi_anode, phi_cathode=smk.params.phi_cathode,
                              **common)
    else:
        raise SystemExit(f"ec_constp_md.py: unknown rule {smk.rule}")
    print(json.dumps({k: v for k, v in res.items() if k != "charges"}, default=str))


main(snakemake)  # noqa: F821 (injected by Snakemake)
