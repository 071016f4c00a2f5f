"""Data sets (docs/figures.md, "Data"): sources tried in order, checksums, one tensor file each.

A data set is stored once as a ``.pt`` file holding uint8 images flattened to
(samples, features), int64 labels, and where they came from; training jobs load it in
one read and keep it on the device. A missing or corrupt file is never used: when no
source works, ``DataError`` names every source tried, why it failed, and how to
supply the data — except for ``cifar10_auto`` (``data.cifar10.synthetic: auto``), which
then is the synthetic stand-in, and the job's log says so.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import pickle
import tarfile
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from bnrank.streams import probe_generator, stand_in_generator
from bnrank.workflow import JobError

FASHION_FILES = {  # decompressed IDX files and their md5 (Debian recompressed the .gz)
    "train_images": ("train-images-idx3-ubyte", "f4a8712d7a061bf5bd6d2ca38dc4d50a"),
    "train_labels": ("train-labels-idx1-ubyte", "9018921c3c673c538a1fc5bad174d6f9"),
    "test_images": ("t10k-images-idx3-ubyte", "8181f5470baa50b63fa0f6fddb340f0a"),
    "test_labels": ("t10k-labels-idx1-ubyte", "15d484375f8d13e6eb1aabb0c3f46965"),
}
CIFAR_ARCHIVE = ("cifar-10-python.tar.gz", "c58f30108f718f92721af3b95e74349a")
CLASSES = 10


class DataError(JobError):
    """No source could supply a data set, or a prepared one cannot be used."""


@dataclass(frozen=True)
class Dataset:
    """Flattened uint8 images (samples, features) and int64 labels of a split data set."""

    train_x: torch.Tensor
    train_y: torch.Tensor
    test_x: torch.Tensor
    test_y: torch.Tensor
    source: str
    synthetic: bool = False

    def checksum(self) -> str:
        """The md5 of the four tensors' bytes."""
        digest = hashlib.md5()
        for tensor in (self.train_x, self.train_y, self.test_x, self.test_y):
            digest.update(tensor.contiguous().numpy().tobytes())
        return digest.hexdigest()

    def save(self, path: str | Path) -> None:
        """Write the data set with its checksum (whole, or not at all)."""
        path = Path(path)
        partial = path.with_name(path.name + ".part")
        torch.save({**self.__dict__, "checksum": self.checksum()}, partial)
        partial.replace(path)

    @classmethod
    def load(cls, path: str | Path) -> Dataset:
        """A prepared data set; a ``DataError`` naming the file and how to rebuild it when
        it cannot be read or no longer matches the checksum it was saved with."""
        rebuild = f"Delete {path} and run the workflow again: it prepares the data set anew."
        try:
            saved = torch.load(path, weights_only=True)
            checksum = saved.pop("checksum")
            dataset = cls(**saved)
        except Exception as error:  # noqa: BLE001 - whatever broke the file, the remedy is the same
            raise DataError(
                f"the prepared data set {path} cannot be read ({type(error).__name__}: {error}). {rebuild}"
            ) from None
        if dataset.checksum() != checksum:
            raise DataError(f"the prepared data set {path} no longer matches its recorded checksum. {rebuild}")
        return dataset


def md5(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()


def parse_idx(data: bytes) -> np.ndarray:
    """An IDX array (the MNIST file format): magic, dimensions, then unsigned bytes."""
    if len(data) < 4 or data[:2] != b"\0\0" or data[2] != 0x08:
        raise ValueError("not an IDX file of unsigned bytes")
    dims = data[3]
    shape = tuple(int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(dims))
    return np.frombuffer(data, np.uint8, offset=4 + 4 * dims).reshape(shape)


def _read_verified(candidates: Sequence[Path], expected_md5: str) -> bytes:
    """The first existing candidate's (decompressed) bytes, which must match the md5."""
    for path in candidates:
        if path.exists():
            raw = path.read_bytes()
            data = gzip.decompress(raw) if path.suffix == ".gz" else raw
            if md5(data) != expected_md5:
                raise ValueError(f"{path} is corrupt: md5 {md5(data)}, expected {expected_md5}")
            return data
    raise FileNotFoundError(f"{' or '.join(map(str, candidates))} not found")


def fashion_mnist_from_directory(directory: Path, files: dict = FASHION_FILES) -> Dataset:
    """Fashion-MNIST from a folder holding the four IDX files, raw or gzipped."""
    arrays = {}
    for key, (name, digest) in files.items():
        arrays[key] = parse_idx(_read_verified([directory / name, directory / f"{name}.gz"], digest))
    return Dataset(
        train_x=torch.from_numpy(arrays["train_images"].reshape(len(arrays["train_images"]), -1).copy()),
        train_y=torch.from_numpy(arrays["train_labels"].astype(np.int64)),
        test_x=torch.from_numpy(arrays["test_images"].reshape(len(arrays["test_images"]), -1).copy()),
        test_y=torch.from_numpy(arrays["test_labels"].astype(np.int64)),
        source=str(directory),
    )


def download(url: str, target: Path, timeout: float = 60.0) -> Path:
    """Fetch ``url`` into ``target`` (written under a temporary name, then renamed)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".part")
    with urllib.request.urlopen(url, timeout=timeout) as response:
        partial.write_bytes(response.read())
    partial.replace(target)
    return target


def fashion_mnist_from_url(base_url: str, cache: Path, files: dict = FASHION_FILES) -> Dataset:
    """Download the four gzipped IDX files from ``base_url`` into ``cache``, then read them."""
    targets = [cache / f"{name}.gz" for name, _ in files.values()]
    for target in targets:
        if not target.exists():
            download(base_url.rstrip("/") + f"/{target.name}", target)
    try:
        dataset = fashion_mnist_from_directory(cache, files)
    except ValueError:  # a corrupt download is never kept
        for target in targets:
            target.unlink(missing_ok=True)
        raise
    return Dataset(**{**dataset.__dict__, "source": base_url})


def cifar10_from_archive(archive: Path, checksum: str = CIFAR_ARCHIVE[1]) -> Dataset:
    """CIFAR-10 from the python-version archive ``cifar-10-python.tar.gz`` (md5 checked)."""
    data = archive.read_bytes()
    if md5(data) != checksum:
        raise ValueError(f"{archive} is corrupt: md5 {md5(data)}, expected {checksum}")
    batches = {}
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        for member in tar.getmembers():
            name = Path(member.name).name
            if name.startswith(("data_batch_", "test_batch")):
                batches[name] = pickle.load(tar.extractfile(member), encoding="bytes")

    def stack(names):
        x = np.concatenate([batches[n][b"data"] for n in names])
        y = np.concatenate([batches[n][b"labels"] for n in names]).astype(np.int64)
        return torch.from_numpy(x), torch.from_numpy(y)

    train_x, train_y = stack([f"data_batch_{i}" for i in range(1, 6)])
    test_x, test_y = stack(["test_batch"])
    return Dataset(train_x=train_x, train_y=train_y, test_x=test_x, test_y=test_y, source=str(archive))


def cifar10_from_url(url: str, cache: Path, checksum: str = CIFAR_ARCHIVE[1]) -> Dataset:
    """Download the archive into ``cache`` (once) with torchvision's ``download_url``,
    which checks its md5, then read it."""
    from torchvision.datasets.utils import download_url

    target = cache / CIFAR_ARCHIVE[0]
    try:
        if not target.exists():
            download_url(url, str(cache), CIFAR_ARCHIVE[0], md5=checksum)
        dataset = cifar10_from_archive(target, checksum)
    except (RuntimeError, ValueError):  # a corrupt download is never kept
        target.unlink(missing_ok=True)
        raise
    return Dataset(**{**dataset.__dict__, "source": url})


def synthetic_cifar10(seed: int, train: int = 50000, test: int = 10000) -> Dataset:
    """A class-structured, CIFAR-shaped stand-in (3×32×32 uint8, 10 classes) from a seed.

    Each class has a smooth random prototype image (bilinearly upsampled 4×4 noise per
    channel); a sample is its class prototype, a smooth sample-specific variation of
    2.4 times the prototypes' contrast, and pixel noise, clipped to 0..255. Classes
    overlap (the nearest class mean labels about 80% of test samples correctly), so it
    can be learnt, but not trivially.
    """
    gen = stand_in_generator(seed)

    def smooth(n: int, scale: float) -> torch.Tensor:
        coarse = torch.randn(n, 3, 4, 4, generator=gen) * scale
        return torch.nn.functional.interpolate(coarse, size=(32, 32), mode="bilinear", align_corners=False)

    prototypes = smooth(CLASSES, 25.0)

    def split(n: int) -> tuple[torch.Tensor, torch.Tensor]:
        labels = torch.randint(CLASSES, (n,), generator=gen)
        images = 128 + prototypes[labels] + smooth(n, 60.0) + 20 * torch.randn(n, 3, 32, 32, generator=gen)
        return images.round().clamp(0, 255).to(torch.uint8).reshape(n, -1), labels

    train_x, train_y = split(train)
    test_x, test_y = split(test)
    return Dataset(
        train_x=train_x,
        train_y=train_y,
        test_x=test_x,
        test_y=test_y,
        source=f"synthetic stand-in (seed {seed})",
        synthetic=True,
    )


Sources = Sequence[tuple[str, Callable[[], Dataset]]]


def try_sources(sources: Sources) -> tuple[Dataset | None, list[str]]:
    """The data set from the first source that works (None if none does), and a line per
    source tried: why it failed, or that it was used."""
    tried = []
    for label, load in sources:
        try:
            dataset = load()
        except Exception as error:  # noqa: BLE001 - every failure is reported
            tried.append(f"  - {label}: {type(error).__name__}: {error}")
        else:
            return dataset, [*tried, f"  - {label}: used"]
    return None, tried


def first_available(name: str, sources: Sources, how_to: str) -> Dataset:
    """The data set from the first source that works; else a DataError listing them all."""
    dataset, tried = try_sources(sources)
    if dataset is None:
        raise DataError(f"{name} is not available. Sources tried, in order:\n" + "\n".join(tried) + f"\n{how_to}")
    return dataset


def fashion_mnist(directory: str | None, debian_dir: str, url: str | None, cache: str) -> Dataset:
    """Fashion-MNIST from the config's folder, then the Debian package, then a download."""
    sources = []
    if directory:
        sources.append(
            (
                f"folder {directory} (data.fashion_mnist.directory)",
                lambda: fashion_mnist_from_directory(Path(directory)),
            )
        )
    sources.append((f"Debian package folder {debian_dir}", lambda: fashion_mnist_from_directory(Path(debian_dir))))
    if url:
        sources.append((f"download from {url}", lambda: fashion_mnist_from_url(url, Path(cache))))
    how_to = (
        "Supply it by one of: setting data.fashion_mnist.directory to a folder with the four IDX files "
        "(raw or .gz); `apt-get install dataset-fashion-mnist` (Debian); or network access for "
        "data.fashion_mnist.url."
    )
    return first_available("Fashion-MNIST", sources, how_to)


def cifar10_sources(directory: str | None, url: str | None, cache: str, checksum: str = CIFAR_ARCHIVE[1]) -> Sources:
    """CIFAR-10's sources, in order: the config's folder (holding the python-version archive), a download."""
    sources = []
    if directory:
        archive = Path(directory) / CIFAR_ARCHIVE[0]
        sources.append(
            (f"folder {directory} (data.cifar10.directory)", lambda: cifar10_from_archive(archive, checksum))
        )
    if url:
        sources.append((f"download from {url}", lambda: cifar10_from_url(url, Path(cache), checksum)))
    return sources


def cifar10(directory: str | None, url: str | None, cache: str, checksum: str = CIFAR_ARCHIVE[1]) -> Dataset:
    """CIFAR-10 from the first of its sources that works (``data.cifar10.synthetic: false``)."""
    how_to = (
        f"Supply it by one of: setting data.cifar10.directory to a folder holding {CIFAR_ARCHIVE[0]} "
        f"(md5 {CIFAR_ARCHIVE[1]}); network access for data.cifar10.url; or, offline, the synthetic "
        "stand-in (data.cifar10.synthetic: true, or auto for it only where no source works), which every "
        "figure made from it names."
    )
    return first_available("CIFAR-10", cifar10_sources(directory, url, cache, checksum), how_to)


def cifar10_or_stand_in(
    directory: str | None, url: str | None, stand_in: dict, cache: str, checksum: str = CIFAR_ARCHIVE[1]
) -> Dataset:
    """CIFAR-10 from the first of its sources that works, else the synthetic stand-in made from
    ``stand_in`` (``data.cifar10.synthetic: auto``); prints every source tried, why it failed,
    and what was used."""
    dataset, tried = try_sources(cifar10_sources(directory, url, cache, checksum))
    print("data.cifar10.synthetic is auto: CIFAR-10 from the first source that works, else the synthetic stand-in.")
    print("Sources tried, in order:\n" + "\n".join(tried or ["  (none: data.cifar10.directory and .url are null)"]))
    if dataset is not None:
        print(f"Used: CIFAR-10 from {dataset.source}.")
        return dataset
    dataset = synthetic_cifar10(**stand_in)
    print(f"Used: the synthetic CIFAR-10 stand-in (seed {stand_in['seed']}), as no source worked; every figure")
    print("and claim made from it says so.")
    return dataset


def prepare(name: str, sources: dict, cache: str) -> Dataset:
    """The data set ``name`` from the sources its job uses (``data.<name>`` in the config:
    ``data.cifar10.stand_in`` for ``cifar10_synthetic``, both for ``cifar10_auto``)."""
    if name == "fashion_mnist":
        return fashion_mnist(**sources, cache=cache)
    if name == "cifar10":
        return cifar10(**sources, cache=cache)
    if name == "cifar10_synthetic":
        return synthetic_cifar10(**sources)
    if name == "cifar10_auto":
        return cifar10_or_stand_in(**sources, cache=cache)
    raise ValueError(f"unknown data set {name!r}")


def prepared_as(name: str, dataset: Dataset) -> str:
    """The data set a job preparing ``name`` made: ``cifar10_auto`` is ``cifar10``, or
    ``cifar10_synthetic`` where it fell back to the stand-in."""
    if name == "cifar10_auto":
        return "cifar10_synthetic" if dataset.synthetic else "cifar10"
    return name


def probe_indices(n: int, size: int, seed: int) -> np.ndarray:
    """A fixed random subset of the training set, the same for every model and epoch."""
    return np.sort(probe_generator(seed).choice(n, size, replace=False))
