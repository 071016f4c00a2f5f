"""Config checks that run before any job: the JSON schema, then rules across keys.

Messages name the key (as ``section.key``), what was found, what is allowed, and
point at the schema, which documents every key with its type and default.
"""

from __future__ import annotations

import inspect
import math

import jsonschema
import yaml

DATASET_SIZES = {"fashion_mnist": 60000, "cifar10": 50000}
EXPERIMENTS = ("fig1", "fig4", "fig6", "fig12")

HINT = "Fix these keys in config.yaml or the --configfile preset; schemas/config.schema.yaml lists every key, its type and default."


def config_error(problems: list[str]) -> ValueError:
    """One error listing every problem, for Snakemake to print before any job runs."""
    return ValueError("invalid configuration:\n  - " + "\n  - ".join(problems) + "\n" + HINT)


def _key(path) -> str:
    return ".".join(str(p) for p in path) or "(top level)"


def schema_errors(config: dict, schema_path: str) -> list[str]:
    """Every violation of the schema, as 'key: problem (allowed ...)' lines."""
    with open(schema_path) as f:
        schema = yaml.safe_load(f)
    validator = jsonschema.validators.validator_for(schema)(schema)
    problems = []
    for error in sorted(validator.iter_errors(config), key=lambda e: list(map(str, e.absolute_path))):
        message = f"{_key(error.absolute_path)}: {error.message}"
        if error.validator == "additionalProperties":
            message += f" (allowed keys: {', '.join(error.schema.get('properties', {}))})"
        problems.append(message)
    return problems


def _soft_rank_tau(config: dict, section: str) -> list[str]:
    figure = config[section]
    if figure["rank"] != "soft_rank":
        return []
    tau, taus = figure.get("tau"), config["rank_notions"]["taus"]
    if tau is None:
        return [f"{section}.tau: required when {section}.rank is soft_rank"]
    if not any(math.isclose(tau, t) for t in taus):
        return [f"{section}.tau: {tau} is not among rank_notions.taus {taus}; add it there"]
    return []


def check_config(config: dict) -> list[str]:
    """Rules across keys that a JSON schema cannot state (config with defaults filled)."""
    problems = _soft_rank_tau(config, "fig2") + _soft_rank_tau(config, "fig3")
    fig2 = config["fig2"]["simulation"]
    if fig2["measure_every"] > fig2["layers"]:
        problems.append(f"fig2.simulation.measure_every: {fig2['measure_every']} exceeds fig2.simulation.layers ({fig2['layers']})")
    chains = config["chains"]
    if chains["burn_in"] + chains["sample_every"] > chains["steps"]:
        problems.append(
            f"chains.steps: {chains['steps']} leaves no rank sample after chains.burn_in ({chains['burn_in']}) "
            f"at chains.sample_every ({chains['sample_every']})"
        )
    if chains["burn_in"] + 2 * chains["moment_every"] > chains["steps"]:
        problems.append(f"chains.steps: {chains['steps']} leaves fewer than two moment samples after chains.burn_in")
    spectrum = config["fig3"]["spectrum"]
    if spectrum["top"] > spectrum["width"]:
        problems.append(f"fig3.spectrum.top: {spectrum['top']} exceeds fig3.spectrum.width ({spectrum['width']})")
    for section in ("fig3", "fig9"):
        lo, hi = config[section]["claims"].get("slope", (0, 0))
        if lo > hi:
            problems.append(f"{section}.claims.slope: lower end {lo} exceeds upper end {hi}")
    return problems + _training_problems(config) + _claims_problems(config)


def _training_problems(config: dict) -> list[str]:
    problems = []
    variants, pretraining = config["variants"], config["pretraining"]
    for name, variant in variants.items():
        if variant.get("pretrain") and variant["pretrain"] not in pretraining:
            problems.append(f"variants.{name}.pretrain: {variant['pretrain']!r} is not a key of pretraining ({', '.join(pretraining)})")
    for exp in EXPERIMENTS:
        e = config.get(exp)
        if not e:
            continue
        for v in e["variants"]:
            if v not in variants:
                problems.append(f"{exp}.variants: {v!r} is not a key of variants ({', '.join(variants)})")
            elif v not in e["lrs"]:
                problems.append(f"{exp}.lrs: no learning-rate grid for variant {v!r}")
        data = config["data"]["cifar10"]
        size = data["stand_in"]["train"] if e["dataset"] == "cifar10" and data["synthetic"] else DATASET_SIZES[e["dataset"]]
        size = min(size, e["train_samples"] or size)
        if e["batch"] > size:
            problems.append(f"{exp}.batch: {e['batch']} exceeds the {size} training samples of {e['dataset']}")
        if config["training"]["probe"] > size:
            problems.append(f"training.probe: {config['training']['probe']} exceeds the {size} training samples of {exp}")
        if ("rank_depths" in e) != ("rank_seeds" in e):
            problems.append(f"{exp}: rank_depths and rank_seeds go together")
    if "rank_depths" not in config.get("fig1", {"rank_depths": 0}):
        problems.append("fig1.rank_depths: required (the depths of the rank-at-initialisation panel)")
    return problems


def _claims_problems(config: dict) -> list[str]:
    """Every figure's claims section must give exactly its check's thresholds."""
    from bnrank.claims import CHECKS

    problems = []
    for figure, check in CHECKS.items():
        expected = set(list(inspect.signature(check).parameters)[1:])
        given = set(config.get(figure, {}).get("claims", {}))
        if given != expected:
            missing, unknown = sorted(expected - given), sorted(given - expected)
            detail = "; ".join(x for x in (f"missing {', '.join(missing)}" if missing else "", f"unknown {', '.join(unknown)}" if unknown else "") if x)
            problems.append(f"{figure}.claims: {detail} (expected: {', '.join(sorted(expected))})")
    return problems
