"""The float64 probes, in a process of their own beside the float32 work.

The gate starts this worker with `python -P -m guardrails.gate.f64_worker FD`, sends
one JSON line (`{"config": path, "ids": [...]}`) and reads one JSON line per probed
testcase, in order, with the jax2onnx functions the probe ran (the verdict cache keys
on them), from the pipe whose writing end is FD. Not from the worker's
stdout: the gated code may print (or write to file descriptor 1) whatever it likes,
and that must not be read as an answer. `-P` keeps the working folder (the project,
which may hold a `guardrails/` folder of its own) off the import path. A process
of its own keeps x64 mode away from the float32 work entirely and lets a second core
export the double-precision variants meanwhile.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import sys
from dataclasses import asdict
from pathlib import Path


def main() -> int:
    request = json.loads(sys.stdin.readline())
    # The gate reads these lines; library chatter goes nowhere.
    results = os.fdopen(int(sys.argv[1]), "w", encoding="utf-8")
    from guardrails.config import load_config
    from guardrails.gate.executed import ExecutedFiles
    from guardrails.gate.numerics import probe_float64
    from guardrails.gate.runner import (
        enable_compilation_cache,
        quiet_libraries,
        release_memory,
        select_testcases,
    )
    from guardrails.gate.verdict_cache import package_folder

    enable_compilation_cache()
    folder = package_folder()
    watched = [folder] if folder is not None else []
    config = load_config(Path(request["config"]))
    with quiet_libraries(), contextlib.redirect_stdout(io.StringIO()):
        testcases = {testcase.id: testcase for testcase in select_testcases(config)}
    for testcase_id in request["ids"]:
        with (
            quiet_libraries(),
            contextlib.redirect_stdout(io.StringIO()),
            ExecutedFiles(watched) as executed,
        ):
            probe = probe_float64(testcases[testcase_id])
        usage = {path: sorted(names) for path, names in executed.called.items()}
        line = {"id": testcase_id, **asdict(probe), "usage": usage}
        results.write(json.dumps(line) + "\n")
        results.flush()
        release_memory()
    return 0


if __name__ == "__main__":
    sys.exit(main())
