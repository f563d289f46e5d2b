"""The float64 probes, in a process of their own beside the float32 work.

The gate starts this worker with `python -m guardrails.gate.f64_worker`, sends one JSON
line (`{"config": path, "ids": [...]}`) and reads one JSON line per probed testcase, in
order. A process of its own keeps x64 mode away from the float32 work entirely and lets
a second core export the double-precision variants meanwhile.
"""

from __future__ import annotations

import contextlib
import io
import json
import sys
from dataclasses import asdict
from pathlib import Path


def main() -> int:
    request = json.loads(sys.stdin.readline())
    results = sys.stdout  # the gate reads these lines; library chatter goes nowhere
    from guardrails.config import load_config
    from guardrails.gate.numerics import probe_float64
    from guardrails.gate.runner import (
        enable_compilation_cache,
        quiet_libraries,
        select_testcases,
    )

    enable_compilation_cache()
    config = load_config(Path(request["config"]))
    with quiet_libraries(), contextlib.redirect_stdout(io.StringIO()):
        testcases = {testcase.id: testcase for testcase in select_testcases(config)}
    for testcase_id in request["ids"]:
        with quiet_libraries(), contextlib.redirect_stdout(io.StringIO()):
            probe = probe_float64(testcases[testcase_id])
        results.write(json.dumps({"id": testcase_id, **asdict(probe)}) + "\n")
        results.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
