"""Runs that cannot mix (bnrank.nets.checkpoints): a checkpoint or stored model is used
only by the run whose settings, data and code made it; a damaged one is reported and
made anew; a damaged prepared data set stops the job with what to do."""

import dataclasses
from pathlib import Path

import pandas as pd
import pytest
import torch

from bnrank import workflow
from bnrank.nets import cnn, cnn_experiments, cnn_train, data, experiments, init
from bnrank.nets.checkpoints import Checkpoint
from bnrank.settings import CnnRun, CnnVariant, Measurement, RankNotions, Training
from bnrank.streams import RunSeed

FLOAT32 = Measurement(probe=16, dtype="float32", rank_notions=RankNotions(taus=(0.5,), eig_threshold=1e-9))
FLOAT64 = dataclasses.replace(FLOAT32, dtype="float64")
ARCH = init.Architecture(inputs=3072, width=16, depth=2, norm="bn")


class Interrupted(Exception):
    """Stands for the job being killed."""


def interrupt_after(module, name: str, calls: int, patch: pytest.MonkeyPatch) -> None:
    """Make ``module.name`` raise ``Interrupted`` on its call number ``calls + 1``."""
    original, count = getattr(module, name), [0]

    def counted(*args, **kwargs):
        count[0] += 1
        if count[0] > calls:
            raise Interrupted
        return original(*args, **kwargs)

    patch.setattr(module, name, counted)


@pytest.fixture
def files(tmp_path):
    data.synthetic_cifar10(0, 128, 32).save(tmp_path / "data.pt")
    init.save_params(tmp_path / "mlp.npz", init.init_params(ARCH, "pytorch", RunSeed(0, 0), "x"))
    state = cnn.initial_state(architecture="vgg19", norm="bn", scheme="pytorch", width=1 / 16, seed=RunSeed(0, 0))
    torch.save(state, tmp_path / "cnn.pt")
    return tmp_path


def train_mlp(folder: Path, measurement: Measurement, store: Path | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    return experiments.train_runs(
        variant="bn",
        dataset_path=str(folder / "data.pt"),
        models=[experiments.Model(ARCH.depth, RunSeed(0, 0), str(folder / "mlp.npz"), 0.01)],
        archs={ARCH.depth: ARCH},
        training=Training(epochs=3, batch=32, lrs=(0.01,), train_samples=None, input_scale="unit", device="cpu"),
        measurement=measurement,
        checkpoint=folder / "mlp_checkpoint.pt",
        stores=None if store is None else {ARCH.depth: store},
    )


def run_cnn(folder: Path, measurement: Measurement) -> pd.DataFrame:
    run = CnnRun(
        iterations=8,
        batch=16,
        lr=0.01,
        momentum=0.9,
        weight_decay=5e-4,
        log_every=2,
        checkpoint_every=4,
        augment=False,
        device="cpu",
        precision="float32",
        channels_last=False,
        compile=False,
    )
    return cnn_experiments.train_cnn_run(
        variant_name="bn",
        dataset_path=str(folder / "data.pt"),
        weights_path=str(folder / "cnn.pt"),
        architecture="vgg19",
        variant=CnnVariant(norm="bn", init="pytorch"),
        width=1 / 16,
        run=run,
        measurement=measurement,
        seed=RunSeed(0, 0),
        checkpoint=folder / "cnn_checkpoint.pt",
    )


def test_an_interrupted_cnn_run_rerun_with_another_measurement_keeps_no_old_row(files, capsys):
    with pytest.MonkeyPatch.context() as patch:  # killed after the checkpoint at iteration 4
        interrupt_after(cnn_train, "measure_last_hidden", 3, patch)
        with pytest.raises(Interrupted):
            run_cnn(files, FLOAT32)
    saved = torch.load(files / "cnn_checkpoint.pt", weights_only=True)
    assert saved["iteration"] == 4 and saved["settings"]["measurement"]["dtype"] == "float32"  # readable as is
    capsys.readouterr()
    rows = run_cnn(files, FLOAT64)
    assert "differs in: measurement); ignored, starting over" in capsys.readouterr().out
    assert set(rows["dtype"]) == {"float64"} and rows["iteration"].tolist() == [0, 2, 4, 6, 8]


def test_an_interrupted_cnn_run_rerun_unchanged_resumes(files, capsys):
    with pytest.MonkeyPatch.context() as patch:
        interrupt_after(cnn_train, "measure_last_hidden", 3, patch)
        with pytest.raises(Interrupted):
            run_cnn(files, FLOAT32)
    capsys.readouterr()
    rows = run_cnn(files, FLOAT32)
    assert "at iteration 4" in capsys.readouterr().out
    assert rows["iteration"].tolist() == [0, 2, 4, 6, 8]


def test_an_interrupted_mlp_run_rerun_with_another_measurement_keeps_no_old_row(files, capsys):
    with pytest.MonkeyPatch.context() as patch:  # killed in epoch 2's measurement: the checkpoint holds epoch 1
        interrupt_after(experiments, "layer_ranks", 2, patch)
        with pytest.raises(Interrupted):
            train_mlp(files, FLOAT32)
    assert torch.load(files / "mlp_checkpoint.pt", weights_only=True)["state"]["epoch"] == 1
    capsys.readouterr()
    metrics, ranks = train_mlp(files, FLOAT64)
    assert "differs in: measurement); ignored, starting over" in capsys.readouterr().out
    assert set(ranks["dtype"]) == {"float64"} and sorted(ranks["epoch"].unique()) == [0, 1, 2, 3]
    assert metrics["epoch"].tolist() == [0, 1, 2, 3]


def test_a_truncated_checkpoint_is_reported_and_ignored(tmp_path, capsys):
    checkpoint = Checkpoint(tmp_path / "c.pt", {"run": 1})
    checkpoint.save(iteration=3, rows=[])
    assert checkpoint.load()["iteration"] == 3
    content = checkpoint.path.read_bytes()
    checkpoint.path.write_bytes(content[: len(content) // 2])
    assert checkpoint.load() is None
    assert f"checkpoint {checkpoint.path} cannot be read" in capsys.readouterr().out
    assert Checkpoint(tmp_path / "none.pt", {}).load() is None and capsys.readouterr().out == ""  # none: nothing to say


def test_a_truncated_stored_model_is_reported_and_trained_again(files, capsys):
    store = files / "models"
    first, _ = train_mlp(files, FLOAT32, store)
    (stored,) = store.glob("*.json")
    stored.write_text(stored.read_text()[:100])
    capsys.readouterr()
    again, _ = train_mlp(files, FLOAT32, store)
    out = capsys.readouterr().out
    assert f"stored model {stored} cannot be read (JSONDecodeError" in out and "0 finished before, 1 to train" in out
    pd.testing.assert_frame_equal(first, again)


def test_a_damaged_prepared_data_set_stops_the_job_with_what_to_do(files, tmp_path):
    path = files / "data.pt"
    content = path.read_bytes()
    path.write_bytes(content[:1000])
    with pytest.raises(data.DataError, match=rf"the prepared data set {path} cannot be read .*Delete {path} and run"):
        data.Dataset.load(path)
    altered = data.synthetic_cifar10(0, 128, 32)
    torch.save({**altered.__dict__, "checksum": altered.checksum(), "train_y": altered.train_y.flip(0)}, path)
    with pytest.raises(data.DataError, match="no longer matches its recorded checksum"):
        data.Dataset.load(path)
    log = tmp_path / "job.log"
    with pytest.raises(SystemExit), workflow.logged(str(log)):
        data.Dataset.load(path)
    assert log.read_text().startswith(f"error: the prepared data set {path} no longer matches")
    assert "Traceback" not in log.read_text()


def test_checkpoints_are_written_at_their_cadence(files, monkeypatch):
    """training.checkpoint_seconds: far apart, no epoch writes one; 0, every epoch does
    (resuming from one is exact: the tests above)."""
    schedule = Training(epochs=3, batch=32, lrs=(0.01,), train_samples=None, input_scale="unit", device="cpu")
    saves = []
    original = Checkpoint.save
    monkeypatch.setattr(Checkpoint, "save", lambda self, **state: (saves.append(1), original(self, **state)))
    for seconds, expected in ((3600.0, 0), (0.0, 3)):
        saves.clear()
        experiments.train_runs(
            variant="bn",
            dataset_path=str(files / "data.pt"),
            models=[experiments.Model(ARCH.depth, RunSeed(0, 0), str(files / "mlp.npz"), 0.01)],
            archs={ARCH.depth: ARCH},
            training=dataclasses.replace(schedule, checkpoint_seconds=seconds),
            measurement=FLOAT32,
            checkpoint=files / f"cadence{seconds}.pt",
        )
        assert len(saves) == expected
