"""What a training run depends on, and the files that keep its progress.

One rule for MLP and CNN runs: a run's settings (``run_settings``) are the md5 of its
data set, its start weights and the package files its job runs, its seed, and every
setting its result depends on (network, schedule, measurement), as plain values; its
key (``run_key``) is a hash of them. A checkpoint (``Checkpoint``) and a stored
finished model (``read_stored``) are used only when they carry the key of the run
that asks for them; one that does not match, or cannot be read, is reported in the
job's log with the reason, then ignored and made anew. A checkpoint also carries the
settings it was made with, as plain values: ``torch.load(path, weights_only=True)
["settings"]`` reads them without the workflow.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from bnrank.streams import RunSeed


def file_md5(path: str | Path) -> str:
    """The md5 of a file's bytes."""
    return hashlib.md5(Path(path).read_bytes()).hexdigest()


def _plain(value: Any) -> Any:
    """Settings as JSON values: dataclasses become dicts, tuples lists."""
    if dataclasses.is_dataclass(value):
        value = dataclasses.asdict(value)
    return json.loads(json.dumps(value, default=str))


def run_settings(*, data: str, weights: str, seed: RunSeed, code: Sequence[str], **settings: Any) -> dict:
    """Everything a run's result depends on: its data set, start weights and code files
    (their md5 digests, ``file_md5``), its seed, and ``settings`` (dataclasses or plain values)."""
    return {
        "data": data,
        "weights": weights,
        "seed": {"base": seed.base, "run": seed.run},
        "code": sorted(code),
        **{name: _plain(value) for name, value in settings.items()},
    }


def run_key(settings: dict) -> str:
    """A short hash of a run's (or a batch of runs') settings."""
    return hashlib.sha256(json.dumps(settings, sort_keys=True).encode()).hexdigest()[:16]


def _differences(saved: dict, settings: dict) -> str:
    names = sorted(k for k in saved.keys() | settings.keys() if saved.get(k) != settings.get(k))
    return ", ".join(names) if names else "its key"


@dataclass(frozen=True)
class Checkpoint:
    """Where a run keeps its state between sessions, and the settings of the run it belongs to."""

    path: Path
    settings: dict

    @property
    def key(self) -> str:
        return run_key(self.settings)

    def load(self, map_location: Any = None) -> dict | None:
        """The saved state, if this run saved it; else None, saying why in the log."""
        if not self.path.exists():
            return None
        try:
            saved = torch.load(self.path, weights_only=True, map_location=map_location)  # no pickle runs
            key, settings = saved["key"], saved["settings"]
        except Exception as error:  # noqa: BLE001 - any unreadable file is reported and replaced
            print(f"checkpoint {self.path} cannot be read ({type(error).__name__}: {error}); ignored, starting over")
            return None
        if key != self.key:
            print(
                f"checkpoint {self.path} was made by another run (it differs in: "
                f"{_differences(settings, self.settings)}); ignored, starting over",
                flush=True,
            )
            return None
        return saved

    def save(self, **state: Any) -> None:
        """Write ``state`` with the run's key and settings (whole, or not at all)."""
        partial = self.path.with_name(self.path.name + ".part")
        torch.save({"key": self.key, "settings": self.settings, **state}, partial)
        os.replace(partial, self.path)


def read_stored(path: Path, key: str) -> dict | None:
    """A finished model's stored rows, if stored under ``key``; else None, saying why in the log."""
    if not path.exists():
        return None
    try:
        saved = json.loads(path.read_text())
        stored_key = saved["key"]
    except (OSError, ValueError, KeyError, TypeError) as error:
        print(f"stored model {path} cannot be read ({type(error).__name__}: {error}); it is trained again")
        return None
    if stored_key != key:
        print(f"stored model {path} was trained with other settings, data or code; it is trained again")
        return None
    return saved


def write_stored(path: Path, key: str, **rows: Any) -> None:
    """Keep a finished model's rows under its key (whole, or not at all)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".part")
    partial.write_text(json.dumps({"key": key, **rows}))
    partial.replace(path)
