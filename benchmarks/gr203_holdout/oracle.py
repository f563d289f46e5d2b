"""Label the held-out cases with JAX's runtime key-reuse checker.

    python benchmarks/gr203_holdout/oracle.py > /tmp/labels.txt

Each case (a function or a class of `batch1/` or `batch2/`) runs under
`jax_debug_key_reuse` with typed keys, every branch exercised; value-equal keys,
which the checker cannot see, are labelled by comparing the two draws. Prints
`module.case label` lines, as `labels1.txt` and `labels2.txt` hold them.
"""

from __future__ import annotations

import runpy
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

if __name__ == "__main__":
    for batch in ("oracle_batch1.py", "oracle_batch2.py"):
        runpy.run_path(str(HERE / batch), run_name="__main__")
        sys.stdout.flush()
