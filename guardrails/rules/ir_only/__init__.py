"""GR1: the IR-only guardrail. `converter/` and `plugins/` build graphs with onnx_ir,
never with the ONNX protobuf library (AGENTS.md)."""
