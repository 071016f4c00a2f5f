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
