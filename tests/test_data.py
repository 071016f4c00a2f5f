import gzip
import http.server
import io
import pickle
import tarfile
import threading
from pathlib import Path

import numpy as np
import pytest

from bnrank.nets import data


def idx(array: np.ndarray) -> bytes:
    header = bytes([0, 0, 8, array.ndim]) + b"".join(n.to_bytes(4, "big") for n in array.shape)
    return header + array.astype(np.uint8).tobytes()


@pytest.fixture
def tiny_fashion(tmp_path):
    """Four small IDX files (gzipped) and the checksums of their decompressed bytes."""
    rng = np.random.default_rng(0)
    arrays = {
        "train_images": rng.integers(0, 256, (6, 28, 28)),
        "train_labels": rng.integers(0, 10, 6),
        "test_images": rng.integers(0, 256, (3, 28, 28)),
        "test_labels": rng.integers(0, 10, 3),
    }
    folder = tmp_path / "served"
    folder.mkdir()
    files = {}
    for key, (name, _) in data.FASHION_FILES.items():
        raw = idx(arrays[key])
        (folder / f"{name}.gz").write_bytes(gzip.compress(raw))
        files[key] = (name, data.md5(raw))
    return folder, files, arrays


def test_idx_files_round_trip(tiny_fashion):
    folder, files, arrays = tiny_fashion
    dataset = data.fashion_mnist_from_directory(folder, files)
    assert dataset.train_x.shape == (6, 784) and dataset.test_x.shape == (3, 784)
    np.testing.assert_array_equal(dataset.train_x.numpy(), arrays["train_images"].reshape(6, -1))
    np.testing.assert_array_equal(dataset.test_y.numpy(), arrays["test_labels"])


@pytest.fixture
def http_server(tmp_path):
    """A local HTTP server for a folder: the download code runs for real, offline."""
    servers = []

    def serve(folder: Path) -> str:
        handler = lambda *a, **k: http.server.SimpleHTTPRequestHandler(*a, directory=str(folder), **k)  # noqa: E731
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_port}/"

    yield serve
    for server in servers:
        server.shutdown()


def test_download_fetches_verifies_and_caches(tiny_fashion, http_server, tmp_path):
    folder, files, arrays = tiny_fashion
    url = http_server(folder)
    cache = tmp_path / "cache"
    dataset = data.fashion_mnist_from_url(url, cache, files)
    assert dataset.source == url
    np.testing.assert_array_equal(dataset.train_y.numpy(), arrays["train_labels"])
    assert sorted(p.name for p in cache.iterdir()) == sorted(f"{n}.gz" for n, _ in files.values())


def test_corrupt_download_is_not_kept(tiny_fashion, http_server, tmp_path):
    folder, files, _ = tiny_fashion
    files = {**files, "test_labels": (files["test_labels"][0], "0" * 32)}
    cache = tmp_path / "cache"
    with pytest.raises(ValueError, match="corrupt"):
        data.fashion_mnist_from_url(http_server(folder), cache, files)
    assert not any(cache.iterdir())


def test_no_source_names_every_attempt_and_the_fixes(tmp_path):
    corrupt = tmp_path / "corrupt"
    corrupt.mkdir()
    for name, _ in data.FASHION_FILES.values():
        (corrupt / name).write_bytes(b"\0\0\x08\x01\0\0\0\0")
    with pytest.raises(data.DataError) as error:
        data.fashion_mnist(str(corrupt), str(tmp_path / "no-debian"), "http://127.0.0.1:9/", str(tmp_path / "cache"))
    message = str(error.value)
    assert f"folder {corrupt} (data.fashion_mnist.directory): ValueError" in message and "is corrupt: md5" in message
    assert f"Debian package folder {tmp_path / 'no-debian'}: FileNotFoundError" in message
    assert "download from http://127.0.0.1:9/: URLError" in message
    assert "apt-get install dataset-fashion-mnist" in message and "data.fashion_mnist.directory" in message


def tiny_cifar_archive(path: Path) -> str:
    rng = np.random.default_rng(1)
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
            payload = pickle.dumps(
                {b"data": rng.integers(0, 256, (4, 3072), dtype=np.uint8), b"labels": list(range(4))}
            )
            info = tarfile.TarInfo(f"cifar-10-batches-py/{name}")
            info.size = len(payload)
            tar.addfile(info, io.BytesIO(payload))
    path.write_bytes(buffer.getvalue())
    return data.md5(buffer.getvalue())


def test_cifar_archive_download_and_checksum(tmp_path, http_server):
    served = tmp_path / "served"
    served.mkdir()
    checksum = tiny_cifar_archive(served / data.CIFAR_ARCHIVE[0])
    url = http_server(served) + data.CIFAR_ARCHIVE[0]
    dataset = data.cifar10_from_url(url, tmp_path / "cache", checksum)
    assert dataset.train_x.shape == (20, 3072) and dataset.test_x.shape == (4, 3072)
    with pytest.raises(ValueError, match="corrupt"):
        data.cifar10_from_archive(served / data.CIFAR_ARCHIVE[0])  # the real archive's md5
    with pytest.raises(RuntimeError, match="corrupted"):  # torchvision's download checks the md5 ...
        data.cifar10_from_url(url, tmp_path / "other", "0" * 32)
    assert not (tmp_path / "other" / data.CIFAR_ARCHIVE[0]).exists()  # ... and a bad file is not kept
    with pytest.raises(data.DataError, match="synthetic stand-in"):
        data.cifar10(None, None, str(tmp_path))


def test_stand_in_is_seeded_and_class_structured():
    a, b = data.synthetic_cifar10(3, 2000, 500), data.synthetic_cifar10(3, 2000, 500)
    assert a.synthetic and "synthetic" in a.source
    assert np.array_equal(a.train_x.numpy(), b.train_x.numpy())
    assert a.train_x.shape == (2000, 3072) and a.train_x.dtype.is_floating_point is False
    x, y = a.train_x.numpy().astype(float), a.train_y.numpy()
    means = np.stack([x[y == c].mean(0) for c in range(10)])
    nearest = np.argmin(((a.test_x.numpy()[:, None].astype(float) - means) ** 2).sum(-1), axis=1)
    accuracy = np.mean(nearest == a.test_y.numpy())
    assert 0.3 < accuracy < 0.999  # learnable, not trivial


def test_dataset_file_round_trip(tmp_path, tiny_fashion):
    folder, files, _ = tiny_fashion
    dataset = data.fashion_mnist_from_directory(folder, files)
    dataset.save(tmp_path / "d.pt")
    again = data.Dataset.load(tmp_path / "d.pt")
    assert np.array_equal(again.train_x.numpy(), dataset.train_x.numpy()) and again.source == dataset.source


@pytest.mark.skipif(
    not Path("/usr/share/datasets/fashion-mnist").exists(), reason="Debian's dataset-fashion-mnist is not installed"
)
def test_debian_fashion_mnist_passes_its_checksums():
    dataset = data.fashion_mnist_from_directory(Path("/usr/share/datasets/fashion-mnist"))
    assert dataset.train_x.shape == (60000, 784) and dataset.test_x.shape == (10000, 784)
    assert sorted(np.unique(dataset.train_y.numpy())) == list(range(10))


STAND_IN = {"seed": 0, "train": 40, "test": 8}  # data.cifar10.stand_in, small
UNREACHABLE = "http://127.0.0.1:9/cifar-10-python.tar.gz"  # the discard port: refused at once


@pytest.fixture
def served_cifar(tmp_path, http_server):
    """A tiny python-version CIFAR archive served over HTTP: its URL and md5."""
    served = tmp_path / "served"
    served.mkdir()
    checksum = tiny_cifar_archive(served / data.CIFAR_ARCHIVE[0])
    return http_server(served) + data.CIFAR_ARCHIVE[0], checksum


def test_auto_downloads_cifar_when_the_folder_fails(tmp_path, served_cifar, capsys):
    """data.cifar10.synthetic: auto tries the folder, then the download, which works: CIFAR-10, not the stand-in."""
    url, checksum = served_cifar
    empty = tmp_path / "empty"
    empty.mkdir()
    dataset = data.cifar10_or_stand_in(str(empty), url, STAND_IN, str(tmp_path / "cache"), checksum)
    assert not dataset.synthetic and dataset.source == url and dataset.train_x.shape == (20, 3072)
    assert data.prepared_as("cifar10_auto", dataset) == "cifar10"
    log = capsys.readouterr().out
    assert f"folder {empty} (data.cifar10.directory): FileNotFoundError" in log
    assert f"download from {url}: used" in log and f"Used: CIFAR-10 from {url}." in log
    assert "stand-in (seed" not in log


def test_auto_takes_cifar_from_the_folder_first(tmp_path, capsys):
    folder = tmp_path / "folder"
    folder.mkdir()
    checksum = tiny_cifar_archive(folder / data.CIFAR_ARCHIVE[0])
    dataset = data.cifar10_or_stand_in(str(folder), UNREACHABLE, STAND_IN, str(tmp_path / "cache"), checksum)
    assert not dataset.synthetic and dataset.source == str(folder / data.CIFAR_ARCHIVE[0])
    log = capsys.readouterr().out
    assert f"folder {folder} (data.cifar10.directory): used" in log and "download from" not in log  # not tried


def test_auto_falls_back_to_the_stand_in_naming_every_source(tmp_path, served_cifar, capsys):
    url, _ = served_cifar  # served, but not CIFAR-10: its md5 is not the real archive's
    corrupt = tmp_path / "corrupt"
    corrupt.mkdir()
    (corrupt / data.CIFAR_ARCHIVE[0]).write_bytes(b"not an archive")
    dataset = data.prepare(
        "cifar10_auto", {"directory": str(corrupt), "url": url, "stand_in": STAND_IN}, str(tmp_path / "cache")
    )
    expected = data.synthetic_cifar10(**STAND_IN)  # the very stand-in of data.cifar10.synthetic: true
    assert dataset.synthetic and dataset.checksum() == expected.checksum() and dataset.source == expected.source
    assert data.prepared_as("cifar10_auto", dataset) == "cifar10_synthetic"
    log = capsys.readouterr().out
    assert f"folder {corrupt} (data.cifar10.directory): ValueError" in log and "is corrupt: md5" in log
    assert f"download from {url}: RuntimeError" in log  # torchvision's md5 check
    assert "Used: the synthetic CIFAR-10 stand-in (seed 0), as no source worked" in log
    assert not (tmp_path / "cache" / data.CIFAR_ARCHIVE[0]).exists()  # the bad download is not kept


def test_auto_without_any_source_says_so(tmp_path, capsys):
    dataset = data.cifar10_or_stand_in(None, None, STAND_IN, str(tmp_path))
    assert dataset.synthetic
    log = capsys.readouterr().out
    assert "(none: data.cifar10.directory and .url are null)" in log and "Used: the synthetic CIFAR-10 stand-in" in log


def test_real_cifar_requested_still_stops_naming_every_source(tmp_path):
    """data.cifar10.synthetic: false never falls back: the job stops with every source tried."""
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(data.DataError) as error:
        data.prepare("cifar10", {"directory": str(empty), "url": UNREACHABLE}, str(tmp_path / "cache"))
    message = str(error.value)
    assert message.startswith("CIFAR-10 is not available. Sources tried, in order:")
    assert f"  - folder {empty} (data.cifar10.directory): FileNotFoundError" in message
    assert f"  - download from {UNREACHABLE}: URLError" in message
    assert "data.cifar10.synthetic: true, or auto" in message
