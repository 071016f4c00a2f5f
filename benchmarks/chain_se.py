"""Standard errors of the regularity constant α along a preset's chains (Fig 8): the
measurement behind the chain lengths of a preset (docs/figures.md, "The quick preset", R3).

    python benchmarks/chain_se.py [--preset quick] [--target 0.002] [--output [PATH]]

Reads the width sweep's moments files of ``results/<preset>/`` (``snakemake fig8`` makes
them) and prints, per width and γ, the samples, the final estimate of α and its batch-means
standard error (``bnrank.chains.theory.alpha_standard_error``), its drift (α on the chain's
second half minus on its first, ``alpha_drift``: a trend that the standard error does not
see), and the length that R3 gives
for the width: steps × (SE / target)² × 1.5, rounded up to 10,000, where SE exceeds the target.
``--output`` without a PATH writes results/bench/chain_se_<preset>.json.
"""

from __future__ import annotations

import argparse
import glob
import math

import pandas as pd

from bnrank.chains.theory import alpha_drift, alpha_standard_error, regularity_constant
from bnrank.paths import Paths
from bnrank.runs import output_argument, output_path, save_benchmark


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--preset", default="quick")
    parser.add_argument("--target", type=float, default=0.002)
    output_argument(parser, "chain_se_{preset}")
    args = parser.parse_args()
    pattern = Paths(f"results/{args.preset}", "results/data").width_sweep("*", "moments")
    files = sorted(glob.glob(pattern))
    if not files:
        raise SystemExit(f"no moments files {pattern}: run `snakemake fig8` for the preset first")
    rows = []
    for (d, gamma), chain in pd.concat(pd.read_csv(f) for f in files).groupby(["d", "gamma"]):
        chain = chain.sort_values("layer")
        se = alpha_standard_error(chain["diag_sq"].to_numpy(), chain["tr_m3"].to_numpy())
        drift = alpha_drift(chain["diag_sq"].to_numpy(), chain["tr_m3"].to_numpy())
        steps = int(chain["layer"].max())
        needed = steps if se <= args.target else math.ceil(steps * (se / args.target) ** 2 * 1.5 / 10000) * 10000
        alpha = float(regularity_constant(chain["diag_sq"].mean(), chain["tr_m3"].mean()))
        rows.append(
            {
                "d": int(d),
                "gamma": gamma,
                "steps": steps,
                "samples": len(chain),
                "alpha": alpha,
                "se": se,
                "drift": drift,
                "steps_for_target": needed,
            }
        )
    table = pd.DataFrame(rows)
    print(f"preset {args.preset}: batch-means standard error of α (20 batches), target {args.target:g}")
    print(table.to_string(index=False, float_format=lambda x: f"{x:.4f}"))
    print("steps per width for the target (largest over γ):")
    print(table.groupby("d")["steps_for_target"].max().to_string())
    if output := output_path(args):
        description = (
            f"Batch-means standard error of the final estimate of α per (d, γ) on preset {args.preset}'s chains, "
            f"and the chain length rule R3 gives for a standard error of {args.target:g}."
        )
        save_benchmark(output, "python benchmarks/chain_se.py", description, rows)


if __name__ == "__main__":
    main()
