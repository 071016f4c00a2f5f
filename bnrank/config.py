"""Config checks that run before any job: the JSON schema, then rules across keys.

The schema is schemas/config.schema.yaml plus, for each figure of the registry
(``bnrank.figures``), a section ``figN`` with its ``table`` settings and ``claims``
thresholds, derived from the parameters (names, types, defaults) of its functions.
Messages name the key (as ``section.key``), what was found and what is allowed.
"""

from __future__ import annotations

import copy
import inspect
import math
import os
import types
import typing
from collections.abc import Callable, Sequence

import jsonschema
import yaml

from bnrank.figures import FIGURES, Figure

DATASET_SIZES = {"fashion_mnist": 60000, "cifar10": 50000}

HINT = (
    "Fix these keys in config.yaml or the --configfile preset; schemas/config.schema.yaml lists every key, "
    "its type and default, and bnrank/figures.py the figures with their table settings and claims thresholds."
)


class ConfigError(ValueError):
    """An invalid configuration: every problem, one per line, and how to fix them."""


def config_error(problems: list[str]) -> ConfigError:
    """One error listing every problem, for the workflow to print before any job runs."""
    return ConfigError("invalid configuration:\n  - " + "\n  - ".join(problems) + "\n" + HINT)


def _key(path) -> str:
    return ".".join(str(p) for p in path) or "(top level)"


def _type_schema(hint) -> dict:
    """The JSON schema of a parameter's type hint (numbers, booleans, strings, Literal, sequences)."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        options = [_type_schema(a) for a in args if a is not type(None)]
        return {"anyOf": options + [{"type": "null"}]} if type(None) in args else {"anyOf": options}
    if origin is typing.Literal:
        return {"enum": list(args)}
    if origin is tuple and args and args[-1] is not Ellipsis:
        return {"type": "array", "items": _type_schema(args[0]), "minItems": len(args), "maxItems": len(args)}
    if origin in (tuple, list, Sequence):
        return {"type": "array", "items": _type_schema(args[0])}
    basic = {float: "number", int: "integer", bool: "boolean", str: "string"}
    if hint not in basic:
        raise TypeError(f"no config type for {hint!r}: annotate with float, int, bool, str, Literal, tuple or X | None")
    return {"type": basic[hint]}


def parameters_schema(function: Callable, names: Sequence[str]) -> dict:
    """The schema of a config section holding the parameters ``names`` of ``function``."""
    hints = typing.get_type_hints(function)
    signature = inspect.signature(function).parameters
    properties, required = {}, []
    for name in names:
        default = signature[name].default
        properties[name] = _type_schema(hints[name])
        if default is inspect.Parameter.empty:
            required.append(name)
        else:
            properties[name]["default"] = default
    return {"type": "object", "additionalProperties": False, "required": required, "properties": properties}


def figure_schema(figure: Figure) -> dict:
    """The config section ``figN`` of a figure: its table settings and its claims thresholds."""
    sections = {"claims": parameters_schema(figure.claims, figure.thresholds)}
    if figure.table_settings:
        sections["table"] = parameters_schema(figure.table, figure.table_settings)
    return {"type": "object", "additionalProperties": False, "required": list(sections), "properties": sections}


def load_schema(schema_path: str) -> dict:
    """The full schema: the file's, plus one section per registered figure."""
    with open(schema_path) as f:
        schema = yaml.safe_load(f)
    schema["properties"].update({name: figure_schema(figure) for name, figure in FIGURES.items()})
    return schema


def _fill_defaults(validator_class):
    """A validator class that also writes each property's schema default where it is missing."""
    check_properties = validator_class.VALIDATORS["properties"]

    def properties(validator, props, instance, schema):
        if isinstance(instance, dict):
            for name, sub in props.items():
                if "default" in sub:
                    instance.setdefault(name, copy.deepcopy(sub["default"]))
        yield from check_properties(validator, props, instance, schema)

    return jsonschema.validators.extend(validator_class, {"properties": properties})


def _coerce_strings(config: dict, validator) -> None:
    """Read as YAML every string where the schema wants another type or one of a list of
    values (``true``, ``auto``), and keep the result where it is allowed: ``snakemake --config
    'chains={"depth_sweep": {"width": 64}}'`` hands nested values over as strings ('64')."""
    for _ in range(100):  # each pass fixes every string the schema reports; nested ones may follow
        fixed = False
        for error in validator.iter_errors(config):
            readable = error.validator in ("type", "enum") and isinstance(error.instance, str)
            if not readable or not error.absolute_path:
                continue
            *parents, key = error.absolute_path
            try:
                value = yaml.safe_load(error.instance)
            except yaml.YAMLError:
                continue
            if not isinstance(value, str) and _allowed(validator, error, value):
                target = config
                for p in parents:
                    target = target[p]
                target[key] = value
                fixed = True
        if not fixed:
            return


def _allowed(validator, error, value) -> bool:
    """Whether ``value`` passes the type or enum check that ``error`` reports."""
    if error.validator == "enum":  # true is not 1: a value of the same type and equal
        return any(type(value) is type(v) and value == v for v in error.validator_value)
    types = error.validator_value if isinstance(error.validator_value, list) else [error.validator_value]
    return any(validator.is_type(value, t) for t in types)


def schema_errors(config: dict, schema_path: str) -> list[str]:
    """Every violation of the schema, as 'key: problem (allowed ...)' lines; fills in the
    schema's defaults where the config has no value, and reads strings given for numbers,
    booleans or lists (``--config`` on the command line) as YAML."""
    schema = load_schema(schema_path)
    validator = _fill_defaults(jsonschema.validators.validator_for(schema))(schema)
    _coerce_strings(config, validator)
    problems = []
    for error in sorted(validator.iter_errors(config), key=lambda e: list(map(str, e.absolute_path))):
        message = f"{_key(error.absolute_path)}: {error.message}"
        if error.validator == "additionalProperties":
            message += f" (allowed keys: {', '.join(error.schema.get('properties', {}))})"
        problems.append(message)
    return problems


def validate(config: dict, schema_path: str) -> None:
    """Check ``config`` and fill in its defaults; a ValueError lists every problem."""
    if problems := schema_errors(config, schema_path):
        raise config_error(problems)
    if problems := check_config(config):
        raise config_error(problems)


def preset(configfiles: Sequence[str] = (), repo: str = ".") -> dict:
    """The config a run with these ``--configfile`` files reads (for the benchmarks): the
    repository's config.yaml with each file merged over it in turn, as Snakemake merges
    them, validated with the schema's defaults filled in."""
    from snakemake.utils import update_config

    with open(os.path.join(repo, "config.yaml")) as f:
        config = yaml.safe_load(f)
    for path in configfiles:
        with open(path) as f:
            update_config(config, yaml.safe_load(f))
    validate(config, os.path.join(repo, "schemas", "config.schema.yaml"))
    return config


def _soft_rank_tau(config: dict, figure: str) -> list[str]:
    table = config[figure]["table"]
    if table["rank"] != "soft_rank":
        return []
    tau, taus = table.get("tau"), config["rank_notions"]["taus"]
    if tau is None:
        return [f"{figure}.table.tau: required when {figure}.table.rank is soft_rank"]
    if not any(math.isclose(tau, t) for t in taus):
        return [f"{figure}.table.tau: {tau} is not among rank_notions.taus {taus}; add it there"]
    return []


def _intervals(config: dict, figure: Figure) -> list[str]:
    """Thresholds typed as intervals (tuple[float, float]) must not be reversed."""
    hints = typing.get_type_hints(figure.claims)
    problems = []
    for name in figure.thresholds:
        if typing.get_origin(hints[name]) is tuple:
            lo, hi = config[figure.name]["claims"][name]
            if lo > hi:
                problems.append(f"{figure.name}.claims.{name}: lower end {lo} exceeds upper end {hi}")
    return problems


def check_config(config: dict) -> list[str]:
    """Rules across keys that a JSON schema cannot state (config with defaults filled)."""
    problems = []
    for figure in FIGURES.values():
        if "rank" in figure.table_settings:
            problems += _soft_rank_tau(config, figure.name)
        problems += _intervals(config, figure)
    depth = config["chains"]["depth_sweep"]
    if depth["measure_every"] > depth["layers"]:
        problems.append(
            f"chains.depth_sweep.measure_every: {depth['measure_every']} exceeds "
            f"chains.depth_sweep.layers ({depth['layers']})"
        )
    sweep = config["chains"]["width_sweep"]
    problems += [
        f"chains.width_sweep.steps_by_width: {width} is not among chains.width_sweep.widths {sweep['widths']}"
        for width in sweep["steps_by_width"]
        if width not in sweep["widths"]
    ]
    lengths = {"chains.width_sweep.steps": sweep["steps"]} | {
        f"chains.width_sweep.steps_by_width.{w}": steps for w, steps in sweep["steps_by_width"].items()
    }
    for key, steps in lengths.items():
        if sweep["burn_in"] + sweep["sample_every"] > steps:
            problems.append(
                f"{key}: {steps} leaves no rank sample after chains.width_sweep.burn_in "
                f"({sweep['burn_in']}) at chains.width_sweep.sample_every ({sweep['sample_every']})"
            )
        if sweep["burn_in"] + 2 * sweep["moment_every"] > steps:
            problems.append(f"{key}: {steps} leaves fewer than two moment samples after chains.width_sweep.burn_in")
    spectrum = config["chains"]["spectrum"]
    if spectrum["top"] > spectrum["width"]:
        problems.append(f"chains.spectrum.top: {spectrum['top']} exceeds chains.spectrum.width ({spectrum['width']})")
    for name in ("fashion_mnist", "cifar10"):
        folder = config["data"][name]["directory"]
        if folder and not os.path.isdir(folder):
            problems.append(
                f"data.{name}.directory: the folder {folder!r} does not exist (relative to {os.getcwd()}); set the "
                "folder that holds the files, or null to use the other sources"
            )
    return problems + _training_problems(config)


def _named_variants(config: dict, figure: Figure) -> list[str]:
    """A training figure's settings that name variants — claims settings typed ``str`` (the
    variants in each role) and table settings typed ``tuple[str, ...]`` (those shown) —
    must name variants of its experiment."""
    experiment = {**config["experiments"], **config["cnn_experiments"]}[figure.experiment]
    variants = experiment["variants"]
    named = []
    hints = typing.get_type_hints(figure.claims)
    for name in figure.thresholds:
        value = config[figure.name]["claims"].get(name)
        if str in (hints[name], *typing.get_args(hints[name])) and value is not None:
            named.append((f"claims.{name}", value))
    hints = typing.get_type_hints(figure.table)
    for name in figure.table_settings:
        if hints[name] == tuple[str, ...]:
            named += [(f"table.{name}", v) for v in config[figure.name]["table"][name]]
    return [
        f"{figure.name}.{key}: {value!r} is not a variant of experiment {figure.experiment!r} ({', '.join(variants)})"
        for key, value in named
        if value not in variants
    ]


def _training_problems(config: dict) -> list[str]:
    problems = []
    variants, pretraining, experiments = config["variants"], config["pretraining"], config["experiments"]
    for name, variant in variants.items():
        if variant.get("pretrain") and variant["pretrain"] not in pretraining:
            problems.append(
                f"variants.{name}.pretrain: {variant['pretrain']!r} is not a key of pretraining "
                f"({', '.join(pretraining)})"
            )
    cnn_experiments = config["cnn_experiments"]
    for name in set(experiments) & set(cnn_experiments):
        problems.append(f"cnn_experiments.{name}: the name is taken by experiments.{name} (one namespace for both)")
    for figure in FIGURES.values():
        if figure.experiment and figure.experiment not in {**experiments, **cnn_experiments}:
            problems.append(
                f"experiments: no experiment {figure.experiment!r}, whose runs {figure.name} reads "
                f"(experiments: {', '.join(experiments)}; cnn_experiments: {', '.join(cnn_experiments)})"
            )
        elif "init_ranks" in figure.reads and "measure_init" not in experiments[figure.experiment]:
            problems.append(
                f"experiments.{figure.experiment}.measure_init: required, {figure.name} plots ranks at initialisation"
            )
        elif figure.experiment:
            problems += _named_variants(config, figure)
    for name, e in experiments.items():
        for v in e["variants"]:
            if v not in variants:
                problems.append(f"experiments.{name}.variants: {v!r} is not a key of variants ({', '.join(variants)})")
            elif v not in e["lrs"]:
                problems.append(f"experiments.{name}.lrs: no learning-rate grid for variant {v!r}")
        problems += [
            f"experiments.{name}.lrs.{v}: {v!r} is not a variant of experiment {name!r} ({', '.join(e['variants'])})"
            for v in e["lrs"]
            if v not in e["variants"]
        ]
        sizes = {v: len(e["lrs"][v]) for v in e["variants"] if v in e["lrs"]}
        if len(set(sizes.values())) > 1:
            problems.append(
                f"experiments.{name}.lrs: every variant needs as many learning rates as the others, so that none is "
                f"searched more finely ({', '.join(f'{v} has {n}' for v, n in sizes.items())})"
            )
        size, of = _training_size(config, e)
        if e["batch"] > size:
            problems.append(f"experiments.{name}.batch: {e['batch']} exceeds the {size} training samples of {of}")
        if config["measurement"]["probe"] > size:
            problems.append(
                f"measurement.probe: {config['measurement']['probe']} exceeds the {size} training samples of "
                f"experiment {name}"
            )
    return problems + _cnn_problems(config)


def _training_size(config: dict, experiment: dict) -> tuple[int, str]:
    """The number of training samples an experiment trains on, and of what: with
    ``data.cifar10.synthetic: auto`` the fewer of CIFAR-10's and the stand-in's, as either may be used."""
    name, data = experiment["dataset"], config["data"]["cifar10"]
    size, of = DATASET_SIZES[name], name
    if name == "cifar10" and data["synthetic"] is True:
        size = data["stand_in"]["train"]
    elif name == "cifar10" and data["synthetic"] == "auto" and data["stand_in"]["train"] < size:
        size, of = data["stand_in"]["train"], "cifar10's stand-in (data.cifar10.synthetic: auto)"
    return min(size, experiment.get("train_samples") or size), of


def _cnn_problems(config: dict) -> list[str]:
    problems = []
    variants, every = config["cnn_variants"], config["cnn"]["checkpoint_every"]
    for name, e in config["cnn_experiments"].items():
        key = f"cnn_experiments.{name}"
        problems += [
            f"{key}.variants: {v!r} is not a key of cnn_variants ({', '.join(variants)})"
            for v in e["variants"]
            if v not in variants
        ]
        size, of = _training_size(config, e)
        if e["batch"] > size:
            problems.append(f"{key}.batch: {e['batch']} exceeds the {size} training samples of {of}")
        if config["measurement"]["probe"] > size:
            problems.append(
                f"measurement.probe: {config['measurement']['probe']} exceeds the {size} training samples of "
                f"experiment {name}"
            )
        if every % e["log_every"]:
            problems.append(
                f"cnn.checkpoint_every: {every} is not a multiple of {key}.log_every ({e['log_every']}); "
                "checkpoints are written at records"
            )
    return problems
