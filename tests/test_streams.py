"""Random streams (bnrank.streams): every stream of the paper preset is distinct from
every other, and the streams kept from earlier releases draw what they drew then."""

import math
from collections import Counter

import numpy as np
import pytest

from bnrank import streams
from bnrank.nets import init
from bnrank.settings import Settings
from bnrank.streams import RunSeed
from tests.conftest import REPO, workflow_config

CIFAR_TRAIN = 50_000  # CIFAR-10's training images, the paper preset's CNN data
# the purposes drawn as the chains' counter-based keys (``streams.chain_keys``)
CHAIN_STREAMS = ("depth_", "width_", "spectrum_", "orthogonality_", "gradients_")


def paper_preset_streams() -> list[tuple[str, RunSeed, tuple[int, ...]]]:
    """(purpose, seed, index) of every stream one paper-preset run of each kind draws:
    every run, epoch, iteration's epoch, depth and width of the paper preset."""
    s = Settings.from_config(workflow_config())
    used = []
    for e in s.experiments.values():
        dataset = e.dataset  # the init job's key names the data set as the config does
        runs = set(e.seeds) | set(range(e.measure_init.n_seeds if e.measure_init else 0))
        depths = set(e.depths) | set(e.measure_init.depths if e.measure_init else ())
        for run in runs:
            seed = RunSeed(s.seed, run)
            used += [("mlp_epoch_order", seed, (epoch,)) for epoch in range(1, e.epochs + 1)]
            for variant in e.variants:
                v = s.variants[variant]
                for depth in depths:
                    key = init._stable_key(dataset, depth, v.norm, v.init)
                    used.append(("mlp_init", seed, (key,)))
                    if v.pretrain:
                        used.append(("pretraining_batches", seed, (depth,)))
    for e in s.cnn_experiments.values():
        epochs = math.ceil(e.iterations * e.batch / CIFAR_TRAIN)
        for run in e.seeds:
            seed = RunSeed(s.seed, run)
            used += [("cnn_init", seed, ()), ("random_images", seed, ())]
            used += [("cnn_epoch_plan", seed, (epoch,)) for epoch in range(epochs + 1)]
    c = s.chains
    for run in range(c.depth_sweep.runs):
        used += [(p, RunSeed(s.seed, run), ()) for p in ("depth_sweep_inputs", "depth_sweep_weights")]
    for run in range(c.width_sweep.runs):
        used += [("width_sweep_weights", RunSeed(s.seed, run), (width,)) for width in c.width_sweep.widths]
    for run in range(c.spectrum.runs):
        used += [(f"spectrum_{p}", RunSeed(s.seed, run), ()) for p in ("signs", "inputs", "noise", "weights")]
    for run in range(c.orthogonality.runs):
        seed = RunSeed(s.seed, run)
        for p in ("signs", "inputs", "noise", "weights"):
            used += [(f"orthogonality_{p}", seed, (width,)) for width in c.orthogonality.widths]
    g = c.gradients
    for run in range(g.explosion.runs):
        seed = RunSeed(s.seed, run)
        used += [(f"gradients_{p}", seed, (batch,)) for p in ("inputs", "readout") for batch in g.explosion.batches]
        used.append(("gradients_weights", seed, ()))
    for run in range(g.remedy.runs):
        used += [(f"gradients_remedy_{p}", RunSeed(s.seed, run), ()) for p in ("inputs", "readout", "weights")]
    for run in range(c.isometry.runs):
        used += [(f"isometry_{p}", RunSeed(s.seed, run), ()) for p in ("signs", "inputs", "noise", "weights")]
    return sorted(set(used), key=str)


def repeated(values) -> list:
    return [v for v, n in Counter(values).items() if n > 1]


def test_every_stream_of_the_paper_preset_is_distinct():
    used = paper_preset_streams()
    assert {p for p, _, _ in used} == set(streams.PURPOSES)  # every purpose is drawn somewhere
    epochs = [i for p, _, i in used if p in ("mlp_epoch_order", "cnn_epoch_plan")]
    assert max(epochs)[0] >= 75  # all the paper's epochs, not a sample
    states = [tuple(streams.sequence(p, seed, *i).generate_state(4)) for p, seed, i in used]
    assert not repeated(states)
    torch_seeds = [streams.torch_seed(p, seed, *i) for p, seed, i in used if not p.startswith(CHAIN_STREAMS)]
    assert not repeated(torch_seeds)  # what the generators actually start from
    chain = [
        streams.chain_keys(p, seed.base, seed.run + 1, *i)[-1] for p, seed, i in used if p.startswith(CHAIN_STREAMS)
    ]
    assert not repeated(chain)
    probes = {tuple(streams.probe_generator(s).integers(0, 2**63, 4)) for s in range(100)}
    assert len(probes) == 100


def test_a_purpose_is_not_an_epoch():
    """The collision named streams remove: a CNN's initial weights and its data order of
    epoch 5 were the same stream (SeedSequence([base, run, 5]))."""
    seed = RunSeed(2020, 0)
    init_state = streams.sequence("cnn_init", seed).generate_state(4)
    for epoch in range(100):
        plan = streams.sequence("cnn_epoch_plan", seed, epoch).generate_state(4)
        assert not np.array_equal(init_state, plan)
    assert not np.array_equal(
        streams.sequence("random_images", seed).generate_state(4),
        streams.sequence("cnn_epoch_plan", seed, 13).generate_state(4),
    )


def test_the_kept_streams_draw_what_they_drew_before():
    """The MLP and chain streams keep the layouts of earlier releases (the MLP and chain
    tables of a run stay byte for byte what they were)."""
    seed = RunSeed(2020, 3)
    old = np.random.SeedSequence  # the expressions earlier releases spelled out
    assert streams.torch_seed("mlp_epoch_order", seed, 7) == int(old([2020, 3, 7]).generate_state(1)[0])
    assert streams.torch_seed("pretraining_batches", seed, 30) == int(old([2020, 3, 30, 11]).generate_state(1)[0])
    a = streams.numpy_generator("mlp_init", seed, 12345).random(3)
    assert np.array_equal(a, np.random.default_rng(old([2020, 3], spawn_key=(12345,))).random(3))
    keys = streams.chain_keys("width_sweep_weights", 2020, 4, 64)
    expected = [s.generate_state(1, np.uint64)[0] for s in old(2020, spawn_key=(3, 64)).spawn(4)]
    assert keys.tolist() == expected


def test_a_runs_streams_do_not_depend_on_how_many_runs_there_are():
    assert (
        streams.chain_keys("depth_sweep_weights", 5, 3)[:2].tolist()
        == streams.chain_keys("depth_sweep_weights", 5, 2).tolist()
    )


def test_unknown_purposes_and_seeds_out_of_range_are_refused():
    with pytest.raises(ValueError, match="unknown random stream 'epoch'"):
        streams.sequence("epoch", RunSeed(0, 0))
    with pytest.raises(ValueError, match="run must be an integer"):
        RunSeed(0, -1)
    with pytest.raises(ValueError, match="base must be an integer"):
        RunSeed(2**32, 0)


def test_no_other_module_makes_a_seed_sequence():
    makers = [
        p.relative_to(REPO).as_posix() for p in (REPO / "bnrank").rglob("*.py") if "SeedSequence" in p.read_text()
    ]
    assert makers == ["bnrank/streams.py"]
