"""Flow-sensitive PRNG key dataflow: where can one key be consumed twice?

A small abstract interpreter over LibCST statements. The abstract state of a
path is which variables may hold which keys (`Location`s: the call or parameter
a key came from, plus the indices taken from it) and which keys were already
consumed, with the first use. States are joined where paths meet (after an `if`,
at a loop head), loops run to a fixed point, and a path that returns or raises
stops contributing. A key consumed while an overlapping key is already marked
consumed on the same path is a reuse.

Sources of keys: `jax.random` producers (`PRNGKey`, `key`, `split`, `fold_in`,
`clone`, `wrap_key_data`) and parameters named by the `key-names` convention.
Consuming a key: passing it, positionally, by keyword or starred, to any call
except the few that only inspect it (`isinstance`, `len`, `jax.random.key_data`...),
a call in inference mode that ignores it (`path_conditions`), or what a callee's
body shows it leaves alone (`callee_effects`, from `callees`).

The package, by seam: `locations` (where a key lives, when two places overlap),
`state` (one path's knowledge, joining paths), `parameters` (which parameters
hold keys), `expressions` (what evaluating an expression consumes and yields)
and `interpreter` (`KeyFlow`: statements and scopes, the entry point). Built on
it: `values` (`ValueFlow`: value-equal keys, generators, RNG streams, `lax.cond`
and `while_loop` closures), `objects` (the per-file view of classes, records
and what a function reads) and `kept` (`ObjectFlow`: keys kept across calls on
`self`, in state records and at module level), which GR203 runs.
"""

from guardrails.analysis.keyflow.expressions import CallEffects, Effects, FlowInputs
from guardrails.analysis.keyflow.interpreter import KeyFlow
from guardrails.analysis.keyflow.locations import Fold, Index, Location, Slice
from guardrails.analysis.keyflow.parameters import key_parameters
from guardrails.analysis.keyflow.state import Flow, Reuse, State, Use
from guardrails.analysis.keyflow.syntax import child_nodes, code_of

__all__ = [
    "CallEffects",
    "Effects",
    "Flow",
    "FlowInputs",
    "Fold",
    "Index",
    "KeyFlow",
    "Location",
    "Reuse",
    "Slice",
    "State",
    "Use",
    "child_nodes",
    "code_of",
    "key_parameters",
]
