"""Examples this project registers with jax2onnx (imported through `modules`)."""
