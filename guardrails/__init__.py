"""guardrails: policy checker and export gate for the jax2onnx code base."""

__version__ = "0.2.0"
