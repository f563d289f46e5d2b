"""Static analysis shared by rules: import/alias resolution, PRNG key dataflow."""
