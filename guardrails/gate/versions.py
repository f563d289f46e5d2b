"""The versions a gate run reports and keys its verdicts on, read without importing
the packages (so the verdict cache can answer before jax loads)."""

from __future__ import annotations

import sys
from importlib.metadata import PackageNotFoundError, version

_DISTRIBUTIONS = {
    "jax": "jax",
    "jax2onnx": "jax2onnx",
    "onnx-ir": "onnx-ir",
    "onnx": "onnx",
    "onnxruntime": "onnxruntime",
    "equinox": "equinox",
    "equimo": "equimo",
}


def package_versions() -> dict[str, str]:
    versions: dict[str, str] = {}
    for key, distribution in _DISTRIBUTIONS.items():
        try:
            versions[key] = version(distribution)
        except PackageNotFoundError:
            versions[key] = "not installed"
    versions["python"] = sys.version.split()[0]
    return versions
