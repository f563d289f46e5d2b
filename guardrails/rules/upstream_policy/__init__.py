"""GR4: jax2onnx's own policy checks (its scripts/ and AGENTS.md), as rules:
reflection on IR internals, builder etiquette, annotated module variables,
path markers, committed ONNX models and version-sensitive JAX APIs."""
