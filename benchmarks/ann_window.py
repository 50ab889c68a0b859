"""Benchmark: could a nearest-neighbour library let every distinct query of a big log take part in the replay?

    pip install faiss-cpu==1.15.1 usearch==2.26.6      # not the project's dependencies: for this script only
    python benchmarks/ann_window.py                    # the seeded 1,000,000-line sample log
    python benchmarks/ann_window.py --requests 100000

The replay keeps the latest 60,000 distinct queries of a bigger log (``similarity.REPLAY_DISTINCT_LIMIT``): its
sketched pair search would not finish in time over more. This prints what the two well-kept HNSW libraries
cost to give every distinct query of the log its 64 nearest neighbours (the replay's ``MAX_NEIGHBOURS``), next
to embedding them with the shipped model (which the replay pays anyway), against the 60 s the whole analysis
of 1,000,000 lines may take. The search is timed on 50,000 queries and scaled. Figures are printed, never
asserted. (The repeat potential does not need this: it judges a sample of requests against their recent
queries, so it already counts every request of the log.)
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

TARGET_S = 60.0
K = 65  # itself and 64 neighbours


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0], epilog=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--requests", type=int, default=1_000_000)
    args = ap.parse_args()
    from checks import embedding
    from checks.queries import Distinct
    from make_sample_log import generate

    d = Distinct()
    for record in generate(args.requests):
        d.add(0.0, record["query"])
    began = time.perf_counter()
    vectors = embedding.embed(d.norms)
    embedded = time.perf_counter() - began
    n = len(vectors)
    print(f"{args.requests:,} requests, {n:,} distinct queries; embedding them: {embedded:.1f} s")
    probe = vectors[: min(n, 50_000)]
    try:
        import faiss

        faiss.omp_set_num_threads(2)
        began = time.perf_counter()
        index = faiss.IndexHNSWFlat(vectors.shape[1], 16, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = 40
        index.add(vectors)
        built = time.perf_counter() - began
        index.hnsw.efSearch = 64
        began = time.perf_counter()
        index.search(probe, K)
        searched = (time.perf_counter() - began) * n / len(probe)
        total = embedded + built + searched
        print(f"faiss-cpu {faiss.__version__} HNSW (M 16): build {built:.1f} s, search all {searched:.1f} s; "
              f"with embedding {total:.1f} s against {TARGET_S:.0f} s: {'within' if total <= TARGET_S else 'over'}")
    except ImportError:
        print("faiss-cpu not installed")
    try:
        import numpy as np
        from usearch.index import Index

        began = time.perf_counter()
        index = Index(ndim=vectors.shape[1], metric="cos", dtype="f16", connectivity=16, expansion_add=64,
                      expansion_search=64)
        index.add(np.arange(n), vectors, threads=2)
        built = time.perf_counter() - began
        began = time.perf_counter()
        index.search(probe, K, threads=2)
        searched = (time.perf_counter() - began) * n / len(probe)
        total = embedded + built + searched
        print(f"usearch HNSW (connectivity 16, f16): build {built:.1f} s, search all {searched:.1f} s; "
              f"with embedding {total:.1f} s against {TARGET_S:.0f} s: {'within' if total <= TARGET_S else 'over'}")
    except ImportError:
        print("usearch not installed")
    print(json.dumps({"distinct": n, "embed_s": round(embedded, 1)}))


if __name__ == "__main__":
    main()
