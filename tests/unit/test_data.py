"""Datasets: fixed splits in [0, 1], the IDX reader and the checksum path on files we write."""

import gzip
import hashlib
import struct

import numpy as np
import pytest
import torch

from graphprior import data
from graphprior.data import DatasetError, load_dataset, read_idx, verify_sha256


def write_idx(path, array, gz=True):
    header = struct.pack(">BBBB", 0, 0, 0x08, array.ndim) + struct.pack(
        ">" + "I" * array.ndim, *array.shape
    )
    raw = header + array.astype(np.uint8).tobytes()
    (gzip.open if gz else open)(path, "wb").write(raw)
    return path


@pytest.mark.parametrize("split", ["train", "val", "test"])
def test_digits_split_is_fixed_and_in_unit_box(split):
    x1, y1 = load_dataset("digits", split)
    x2, y2 = load_dataset("digits", split)
    assert torch.equal(x1, x2) and torch.equal(y1, y2)
    assert x1.dtype == torch.float32 and y1.dtype == torch.int64
    assert x1.shape[1:] == (1, 8, 8)
    assert 0.0 <= float(x1.min()) and float(x1.max()) <= 1.0


def test_digits_splits_partition_the_data():
    sizes = [len(load_dataset("digits", s)[1]) for s in ("train", "val", "test")]
    assert sum(sizes) == 1797
    assert sizes[2] == 360


def test_mnist1d_is_generated_locally():
    x, y = load_dataset("mnist1d", "test")
    assert x.shape == (1000, 40) and len(y) == 1000
    assert 0.0 <= float(x.min()) and float(x.max()) <= 1.0


def test_idx_round_trip(tmp_path):
    images = np.arange(2 * 3 * 4).reshape(2, 3, 4) % 256
    assert np.array_equal(read_idx(write_idx(tmp_path / "a.gz", images)), images)
    assert np.array_equal(read_idx(write_idx(tmp_path / "a.idx", images, gz=False)), images)


def test_idx_rejects_damaged_files(tmp_path):
    p = write_idx(tmp_path / "b.idx", np.zeros((2, 2)), gz=False)
    p.write_bytes(p.read_bytes()[:-1])
    with pytest.raises(DatasetError, match="header promises"):
        read_idx(p)
    bad = tmp_path / "c.idx"
    bad.write_bytes(b"\x01\x02\x03")
    with pytest.raises(DatasetError, match="not an IDX"):
        read_idx(bad)


def test_checksum_mismatch_names_the_file(tmp_path):
    p = tmp_path / "f.gz"
    p.write_bytes(b"hello")
    verify_sha256(p, hashlib.sha256(b"hello").hexdigest())
    with pytest.raises(DatasetError, match="f.gz"):
        verify_sha256(p, "0" * 64)


def test_mnist_from_cached_idx_files(tmp_path, monkeypatch):
    """The full MNIST path on tiny IDX files with their own digests."""
    rng = np.random.default_rng(0)
    folder = tmp_path / "mnist"
    folder.mkdir()
    arrays = {
        "train_images": rng.integers(0, 256, (24, 28, 28)),
        "train_labels": np.tile(np.arange(2), 12),
        "test_images": rng.integers(0, 256, (6, 28, 28)),
        "test_labels": np.tile(np.arange(2), 3),
    }
    table = {}
    for role, arr in arrays.items():
        fname = data.IDX_FILES["mnist"][role][0]
        path = write_idx(folder / fname, arr)
        table[role] = (fname, hashlib.sha256(path.read_bytes()).hexdigest())
    monkeypatch.setenv("GRAPHPRIOR_RESOURCES", str(tmp_path))
    monkeypatch.setitem(data.IDX_FILES, "mnist", table)
    data._load_all.cache_clear()
    try:
        x, y = load_dataset("mnist", "test")
        assert x.shape == (6, 1, 28, 28) and float(x.max()) <= 1.0
        assert np.array_equal(y.numpy(), arrays["test_labels"])
        xt, _ = load_dataset("mnist", "train")
        xv, _ = load_dataset("mnist", "val")
        assert len(xt) + len(xv) == 24
        # a corrupted cached file is detected by its digest
        (folder / table["test_labels"][0]).write_bytes(b"garbage")
        data._load_all.cache_clear()
        with pytest.raises(DatasetError, match="checksum mismatch"):
            load_dataset("mnist", "test")
    finally:
        data._load_all.cache_clear()


def test_missing_file_without_network_says_where_to_put_it(tmp_path, monkeypatch):
    monkeypatch.setenv("GRAPHPRIOR_RESOURCES", str(tmp_path))
    monkeypatch.setitem(data.MIRRORS, "fashion-mnist", ["http://127.0.0.1:9/"])
    data._load_all.cache_clear()
    try:
        with pytest.raises(DatasetError, match="place the file at"):
            load_dataset("fashion-mnist", "train")
    finally:
        data._load_all.cache_clear()


def test_unknown_names_are_refused():
    with pytest.raises(DatasetError, match="unknown dataset"):
        load_dataset("cifar", "train")
    with pytest.raises(DatasetError, match="unknown split"):
        load_dataset("digits", "holdout")
