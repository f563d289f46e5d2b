"""`start_lines`: where a node's code starts, as messages name a second place."""

from __future__ import annotations

import libcst as cst
import libcst.matchers as m

from guardrails.analysis.lines import start_lines
from guardrails.analysis.positions import positions_of

SOURCE = """\
import jax

key = jax.random.PRNGKey(0)
a = jax.random.normal(
    (
        key
    ), (2,))
b = jax.random.uniform(key, (2,))
"""


def test_a_parenthesised_node_starts_at_its_parenthesis() -> None:
    module = cst.parse_module(SOURCE)
    calls = m.findall(module, m.Call(func=m.Attribute(attr=m.Name("normal"))))
    wrapped = cst.ensure_type(calls[0], cst.Call).args[0].value
    plain = (
        cst.ensure_type(
            m.findall(module, m.Call(func=m.Attribute(attr=m.Name("uniform"))))[0],
            cst.Call,
        )
        .args[0]
        .value
    )
    assert start_lines(module, [wrapped, plain]) == {id(wrapped): 5, id(plain): 8}
    # The node's own position leaves the parenthesis out.
    assert positions_of(module)[wrapped].start.line == 6
