"""GR2: randomness and determinism. Never seed at import, build testcase modules
through `construct_and_call(...)`, split PRNG keys before reusing them (AGENTS.md)."""
