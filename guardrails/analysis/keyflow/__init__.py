"""Flow-sensitive PRNG key dataflow (see `interpreter`)."""

from guardrails.analysis.keyflow.interpreter import (
    Effects,
    Flow,
    Fold,
    Index,
    KeyFlow,
    Location,
    Reuse,
    Slice,
    State,
    Use,
    _child_expressions,
    _names_in,
    _parameters,
    child_nodes,
    code_of,
    key_parameters,
)

__all__ = [
    "Effects",
    "Flow",
    "Fold",
    "Index",
    "KeyFlow",
    "Location",
    "Reuse",
    "Slice",
    "State",
    "Use",
    "_child_expressions",
    "_names_in",
    "_parameters",
    "child_nodes",
    "code_of",
    "key_parameters",
]
