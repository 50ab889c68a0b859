"""Sentence embeddings of query text, offline: the similarity the diversity replay uses by default.

The model ships with the package (``checks/models/minilm-static``): a model2vec static model
distilled from all-MiniLM-L6-v2 by ``scripts/make_embedding_model.py``, 15 MB, no network and no
torch at run time. A query's vector is the mean of its word pieces' vectors, so the same text always
gets the same vector, whatever else is in the log.

Speed: the model's tokenizer is asked once per distinct *word* (BERT's tokenizer splits on
whitespace before anything else, so a word's pieces do not depend on its neighbours), and the
means come from one sparse product. The test suite checks the vectors against model2vec's own
``encode``. Vectors are cached per (model, normalised text) in the user's private cache folder.
"""

from __future__ import annotations

import hashlib
import os
import sys
import tempfile
import time
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Callable

if TYPE_CHECKING:
    import numpy as np

MODEL_NAME = "minilm-static"
MODEL_DIR = Path(__file__).resolve().parent / "models" / MODEL_NAME
# Calibrated by benchmarks/calibrate_similarity.py; see the query-diversity page for its figures.
DEFAULT_THRESHOLD = 0.87
MAX_TOKENS = 512  # the model's own max_length: longer texts are truncated, as model2vec does
CACHE_LIMIT = 500_000  # vectors kept in the cache file (256 float16 each: 256 MB at most)
PROGRESS_AFTER_S = 2.0
PROGRESS: Callable[[int, int], None] | None = None  # set by the command line when stderr is a terminal
_CHUNK = 20_000


def unavailable() -> str | None:
    """Why the embedding backend cannot run here, or ``None`` when it can."""
    from importlib.util import find_spec

    if not (MODEL_DIR / "model.safetensors").is_file():
        return f"the model files are missing from {MODEL_DIR}"
    if find_spec("model2vec") is None:  # found, not imported: a cached analysis needs no model
        return "the model2vec package is not installed (run the set-up command in the README)"
    return None


def label() -> str:
    return f"embedding:{MODEL_NAME}"


@lru_cache(maxsize=1)
def model_digest() -> str:
    """Identifies the shipped model: its provenance record and file sizes (no 15 MB read per run)."""
    digest = hashlib.sha256()
    for name in ("PROVENANCE.json", "config.json"):
        digest.update((MODEL_DIR / name).read_bytes())
    for name in ("model.safetensors", "tokenizer.json"):
        digest.update(str((MODEL_DIR / name).stat().st_size).encode())
    return digest.hexdigest()[:16]


class _Model:
    def __init__(self) -> None:
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")  # no fork warnings from a build
        os.environ.setdefault("HF_HUB_OFFLINE", "1")  # the model is a local folder: never ask a hub
        from model2vec import StaticModel

        model = StaticModel.from_pretrained(str(MODEL_DIR))
        import numpy as np

        self.static = model
        self.tokenizer = model.tokenizer
        self.matrix = np.asarray(model.embedding, dtype=np.float32)
        self.unk = model.unk_token_id
        self.words: dict[str, list[int]] = {}

    def pieces(self, words: list[str]) -> None:
        new = [w for w in dict.fromkeys(words) if w not in self.words]
        for lo in range(0, len(new), 50_000):
            part = new[lo:lo + 50_000]
            for word, enc in zip(part, self.tokenizer.encode_batch_fast(part, add_special_tokens=False)):
                ids = enc.ids
                self.words[word] = [i for i in ids if i != self.unk] if self.unk is not None else list(ids)

    def encode(self, texts: list[str]) -> "np.ndarray":
        """L2-normalised mean of each text's word-piece vectors (float32); zeros for an empty text."""
        import numpy as np
        from scipy import sparse

        split = [t.split() for t in texts]
        self.pieces([w for ws in split for w in ws])
        words = self.words
        indptr = [0]
        indices: list[int] = []
        for ws in split:
            ids: list[int] = []
            for w in ws:
                ids.extend(words[w])
                if len(ids) >= MAX_TOKENS:
                    del ids[MAX_TOKENS:]
                    break
            indices.extend(ids)
            indptr.append(len(indices))
        ind = np.asarray(indices, dtype=np.int32)
        ptr = np.asarray(indptr, dtype=np.int64)
        counts = np.diff(ptr)
        weights = np.ones(ind.size, dtype=np.float32)
        m = sparse.csr_matrix((weights, ind, ptr), shape=(len(texts), self.matrix.shape[0]))
        out = np.asarray(m @ self.matrix, dtype=np.float32)
        out /= np.maximum(counts, 1)[:, None]
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        out /= np.where(norms == 0, 1, norms)
        return out


@lru_cache(maxsize=1)
def _model() -> _Model:
    return _Model()


def _keys(texts: list[str]) -> "np.ndarray":
    import numpy as np

    return np.fromiter((int.from_bytes(hashlib.blake2b(t.encode("utf-8", "surrogatepass"), digest_size=8).digest(),
                                       "little") for t in texts), dtype=np.uint64, count=len(texts))


def _cache_file(folder: Path | None) -> Path | None:
    return None if folder is None else folder / f"vectors-{MODEL_NAME}-{model_digest()}.npz"


def _load_cache(path: Path | None):
    import numpy as np

    if path is None or not path.is_file():
        return None
    try:
        with open(path, "rb") as fh, np.load(fh, allow_pickle=False) as data:
            keys, vecs = data["keys"], data["vectors"]
        if keys.ndim != 1 or vecs.shape != (keys.size, _model().matrix.shape[1]):
            return None
        return keys, vecs
    except Exception:  # noqa: BLE001 - absent, partial, foreign or not a zip: embed again
        return None


def _save_cache(path: Path | None, keys, vecs) -> None:
    import numpy as np

    if path is None:
        return
    if keys.size > CACHE_LIMIT:
        keys, vecs = keys[-CACHE_LIMIT:], vecs[-CACHE_LIMIT:]
    order = np.argsort(keys, kind="stable")
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".npz")
        with os.fdopen(fd, "wb") as fh:
            np.savez(fh, keys=keys[order], vectors=vecs[order].astype(np.float16))
        os.replace(tmp, path)
    except OSError:
        pass  # a read-only or full disk only costs the next run its time


def embed(texts: list[str], cache_folder: Path | None = None) -> "np.ndarray":
    """Unit vectors for ``texts`` (normalised query text), from the cache where it has them."""
    import numpy as np

    model = _model()
    path = _cache_file(cache_folder)
    dim = model.matrix.shape[1]
    out = np.empty((len(texts), dim), dtype=np.float32)
    keys = _keys(texts)
    todo = np.arange(len(texts))
    cached = _load_cache(path)
    if cached is not None and cached[0].size:
        ckeys, cvecs = cached
        at = np.minimum(np.searchsorted(ckeys, keys), ckeys.size - 1)
        found = ckeys[at] == keys
        out[found] = cvecs[at[found]].astype(np.float32)
        todo = np.nonzero(~found)[0]
    start = time.perf_counter()
    shown = False
    for lo in range(0, todo.size, _CHUNK):
        rows = todo[lo:lo + _CHUNK]
        # Through float16, as the cache keeps them: a cold run and a cached one see the same vectors.
        out[rows] = model.encode([texts[i] for i in rows]).astype(np.float16)
        if PROGRESS is not None and (shown or time.perf_counter() - start > PROGRESS_AFTER_S):
            shown = True
            PROGRESS(min(lo + _CHUNK, todo.size), todo.size)
    if todo.size and path is not None:
        new_keys, new_vecs = keys[todo], out[todo]
        if cached is not None:
            new_keys = np.concatenate([cached[0], new_keys])
            new_vecs = np.concatenate([cached[1], new_vecs.astype(np.float16)])
        _save_cache(path, new_keys, new_vecs)
    return out


def terminal_progress(done: int, total: int) -> None:
    """A one-line progress bar on stderr (the command line's, when it is a terminal)."""
    width = 30
    filled = int(width * done / max(total, 1))
    sys.stderr.write(f"\rEmbedding queries [{'#' * filled}{'.' * (width - filled)}] {done:,}/{total:,}")
    if done >= total:
        sys.stderr.write("\n")
    sys.stderr.flush()
