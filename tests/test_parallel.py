"""Worker processes change nothing but the time: same findings, same order."""

from __future__ import annotations

import shutil
from pathlib import Path

from guardrails.config import Config
from guardrails.engine.paths import collect_files
from guardrails.engine.runner import check_files
from guardrails.rules import all_rules
from guardrails.targets import package_source


def test_workers_find_exactly_what_one_process_finds(tmp_path: Path) -> None:
    # Real plugin files, laid out as jax2onnx has them so every rule applies.
    source = package_source("jax2onnx")
    for path in sorted(source.rglob("*.py"))[::12]:
        target = tmp_path / "jax2onnx" / path.relative_to(source)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, target)
    (tmp_path / "jax2onnx/plugins/broken.py").write_text("def broken(:\n")
    config = Config(root=tmp_path)
    files = collect_files([tmp_path], config.root, config.all_excludes)
    assert len(files) > 40

    alone = check_files(files, config, all_rules(), tmp_path, jobs=1)
    pooled = check_files(files, config, all_rules(), tmp_path, jobs=2)
    assert pooled == alone
    assert alone.findings == sorted(alone.findings)
    assert {f.code for f in alone.findings} >= {"GR001"}
