"""Source text below every layer: decoding a file as the interpreter does, and
CPython's byte columns as characters. Nothing here knows a rule or the engine."""
