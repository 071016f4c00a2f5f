"""The configuration as named, typed objects, built once from the validated config.

Every class mirrors one section of config.yaml, field for field: a setting keeps its
config name all the way to the function that uses it (``chains.depth_sweep.layers``
is ``DepthSweep.layers``). The workflow builds ``Settings`` once; each rule hands its
job the parts it uses as plain data (``params``, so that Snakemake reruns exactly the
jobs whose settings changed), and the job's script rebuilds the objects with ``build``.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from dataclasses import dataclass
from typing import Literal

RankNotion = Literal["matrix_rank", "lower_bound", "soft_rank", "eig_count"]
Norm = Literal["bn", "none"]
InitScheme = Literal["pytorch", "asymmetric", "xavier_normal"]
Activation = Literal["linear", "relu", "tanh", "gelu", "sin"]  # bnrank.activations
# the law of a weight matrix's entries (zero mean, unit variance), or a Haar-orthogonal matrix scaled to match
WeightLaw = Literal["gaussian", "uniform", "orthogonal"]
# the normalisations of the deep chains (bnrank.chains.deep): BN over each feature's samples,
# centred or not; LayerNorm over each sample's features, and RMSNorm (LayerNorm uncentred)
Normalisation = Literal["bn", "bn_uncentred", "ln", "rms", "none"]
# a deep chain's layer: the product, then the activation and the normalisation in this order
LayerOrder = Literal["linear_act_norm", "linear_norm_act"]
CnnArchitecture = Literal["vgg19", "resnet50"]
CnnNorm = Literal["bn", "bn_nocenter", "none"]  # bn_nocenter: BN without mean subtraction
CnnScheme = Literal["pytorch", "asymmetric"]
CnnInputs = Literal["data", "random"]  # random: uniform 0..255 images in place of the data set's (Fig 10)
# a training job's stage: the rate grid on the selection seeds, then the chosen rate on the reported ones
TrainingStage = Literal["selection", "reported"]
Precision = Literal["auto", "float32", "bfloat16"]  # auto: bf16 autocast where the device has native bf16
InputScale = Literal["unit", "raw"]  # unit: pixels / 255; raw: 0..255 (the public Fig 4 code)
Synthetic = Literal[False, True, "auto"]  # the CIFAR-10 stand-in: never, always, or where no source works


@dataclass(frozen=True)
class RankNotions:
    """``rank_notions``: the soft-rank thresholds τ and the eigenvalue cut of ``eig_count``."""

    taus: tuple[float, ...]
    eig_threshold: float


@dataclass(frozen=True)
class DepthSweep:
    """``chains.depth_sweep`` (Fig 2): BN and vanilla chains over many layers."""

    width: int
    batch: int
    runs: int
    layers: int
    measure_every: int
    activations: tuple[Activation, ...]
    weights: WeightLaw
    center: bool


@dataclass(frozen=True)
class WidthSweep:
    """``chains.width_sweep`` (Figs 3a, 8, 9): one long linear BN chain per (width, γ),
    one job per width."""

    gammas: tuple[float, ...]
    steps: int
    burn_in: int
    sample_every: int
    moment_every: int
    runs: int
    weights: WeightLaw
    center: bool
    widths: tuple[int, ...] = ()
    steps_by_width: dict[int, int] = dataclasses.field(default_factory=dict)

    def steps_at(self, width: int) -> int:
        """The chain length at ``width``: ``steps_by_width`` where it names the width, else ``steps``."""
        return self.steps_by_width.get(width, self.steps)

    def job(self, width: int) -> dict:
        """What one width's job uses: everything but the list of widths, with that width's
        chain length, so that a new width runs one new job and leaves the others' results
        in place."""
        fields = {k: v for k, v in dataclasses.asdict(self).items() if k not in ("widths", "steps_by_width")}
        return fields | {"steps": self.steps_at(width)}


@dataclass(frozen=True)
class Spectrum:
    """``chains.spectrum`` (Fig 3b): eigenvalues of M over depth from nearly collinear inputs."""

    width: int
    gamma: float
    layers: int
    runs: int
    noise: float
    top: int
    weights: WeightLaw
    center: bool


@dataclass(frozen=True)
class Isometry:
    """``chains.isometry`` (Fig 16, beyond the paper): −log I(G) of LayerNorm and RMSNorm
    chains over depth, one chain per (normalisation, activation), from the inputs of Fig 3b."""

    width: int
    samples: int
    layers: int
    runs: int
    noise: float
    norms: tuple[Normalisation, ...]
    activations: tuple[Activation, ...]
    weights: WeightLaw


@dataclass(frozen=True)
class GradientExplosion:
    """``chains.gradients.explosion`` (Fig 15a): H ← σ(BN(W H)), BN centred, Gaussian weights,
    one network per (activation, batch size B) of each run (Yang et al. 2019)."""

    width: int
    batches: tuple[int, ...]
    activations: tuple[Activation, ...]
    depth: int
    runs: int


@dataclass(frozen=True)
class GradientRemedy:
    """``chains.gradients.remedy`` (Fig 15b): H ← BN(W H), BN without centring, linear, n = d
    samples, one network per weight law of each run (Meterez et al. 2024)."""

    width: int
    depth: int
    runs: int
    weights: tuple[WeightLaw, ...]


@dataclass(frozen=True)
class Gradients:
    """``chains.gradients`` (Fig 15, beyond the paper): ‖∂L/∂H_ℓ‖² at initialisation
    through deep BN networks."""

    explosion: GradientExplosion
    remedy: GradientRemedy


@dataclass(frozen=True)
class Orthogonality:
    """``chains.orthogonality`` (Fig 14, beyond the paper): the orthogonality gap of BN and
    unnormalised chains over depth, per width and activation, from nearly collinear inputs."""

    widths: tuple[int, ...]
    batch: int
    layers: int
    runs: int
    noise: float
    norms: tuple[Normalisation, ...]
    activations: tuple[Activation, ...]
    weights: WeightLaw
    order: LayerOrder


@dataclass(frozen=True)
class Chains:
    """``chains``: the random-matrix simulations and their precision and threads."""

    dtype: Literal["float64", "float32"]
    threads: int
    depth_sweep: DepthSweep
    width_sweep: WidthSweep
    spectrum: Spectrum
    orthogonality: Orthogonality
    gradients: Gradients
    isometry: Isometry


@dataclass(frozen=True)
class Network:
    """``network``: the MLP shared by every training figure (docs/figures.md §2)."""

    width: int
    activation: Activation
    bn_affine: bool


@dataclass(frozen=True)
class Measurement:
    """``measurement`` (+ ``rank_notions``): rank notions of hidden layers on a fixed probe batch."""

    probe: int
    dtype: Literal["float32", "float64"]
    rank_notions: RankNotions
    layers: Literal["last", "all"] = "last"


@dataclass(frozen=True)
class TrainingDefaults:
    """``training``: how every training job runs."""

    threads: int
    device: str
    input_scale: InputScale
    lr_rule: Literal["best_final_train_loss", "best_final_train_acc"]
    checkpoint_seconds: float = 60.0
    cuda_graph: bool = True


@dataclass(frozen=True)
class Training:
    """What one training job uses: its experiment's schedule, its variant's learning
    rates, and ``training``'s input scale and device."""

    epochs: int
    batch: int
    lrs: tuple[float, ...]
    train_samples: int | None
    input_scale: InputScale
    device: str
    test_samples: int | None = None
    checkpoint_seconds: float = 0.0
    cuda_graph: bool = True


@dataclass(frozen=True)
class Pretraining:
    """``pretraining.<name>``: Algorithm 1's layers, iterations, steps and step size."""

    every: int
    last: bool
    iterations: int
    steps_per_batch: int
    lr: float
    batch: int
    pre_activation: bool
    objective: Literal["inverse_r", "frobenius_over_trace"] = "inverse_r"


@dataclass(frozen=True)
class Variant:
    """``variants.<name>``: a network's normalisation, init scheme and optional pretraining."""

    norm: Norm
    init: InitScheme
    pretrain: str | None = None
    input_scale: InputScale | None = None  # None: training.input_scale


@dataclass(frozen=True)
class InitGrid:
    """``experiments.<name>.measure_init``: depths and number of seeds measured at initialisation."""

    depths: tuple[int, ...]
    n_seeds: int


@dataclass(frozen=True)
class Experiment:
    """``experiments.<name>``: the training runs one or more figures read."""

    dataset: Literal["fashion_mnist", "cifar10"]
    variants: tuple[str, ...]
    depths: tuple[int, ...]
    n_seeds: int
    epochs: int
    batch: int
    lrs: dict[str, tuple[float, ...]]
    train_samples: int | None = None
    test_samples: int | None = None
    measure_init: InitGrid | None = None
    selection_seeds: int = 0

    @property
    def seeds(self) -> list[int]:
        """Every seed trained: the reported ones, then those the learning rate is selected on."""
        return list(range(self.n_seeds + self.selection_seeds))

    @property
    def reported_seeds(self) -> list[int]:
        return list(range(self.n_seeds))

    @property
    def lr_selection_seeds(self) -> list[int]:
        """The seeds ``select_lr`` decides on: separate ones if any, else the reported ones."""
        return self.seeds[self.n_seeds :] if self.selection_seeds else self.reported_seeds

    def stage_seeds(self, stage: TrainingStage) -> list[int]:
        """The seeds one training stage trains: ``selection``, every rate of the grid on the
        seeds ``select_lr`` decides on; ``reported``, the rate it chose on the reported seeds."""
        return self.lr_selection_seeds if stage == "selection" else self.reported_seeds


@dataclass(frozen=True)
class Cnn:
    """``cnn``: how every convolutional-network job runs (Figs 5, 7, 10, 13)."""

    width: float
    threads: int
    device: str
    precision: Precision
    channels_last: bool
    compile: bool
    augment: bool
    checkpoint_every: int


@dataclass(frozen=True)
class CnnVariant:
    """``cnn_variants.<name>``: a CNN's normalisation, init scheme, learning-rate factor and inputs."""

    norm: CnnNorm
    init: CnnScheme
    lr_factor: float = 1.0
    inputs: CnnInputs = "data"


@dataclass(frozen=True)
class CnnExperiment:
    """``cnn_experiments.<name>``: one architecture's runs, with their SGD schedule."""

    architecture: CnnArchitecture
    dataset: Literal["cifar10"]
    variants: tuple[str, ...]
    n_seeds: int
    iterations: int
    batch: int
    lr: float
    momentum: float
    weight_decay: float
    log_every: int
    train_samples: int | None = None

    @property
    def seeds(self) -> list[int]:
        return list(range(self.n_seeds))

    reported_seeds = seeds


@dataclass(frozen=True)
class CnnRun:
    """What one CNN training job uses: its experiment's schedule, with the learning rate
    times its variant's ``lr_factor``, and ``cnn``'s options."""

    iterations: int
    batch: int
    lr: float
    momentum: float
    weight_decay: float
    log_every: int
    checkpoint_every: int
    augment: bool
    device: str
    precision: Precision
    channels_last: bool
    compile: bool
    train_samples: int | None = None


@dataclass(frozen=True)
class Convergence:
    """``convergence``: when a claim about trained networks is decided. The table jobs take
    the ``window`` (the last this fraction of a run), the claims jobs the limits: the
    reference's training loss fell by at most ``max_relative_improvement`` of its value over
    the window (flattened), or its training accuracy reached ``fit_accuracy`` (fitted)."""

    window: float
    max_relative_improvement: float
    fit_accuracy: float


@dataclass(frozen=True)
class StandIn:
    """``data.cifar10.stand_in``: the synthetic CIFAR-10 stand-in's seed and sizes."""

    seed: int
    train: int
    test: int


@dataclass(frozen=True)
class FashionMnistSources:
    """``data.fashion_mnist``: where Fashion-MNIST is looked for, in order."""

    directory: str | None
    debian_dir: str
    url: str | None


@dataclass(frozen=True)
class Cifar10Sources:
    """``data.cifar10``: where CIFAR-10 is looked for, or the stand-in used instead (``synthetic``:
    true), or where no source works (``auto``)."""

    synthetic: Synthetic
    directory: str | None
    url: str | None
    stand_in: StandIn


@dataclass(frozen=True)
class Data:
    """``data``: the folder of prepared data sets and each data set's sources."""

    directory: str
    fashion_mnist: FashionMnistSources
    cifar10: Cifar10Sources


@dataclass(frozen=True)
class Settings:
    """The whole configuration (figure sections, ``figN``, stay plain: see ``bnrank.figures``)."""

    preset: str
    label: str
    seed: int
    rank_notions: RankNotions
    chains: Chains
    data: Data
    network: Network
    training: TrainingDefaults
    measurement: Measurement
    variants: dict[str, Variant]
    pretraining: dict[str, Pretraining]
    experiments: dict[str, Experiment]
    cnn: Cnn
    cnn_variants: dict[str, CnnVariant]
    cnn_experiments: dict[str, CnnExperiment]
    convergence: Convergence

    @classmethod
    def from_config(cls, config: dict) -> Settings:
        """The settings of a validated config (schema defaults filled in)."""
        measurement = {**config["measurement"], "rank_notions": config["rank_notions"]}
        return build(cls, {**config, "measurement": measurement})

    def experiment(self, name: str) -> Experiment | CnnExperiment:
        """An MLP or CNN experiment by name (the two share one namespace)."""
        return self.experiments[name] if name in self.experiments else self.cnn_experiments[name]

    def dataset_name(self, experiment: str) -> str:
        """The data set file an experiment trains on: CIFAR-10, its stand-in if the config asks,
        or ``cifar10_auto`` (``synthetic: auto``), which holds whichever the data job prepared."""
        name, synthetic = self.experiment(experiment).dataset, self.data.cifar10.synthetic
        if name != "cifar10" or synthetic is False:
            return name
        return "cifar10_auto" if synthetic == "auto" else "cifar10_synthetic"

    def stand_in(self, experiment: str) -> bool:
        """Whether the config puts an experiment on the stand-in (with ``auto`` only the data job knows)."""
        return self.dataset_name(experiment).endswith("_synthetic")

    def chosen_by_data_job(self, experiment: str) -> bool:
        """Whether the data job, not the config, decides between CIFAR-10 and its stand-in (``auto``)."""
        return self.dataset_name(experiment).endswith("_auto")

    def input_scale(self, variant: str) -> InputScale:
        """The variant's input scale, or the training default."""
        return self.variants[variant].input_scale or self.training.input_scale

    def training_job(self, experiment: str, variant: str) -> Training:
        e, t = self.experiments[experiment], self.training
        return Training(
            epochs=e.epochs,
            batch=e.batch,
            lrs=e.lrs[variant],
            train_samples=e.train_samples,
            input_scale=self.input_scale(variant),
            device=t.device,
            test_samples=e.test_samples,
            checkpoint_seconds=t.checkpoint_seconds,
            cuda_graph=t.cuda_graph,
        )

    def cnn_run(self, experiment: str, variant: str) -> CnnRun:
        e, c = self.cnn_experiments[experiment], self.cnn
        lr = e.lr * self.cnn_variants[variant].lr_factor
        return CnnRun(
            iterations=e.iterations,
            batch=e.batch,
            lr=lr,
            momentum=e.momentum,
            weight_decay=e.weight_decay,
            log_every=e.log_every,
            checkpoint_every=c.checkpoint_every,
            augment=c.augment,
            device=c.device,
            precision=c.precision,
            channels_last=c.channels_last,
            compile=c.compile,
            train_samples=e.train_samples,
        )

    def pretraining_of(self, variant: str) -> Pretraining | None:
        name = self.variants[variant].pretrain
        return self.pretraining[name] if name else None


def build(cls: type, data: typing.Any) -> typing.Any:
    """An instance of ``cls`` (a settings dataclass, or a type hint such as
    ``tuple[int, ...]``) from plain data: a config section or a job's ``params``."""
    origin, args = typing.get_origin(cls), typing.get_args(cls)
    if dataclasses.is_dataclass(cls):
        hints = typing.get_type_hints(cls)
        given = {f.name: build(hints[f.name], data[f.name]) for f in dataclasses.fields(cls) if f.name in data}
        return cls(**given)
    if origin in (typing.Union, types.UnionType):
        if data is None:
            return None
        (inner,) = [a for a in args if a is not type(None)]
        return build(inner, data)
    if origin is tuple:
        return tuple(build(args[0], x) for x in data)
    if origin is dict:
        return {k: build(args[1], v) for k, v in data.items()}
    if cls is float:
        return float(data)
    return data


def plain(settings: typing.Any) -> typing.Any:
    """Settings as plain data (dicts, lists, numbers), for a job's ``params``."""
    return dataclasses.asdict(settings) if dataclasses.is_dataclass(settings) else settings
