"""Datasets with fixed splits, inputs in [0, 1], deterministic order.

``load_dataset(name, split)`` is the public entry point that every stage and
every downstream tool uses. Supported names:

- ``digits``: scikit-learn's bundled 8×8 digits (1,797 images), shape (1, 8, 8).
- ``mnist1d``: MNIST-1D generated locally by ``mnist1d.data.make_dataset``
  with its default arguments (5,000 sequences of length 40); never downloaded.
  Values are min-max scaled to [0, 1] with the training split's range.
- ``mnist`` and ``fashion-mnist``: the IDX files, downloaded once into
  ``resources/<name>/`` and checked against their SHA-256 digests.

Splits: ``train``, ``val`` (a stratified, seeded hold-out of the training
data used for checkpoint selection) and ``test``.
"""

from __future__ import annotations

import gzip
import hashlib
import logging
import os
import struct
import urllib.request
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from graphprior.config.datasets import DATASETS, dataset_shape

if TYPE_CHECKING:
    import torch

__all__ = [
    "DATASETS",
    "SPLITS",
    "DatasetError",
    "load_dataset",
    "dataset_shape",
    "read_idx",
    "verify_sha256",
    "IDX_FILES",
]

log = logging.getLogger(__name__)

SPLITS = ("train", "val", "test")
SPLIT_SEED = 0  # the split is part of the dataset definition, not of an experiment

#: (file name, SHA-256) per dataset and role; digests of the canonical files.
IDX_FILES: dict[str, dict[str, tuple[str, str]]] = {
    "mnist": {
        "train_images": (
            "train-images-idx3-ubyte.gz",
            "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
        ),
        "train_labels": (
            "train-labels-idx1-ubyte.gz",
            "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
        ),
        "test_images": (
            "t10k-images-idx3-ubyte.gz",
            "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
        ),
        "test_labels": (
            "t10k-labels-idx1-ubyte.gz",
            "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
        ),
    },
    "fashion-mnist": {
        "train_images": (
            "train-images-idx3-ubyte.gz",
            "08dc20ab1689590a0bcd66e874647b6ee8464e2d501b5a3f1f78831db19a3fdc",
        ),
        "train_labels": (
            "train-labels-idx1-ubyte.gz",
            "b0197879cbda89f3dc7b894f9fd52b858e68ea4182b6947c9d8c2b67e5f18dcc",
        ),
        "test_images": (
            "t10k-images-idx3-ubyte.gz",
            "78dcbbfb5a27efaf1b6c1d616caca68560be8766c5bffcb2791df9273a534229",
        ),
        "test_labels": (
            "t10k-labels-idx1-ubyte.gz",
            "42bd18137a62d5998cdeae52bf3a0676ac6b706f5cf8439b47bb5b151ae3dccf",
        ),
    },
}

MIRRORS = {
    "mnist": ["https://ossci-datasets.s3.amazonaws.com/mnist/"],
    "fashion-mnist": ["http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"],
}


class DatasetError(RuntimeError):
    """A dataset cannot be loaded: unknown name, missing or corrupt file."""


def resources_dir() -> Path:
    """Where downloaded data is cached (``$GRAPHPRIOR_RESOURCES`` or ``./resources``)."""
    return Path(os.environ.get("GRAPHPRIOR_RESOURCES", "resources"))


def verify_sha256(path: Path, expected: str) -> None:
    """Raise :class:`DatasetError` unless the file's SHA-256 equals ``expected``."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    if h.hexdigest() != expected:
        raise DatasetError(
            f"checksum mismatch for {path}: sha256 {h.hexdigest()}, expected {expected}; "
            "delete the file and download it again"
        )


def read_idx(path: Path) -> np.ndarray:
    """Read an IDX file (optionally gzip-compressed) into a NumPy array.

    The format: two zero bytes, a type code (0x08 = unsigned byte), the number
    of dimensions, then one big-endian uint32 per dimension, then the data.
    """
    opener = gzip.open if str(path).endswith(".gz") else open
    try:
        with opener(path, "rb") as f:
            raw = f.read()
    except (OSError, EOFError) as exc:
        raise DatasetError(f"cannot read IDX file {path}: {exc}") from exc
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0:
        raise DatasetError(f"{path} is not an IDX file (bad magic number)")
    dtypes = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
    if raw[2] not in dtypes:
        raise DatasetError(f"{path}: unknown IDX type code {raw[2]:#x}")
    ndim = raw[3]
    header = 4 + 4 * ndim
    shape = struct.unpack(">" + "I" * ndim, raw[4:header])
    dtype = np.dtype(dtypes[raw[2]])
    expected = int(np.prod(shape)) * dtype.itemsize
    if len(raw) - header != expected:
        raise DatasetError(
            f"{path}: IDX header promises {expected} data bytes, file has {len(raw) - header}"
        )
    return np.frombuffer(raw, dtype=dtype, offset=header).reshape(shape)


def _fetch_idx(name: str, role: str, allow_download: bool = True) -> Path:
    fname, digest = IDX_FILES[name][role]
    folder = resources_dir() / name
    path = folder / fname
    if not path.exists():
        if not allow_download:
            raise DatasetError(f"missing {path}")
        folder.mkdir(parents=True, exist_ok=True)
        errors = []
        for mirror in MIRRORS[name]:
            url = mirror + fname
            try:
                log.info("downloading %s", url)
                tmp = path.with_name(path.name + ".part")
                urllib.request.urlretrieve(url, tmp)  # noqa: S310 - fixed https/http mirrors
                tmp.replace(path)
                break
            except OSError as exc:
                errors.append(f"{url}: {exc}")
        else:
            raise DatasetError(
                f"could not download {fname} for {name} ({'; '.join(errors)}). "
                f"Without network, place the file at {path} (sha256 {digest})."
            )
    verify_sha256(path, digest)
    return path


def _stratified_split(y: np.ndarray, fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    from sklearn.model_selection import train_test_split

    idx = np.arange(len(y))
    a, b = train_test_split(idx, test_size=fraction, random_state=seed, stratify=y)
    return np.sort(a), np.sort(b)


@lru_cache(maxsize=8)
def _load_all(name: str) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """All three splits as float32 arrays in [0, 1] and int64 labels."""
    if name == "digits":
        from sklearn.datasets import load_digits

        d = load_digits()
        x = (d.images / 16.0).astype(np.float32)[:, None, :, :]
        y = d.target.astype(np.int64)
        rest, test = _stratified_split(y, 0.2, SPLIT_SEED)
        train_i, val_i = _stratified_split(y[rest], 0.125, SPLIT_SEED)
        train, val = rest[train_i], rest[val_i]
        return {"train": (x[train], y[train]), "val": (x[val], y[val]), "test": (x[test], y[test])}
    if name == "mnist1d":
        from mnist1d.data import get_dataset_args, make_dataset

        args = get_dataset_args()  # defaults: 5,000 samples, seed 42; generated, not downloaded
        raw = make_dataset(args)
        x_tr, y_tr = raw["x"].astype(np.float32), raw["y"].astype(np.int64)
        x_te, y_te = raw["x_test"].astype(np.float32), raw["y_test"].astype(np.int64)
        lo, hi = float(x_tr.min()), float(x_tr.max())
        x_tr = (x_tr - lo) / (hi - lo)
        x_te = np.clip((x_te - lo) / (hi - lo), 0.0, 1.0)
        train_i, val_i = _stratified_split(y_tr, 0.1, SPLIT_SEED)
        return {
            "train": (x_tr[train_i], y_tr[train_i]),
            "val": (x_tr[val_i], y_tr[val_i]),
            "test": (x_te, y_te),
        }
    if name in IDX_FILES:
        arrays = {role: read_idx(_fetch_idx(name, role)) for role in IDX_FILES[name]}
        x_tr = (arrays["train_images"].astype(np.float32) / 255.0)[:, None]
        x_te = (arrays["test_images"].astype(np.float32) / 255.0)[:, None]
        y_tr = arrays["train_labels"].astype(np.int64)
        y_te = arrays["test_labels"].astype(np.int64)
        if len(x_tr) != len(y_tr) or len(x_te) != len(y_te):
            raise DatasetError(f"{name}: image and label counts differ")
        train_i, val_i = _stratified_split(y_tr, 1 / 12, SPLIT_SEED)
        return {
            "train": (x_tr[train_i], y_tr[train_i]),
            "val": (x_tr[val_i], y_tr[val_i]),
            "test": (x_te, y_te),
        }
    raise DatasetError(f"unknown dataset {name!r}; choose one of {', '.join(DATASETS)}")


def load_dataset(name: str, split: str) -> tuple[torch.Tensor, torch.Tensor]:
    """Return ``(X, y)`` of one split: X float32 in [0, 1] with the model's input shape, y int64.

    The order is deterministic: the same call always returns the same tensors.

    Examples
    --------
    >>> X, y = load_dataset("digits", "test")
    >>> tuple(X.shape[1:]), float(X.min()) >= 0.0, float(X.max()) <= 1.0
    ((1, 8, 8), True, True)
    """
    if split not in SPLITS:
        raise DatasetError(f"unknown split {split!r}; choose one of {', '.join(SPLITS)}")
    import torch  # imported here so planning code can use this module without PyTorch

    x, y = _load_all(name)[split]
    return torch.from_numpy(x.copy()), torch.from_numpy(y.copy())
