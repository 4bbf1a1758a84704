"""Rule plot_ec_temperatures: the temperature of every ec DP-QEq run (temperatures.json + figure)."""

import json
import sys
from pathlib import Path

from lidendrite.analysis.ec_temperature import temperature_summary
from lidendrite.io.jsonfile import write_json
from lidendrite.plotting.ec_temperature import plot_temperatures


def main(smk):
    sys.stderr = sys.stdout = open(smk.log[0], "w")
    cfg = smk.params.cfg
    res = temperature_summary(dict(zip(smk.params.labels, smk.input.runs, strict=True)),
                              target_K=cfg["temperature_K"],
                              tolerance_K=cfg["temperature_tolerance_K"],
                              end_fraction=cfg["temperature_end_fraction"])
    res["scale"] = smk.config["scale"]
    lots = {json.loads(Path(p).read_text()).get("level_of_theory") for p in smk.input.runs}
    res["level_of_theory"] = "; ".join(sorted(lot for lot in lots if lot))
    write_json(res, smk.output.summary)
    plot_temperatures(res, smk.output.png, smk.output.pdf, note=f"scale {smk.config['scale']}")
    print(json.dumps({k: res["runs"][k]["t_end_K"] for k in res["runs"]}))


main(snakemake)  # noqa: F821 (injected by Snakemake)
