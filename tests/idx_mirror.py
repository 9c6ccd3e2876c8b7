"""Small IDX datasets written by the tests and served from 127.0.0.1 (never another address).

Used by tests/unit/test_data.py (the download code) and
tests/workflow/test_download.py (the download_dataset rule).
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import json
import struct
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np

#: The file names of the MNIST roles (the canonical names; the digests are the test's own).
MNIST_NAMES = {
    "train_images": "train-images-idx3-ubyte.gz",
    "train_labels": "train-labels-idx1-ubyte.gz",
    "test_images": "t10k-images-idx3-ubyte.gz",
    "test_labels": "t10k-labels-idx1-ubyte.gz",
}


def write_idx(path: Path, array: np.ndarray, gz: bool = True) -> Path:
    header = struct.pack(">BBBB", 0, 0, 0x08, array.ndim) + struct.pack(
        ">" + "I" * array.ndim, *array.shape
    )
    raw = header + array.astype(np.uint8).tobytes()
    with (gzip.open if gz else open)(path, "wb") as f:
        f.write(raw)
    return path


def write_mnist_like(folder: Path, n_train: int = 120, n_test: int = 30) -> dict:
    """Random 28×28 IDX files, every class present; returns ``{role: [file, sha256]}``."""
    rng = np.random.default_rng(0)
    folder.mkdir(parents=True, exist_ok=True)
    arrays = {
        "train_images": rng.integers(0, 256, (n_train, 28, 28)),
        "train_labels": np.arange(n_train) % 10,
        "test_images": rng.integers(0, 256, (n_test, 28, 28)),
        "test_labels": np.arange(n_test) % 10,
    }
    files = {}
    for role, array in arrays.items():
        path = write_idx(folder / MNIST_NAMES[role], array)
        files[role] = [path.name, hashlib.sha256(path.read_bytes()).hexdigest()]
    return files


def write_catalog(path: Path, name: str, files: dict, mirrors: list[str]) -> Path:
    path.write_text(json.dumps({name: {"mirrors": mirrors, "files": files}}))
    return path


class Mirror:
    """Serve ``folder`` over HTTP on 127.0.0.1 (a free port); ``requests`` lists the GETs."""

    def __init__(self, folder: Path):
        self.requests: list[str] = []
        mirror = self

        class Handler(SimpleHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - the http.server name
                mirror.requests.append(self.path)
                super().do_GET()

            def log_message(self, *args):
                pass

        handler = functools.partial(Handler, directory=str(folder))
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Mirror:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)
