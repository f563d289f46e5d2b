"""GR203, prng-key-reuse: over 500 lines because its docstring and samples are
the rule's documentation page and its tests (one source of truth, as in Fixit);
the analysis itself lives in `guardrails/analysis/keyflow/`."""

from __future__ import annotations

import re
from bisect import bisect_left

import libcst as cst

from guardrails.analysis.callees import LocalCallees
from guardrails.analysis.keyflow import FlowInputs, Reuse, code_of, key_parameters
from guardrails.analysis.keyflow.kept import ObjectFlow, Persisting
from guardrails.analysis.keyflow.objects import (
    ModuleObjects,
    is_constructor,
    may_hold_keys,
)
from guardrails.analysis.lines import start_lines
from guardrails.analysis.prng import KEY_PRODUCERS, imports_jax
from guardrails.analysis.syntax_prescans import FileSyntax
from guardrails.config import Config
from guardrails.rules.base import NO_BODIES, FileContext, FunctionNode, Rule, Sample
from guardrails.rules.randomness._common import sample_code, short, spelled
from guardrails.rules.randomness.prescans import (
    keeps_keys_elsewhere,
    key_body_lines,
    may_reuse_keys,
)

# A body that may read a key kept outside it: an attribute or a record's field
# (`self.key`, `state.rng`), a draw from an RNG stream (`rngs.params()`), a
# yield. (A module's key means a producer at the top: every body is kept then;
# a `jax.random` call given a named key is among `key_body_lines`.)
_KEPT_KEY = re.compile(r"(?i)\.\s*\w*(?:key|rng)\b|rngs\s*(?:\.\s*\w+\s*)?\(|\byield\b")

# Functions handed keys under other names are followed again this many times
# at most (each round can find callers of the next).
_RECEIVER_ROUNDS = 3


class PrngKeyReuse(Rule):
    """A PRNG key that can be consumed twice without a split in between.

    ## What it does
    Follows PRNG keys through each function (and the module's top level), path by
    path. A key is the result of a `jax.random` producer (`PRNGKey`, `key`, `split`,
    `fold_in`, `clone`, `wrap_key_data`), an element, slice or unpacked name of one,
    or a parameter whose name says it is a key. That naming convention is the
    `key-names` setting: fnmatch patterns, by default `key`, `rng`, `rng_key`,
    `prng_key`, `*_key`, `subkey` and `k[0-9]*` (`k1`, `k2`...). So that a
    dictionary's `key` is not taken for one, an annotated parameter must be
    annotated as a key or array (`PRNGKeyArray`, `jax.Array`; not `key: str`, nor
    a shared, stateful `rng: nnx.Rngs`),
    and an unannotated one counts in files that import the JAX ecosystem (`jax`,
    `flax`, `equinox`, ...) unless its body uses it as no key is used: looked
    up in a mapping (`table[key]`, `key in table`, `table.get(key)`), formatted
    or compared with text, or asked for a stream (`rng.dropout()`, `rng()`). A
    parameter of any name holds a key when a call in the same file hands it one,
    directly or through `jax.vmap` / `jax.jit` (`jax.vmap(encode)(keys, x)`
    with `def encode(r, x)`). Configure the names in `pyproject.toml`:

    ```toml
    [tool.guardrails]
    key-names = ["key", "*_key", "rng", "seed_key"]
    ```

    Consuming a key means passing it to a call, positionally, by keyword or
    starred: a `jax.random` function (`split` included), a constructor or a
    helper, or calling a local function that passes it on. Looking at it does not
    consume it: `.shape`, `.dtype`, `key is None`, `isinstance(key, ...)`,
    `len(keys)`, `jax.random.key_data(key)`. As in JAX's own checker, `fold_in`
    and `clone` derive a new key and leave the parent usable; folding the same
    literal data into one key twice gives the same key, and is reported.

    A function defined at the top of the same file (called by name, or through
    `jax.jit`, `jax.pmap`, `jax.vmap`, `jax.checkpoint` or `functools.partial`)
    consumes what its body consumes, so Flax's `train_step(state, batch, rng)`,
    which only folds the step into `rng`, can be given the same key every step.
    A key its body returns, stores or captures in a closure counts as consumed.
    Flax linen's `model.init(rng, ...)` derives its variables with `fold_in`:
    `rng` stays usable after it, but `init` twice with one key is reported.

    A key passed by keyword (`key=k`) to a call in inference mode is not consumed
    either: Equinox's and Flax's dropout layers ignore their key when given
    `inference=True` or `deterministic=True` (or `training=False`, `train=False`,
    `is_training=False`), literally or as a condition the path took; Flax NNX's
    `rngs=k` counts as a key keyword, and a module built once at the top of the
    file (`DROP = eqx.nn.Dropout(0.5)`) is called, not built, by `DROP(...)`. So
    `if inference: k1 = k2 = key` followed by `drop(x, inference=inference,
    key=k1)` and `drop(y, inference=inference, key=k2)` is not reported. A class
    being built (`eqx.nn.MultiheadAttention(..., inference=True, key=k)` draws its
    weights) and a positional key (`model.init(rng, x, deterministic=True)`) are
    still consumed.

    Keys in containers are followed: tuple, list and dictionary entries
    (`keys["user"]` twice is reused, `keys["user"]` and `keys["item"]` are not),
    `[key] * n` (every element is `key`), `iter(split(key, n))` with `next`
    (a fresh key each time) and `itertools.cycle` (the first key again after
    the last), and loop counters: `keys[i]` and `keys[i + 1]` in a
    `for i in range(n)` loop meet one round apart, and a counter over a split of
    the same count has used every key. A function given to `jax.tree.map`,
    `map`, `jax.lax.map`, `jax.lax.scan`, `jax.lax.fori_loop` or
    `jax.lax.while_loop` runs as a loop body in the calling scope: a key it
    captures is consumed on every run, and a loop carry is what the body hands
    back, so handing back the key just consumed reuses it on the next step.
    `functools.partial(f, key)` consumes `key` each time it is called. A
    same-file function is judged with the literal arguments it receives
    (`dropout(x, key, train=False)` returns before drawing), and conditions
    that cannot hold together (`mode == "train"`, then `mode == "sample"`)
    never meet on one path.

    Reported: two draws from one key; the parent used after `split`; one element
    (`keys[0]`) used twice; an alias (`k = key`) used with the original; a use in a
    loop body, comprehension or `while` loop that does not re-split each round; a use
    on one branch followed by a use after it. Not reported: uses on mutually
    exclusive branches, after an early `return`, `key, sub = split(key)` inside a
    loop, distinct indices or slices of a split array, iterating over a split array,
    and uses after the name is rebound to a fresh key. Paths are told apart by
    their conditions, so `if cfg.fused:` and a later `if not cfg.fused:` never
    meet.

    Keys kept across calls are followed through a per-class and per-file view
    (`guardrails/analysis/keyflow/kept.py`): a key on `self` (or in an
    `nnx.Variable`) that a method draws from without writing a new key back, or
    that the constructor already consumed; a step's record parameter
    (`state.rng` of a NamedTuple or dataclass) consumed and handed back in the
    returned state; a module's key drawn from inside a function. So are a
    generator's `yield key`, a key taken once from an NNX stream
    (`k = rngs.params()`: `rngs()` itself is fresh on every call), the same
    seed made into a key twice (`PRNGKey(seed)`), a key rebuilt from its raw
    data, and `lax.cond` / `lax.switch` branches (alternatives: one runs) and
    `lax.while_loop` bodies (run again and again, on their carry). Out of reach:
    classes and records of other files, attributes set dynamically, objects
    two attributes deep (`self.state.rng`), and one method called from another.

    ## Why is this bad?
    A JAX key is single-use: two draws from one key return correlated (often equal)
    numbers, so two layers initialised from the same key get identical weights and
    dropout masks repeat. Nothing fails; the model is just quietly wrong. JAX's own
    checker (`jax.debug_key_reuse`) only sees the paths a run takes.

    Reuse on purpose (a test that hands one key twice to check it arrives
    unchanged) takes a suppression that says why:
    `f(x, key=key)  # guardrails: ignore[GR203] the same key must reach f`.

    ## Example
    ```python
    def init(key):
        w = jax.random.normal(key, (3, 3))
        b = jax.random.normal(key, (3,))
        return w, b
    ```

    ## Use instead
    ```python
    def init(key):
        w_key, b_key = jax.random.split(key)
        w = jax.random.normal(w_key, (3, 3))
        b = jax.random.normal(b_key, (3,))
        return w, b
    ```
    """

    code = "GR203"
    name = "prng-key-reuse"
    # Whatever `key-names` says, a key comes from jax.random (the text holds
    # "random"), from a parameter annotated as a key or array (the annotation
    # matches `_KEY_ANNOTATION`), or from an unannotated parameter in a file that
    # imports the JAX ecosystem (the import names the package).
    prescan = re.compile(
        r"(?i:random|key|rng|array|jax)|flax|equinox|haiku|optax|chex|equimo"
    )
    # Past the text, the tree: is there a key-named parameter or a producer call?
    syntax_prescan = staticmethod(may_reuse_keys)
    # Keys are followed from producers and key-named parameters (`needs_body`).
    body_prescan = NO_BODIES
    value_keys = None  # reads every dict value

    @classmethod
    def needs_body(
        cls, function: FunctionNode, body: str, syntax: FileSyntax, config: Config
    ) -> bool:
        lines = key_body_lines(syntax.index, config)
        if lines is None or _KEPT_KEY.search(body) is not None:
            return True
        first, last = function.lineno, function.end_lineno or function.lineno
        at = bisect_left(lines, first)
        return at < len(lines) and lines[at] <= last

    VALID = (
        Sample(
            sample_code("""
            import jax

            def init(key):
                k1, k2 = jax.random.split(key)
                return jax.random.normal(k1, (2,)), jax.random.normal(k2, (2,))
            """)
        ),
        Sample(
            sample_code("""
            import jax.random as jr

            def sample(key, flag):
                if flag:
                    return jr.normal(key, (2,))
                return jr.uniform(key, (2,))
            """)
        ),
        Sample(
            sample_code("""
            import jax

            def walk(key, steps):
                out = []
                for _ in range(steps):
                    key, sub = jax.random.split(key)
                    out.append(jax.random.normal(sub, ()))
                return out
            """)
        ),
        Sample(
            sample_code("""
            import jax

            def spread(key):
                keys = jax.random.split(key, 4)
                first = jax.random.normal(keys[0], ())
                second = jax.random.normal(keys[1], ())
                rest = [jax.random.normal(k, ()) for k in keys[2:]]
                return first, second, rest
            """)
        ),
        Sample(
            sample_code("""
            import jax

            def checked(key, shape):
                if key is None or key.shape != ():
                    raise ValueError("need one key")
                return jax.random.normal(key, shape)
            """)
        ),
        Sample(
            sample_code("""
            import jax

            def derived(key):
                a = jax.random.normal(jax.random.fold_in(key, 0), ())
                b = jax.random.normal(jax.random.fold_in(key, 1), ())
                return a, b
            """)
        ),
        Sample(
            sample_code("""
            def lookup(table, key: str):
                return table.get(key) or table.pop(key)
            """)
        ),
        Sample(
            sample_code("""
            import jax

            def attention(self, x, key, inference=False):
                if inference:
                    k1 = k2 = key
                else:
                    k1, k2 = jax.random.split(key)
                x = self.attn_drop(x, inference=inference, key=k1)
                return self.proj_drop(x, inference=inference, key=k2)
            """)
        ),
        Sample(
            sample_code("""
            import jax

            def init(key):
                key_iter = iter(jax.random.split(key, 2))
                w = jax.random.normal(next(key_iter), (3, 3))
                return w, jax.random.normal(next(key_iter), (3,))
            """)
        ),
        Sample(
            sample_code("""
            import jax

            class Loader:
                def __init__(self, data, key):
                    self.data = data
                    self.key = key

                def __iter__(self):
                    self.key, shuffle_key = jax.random.split(self.key)
                    yield from jax.random.permutation(shuffle_key, self.data)
            """)
        ),
        Sample(
            sample_code("""
            import jax

            def train_step(state, batch):
                rng, dropout_rng = jax.random.split(state.rng)
                loss = state.loss(batch, dropout_rng)
                return state._replace(rng=rng), loss
            """)
        ),
    )
    INVALID = (
        Sample(
            sample_code("""
            import jax
            import jax.random as jr

            def perturb(key, params):
                return jax.tree.map(lambda p: p + jr.normal(key, p.shape), params)
            """),
            line=5,
            message=(
                "PRNG key `key` goes to `jr.normal` each time `jax.tree.map` runs the "
                "function, without a new split; give each run its own key (map or "
                "scan over `jr.split(key, n)`, `jr.fold_in(key, i)`, or split in the "
                "carry and hand the new key back)"
            ),
        ),
        Sample(
            sample_code("""
            import jax

            def init(key):
                w = jax.random.normal(key, (3, 3))
                b = jax.random.normal(key, (3,))
                return w, b
            """),
            line=5,
            message=(
                "PRNG key `key` may already be consumed by `jax.random.normal` on line "
                "4; split before passing it to `jax.random.normal`: `key, subkey = "
                "jax.random.split(key)` and pass `subkey`"
            ),
        ),
        Sample(
            sample_code("""
            from jax.random import normal, split

            def sample(key):
                k1, k2 = split(key)
                return normal(key, ())
            """),
            line=5,
            message=(
                "PRNG key `key` may already be consumed by `split` on line 4; split "
                "before passing it to `normal`: `key, subkey = split(key)` and pass "
                "`subkey`"
            ),
        ),
        Sample(
            sample_code("""
            import jax.random as jr

            def noise(key, n):
                return [jr.normal(key, ()) for _ in range(n)]
            """),
            line=4,
            message=(
                "PRNG key `key` goes to `jr.normal` on every round of the loop without "
                "a new split; split inside the loop: `key, subkey = jr.split(key)` and "
                "pass `subkey`"
            ),
        ),
        Sample(
            sample_code("""
            import jax

            def sample(key, flag):
                if flag:
                    x = jax.random.normal(key, ())
                return jax.random.uniform(key, ())
            """),
            line=6,
            message=(
                "PRNG key `key` may already be consumed by `jax.random.normal` on line "
                "5; split before passing it to `jax.random.uniform`: `key, subkey = "
                "jax.random.split(key)` and pass `subkey`"
            ),
        ),
        Sample(
            sample_code("""
            import equinox as eqx

            class Block(eqx.Module):
                def __init__(self, key):
                    self.a = eqx.nn.Linear(2, 2, key=key)
                    self.b = eqx.nn.Linear(2, 2, key=key)
            """),
            line=6,
            message=(
                "PRNG key `key` may already be consumed by `eqx.nn.Linear` on line 5; "
                "split before passing it to `eqx.nn.Linear`: `key, subkey = "
                "jax.random.split(key)` and pass `subkey`"
            ),
        ),
        Sample(
            sample_code("""
            import jax

            KEYS = jax.random.split(jax.random.key(0))
            A = jax.random.normal(KEYS[0])
            B = jax.random.normal(KEYS[0])
            """),
            line=5,
            message=(
                "PRNG key `KEYS[0]` may already be consumed by `jax.random.normal` on "
                "line 4; split before passing it to `jax.random.normal`: split one key "
                "per use (`jax.random.split(key, n)`) and index each once"
            ),
        ),
        Sample(
            sample_code("""
            import jax

            def chunk(self, x, key, inference=False):
                if inference:
                    keys = [key] * len(self.blocks)
                else:
                    keys = jax.random.split(key, len(self.blocks))
                for block, block_key in zip(self.blocks, keys):
                    x = block(x, inference=inference, key=block_key)
                return self.downsample(x, inference=inference, key=key)
            """),
            line=10,
            message=(
                "PRNG key `key` may already be consumed by `jax.random.split` on line "
                "7; split before passing it to `self.downsample`: `key, subkey = "
                "jax.random.split(key)` and pass `subkey`"
            ),
        ),
        Sample(
            sample_code("""
            import equinox as eqx
            import jax

            class Noise(eqx.Module):
                noise_key: jax.Array

                def __call__(self, x):
                    return x + jax.random.normal(self.noise_key, x.shape)
            """),
            line=8,
            message=(
                "PRNG key `self.noise_key` is drawn from on every call of `__call__` "
                "and never replaced, so every call draws the same numbers; take a key "
                "argument, or split it and write the new key back: `self.noise_key, "
                "subkey = jax.random.split(self.noise_key)` and pass `subkey`"
            ),
        ),
        Sample(
            sample_code("""
            import jax

            def train_step(state, batch):
                rng, dropout_rng = jax.random.split(state.rng)
                loss = state.loss(batch, dropout_rng)
                return state._replace(params=state.params - loss), loss
            """),
            line=4,
            message=(
                "PRNG key `state.rng` is consumed here, but the state `train_step` "
                "returns still holds it: the next step draws the same numbers; put the "
                "new key in the returned state (`state._replace(rng=new_key)` or "
                "`.replace(rng=new_key)`)"
            ),
        ),
    )

    def __init__(self, context: FileContext) -> None:
        super().__init__(context)
        self.key_names = context.file.config.key_names
        self.jax_file = imports_jax(context.imports)
        # Functions and lambdas are scopes; those worth analysing have a key
        # parameter or call a key producer.
        self.functions: list[cst.FunctionDef | cst.Lambda] = []
        self.definitions: list[cst.FunctionDef] = []
        self.scopes: dict[int, cst.FunctionDef | cst.Lambda] = {}
        self.module_makes_keys = False
        # Statement lines with a conditional expression, so the key flow splits
        # paths on those lines only.
        self.lines: list[cst.SimpleStatementLine] = []
        self.conditional_lines: set[int] = set()

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.functions.append(node)
        self.definitions.append(node)
        if key_parameters(node, self.key_names, self.jax_file):
            self.scopes[id(node)] = node

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        self.functions.pop()

    def visit_Lambda(self, node: cst.Lambda) -> None:
        self.functions.append(node)
        if key_parameters(node, self.key_names, self.jax_file):
            self.scopes[id(node)] = node

    def leave_Lambda(self, original_node: cst.Lambda) -> None:
        self.functions.pop()

    def visit_SimpleStatementLine(self, node: cst.SimpleStatementLine) -> None:
        self.lines.append(node)

    def leave_SimpleStatementLine(self, original_node: cst.SimpleStatementLine) -> None:
        self.lines.pop()

    def visit_IfExp(self, node: cst.IfExp) -> None:
        if self.lines:
            self.conditional_lines.add(id(self.lines[-1]))

    def visit_Call(self, node: cst.Call) -> None:
        if self.context.imports.qualify(node.func) in KEY_PRODUCERS:
            if self.functions:
                self.scopes[id(self.functions[-1])] = self.functions[-1]
            else:
                self.module_makes_keys = True

    def leave_Module(self, original_node: cst.Module) -> None:
        imports = self.context.imports
        callees = LocalCallees(original_node, imports, self.key_names)
        inputs = FlowInputs(
            imports,
            frozenset(self.conditional_lines),
            self.key_names,
            callees,
            callees.instances,
            callees.top_level,
        )
        flow = ObjectFlow(inputs, ModuleObjects(original_node, imports))
        if self.module_makes_keys:
            flow.run_module(original_node)
        scopes = self._scopes(flow, self.definitions)
        # Constructors first: what they store on `self` is what methods find,
        # which may make more methods worth running (`self.noise = key`).
        for function in scopes:
            if is_constructor(function, flow.objects):
                flow.run_function(function, self.key_names)
        methods = [
            function
            for function in self.definitions
            if function.name.value != "__init__"
            and id(function) not in {id(scope) for scope in scopes}
            and flow.objects.classes.get(id(function)) is not None
            and flow.objects.classes[id(function)].keys
        ]
        for function in [*scopes, *self._scopes(flow, methods, own=False)]:
            if not is_constructor(function, flow.objects):
                flow.run_function(function, self.key_names)
        # Functions handed keys in parameters not named as keys: once more
        # with those parameters as keys (a bounded number of times).
        done: dict[int, frozenset[str]] = {}
        for _ in range(_RECEIVER_ROUNDS):
            pending = [
                (function, params)
                for key, (function, params) in flow.key_receivers.items()
                if not params <= done.get(key, frozenset())
            ]
            if not pending:
                break
            for function, params in pending:
                done[id(function)] = params
                flow.run_function(function, self.key_names, params)
        if not flow.reuses and not flow.persisting:
            return
        lines = start_lines(
            original_node, (reuse.first.argument for reuse in flow.reuses.values())
        )
        for argument, reuse in flow.reuses.items():
            line = lines[id(reuse.first.argument)]
            runner = flow.repeated_by.get(argument)
            message = (
                self._message(reuse, line)
                if runner is None
                else self._repeated_message(reuse, runner)
            )
            self.report(reuse.second.argument, message)
        for persisting in flow.persisting.values():
            self.report(persisting.use.argument, self._kept_message(persisting))

    def _repeated_message(self, reuse: Reuse, runner: str) -> str:
        """A key consumed again on the next run of a function that `runner`
        (`jax.tree.map`, `jax.lax.scan`...) calls once per leaf or step."""
        imports = self.context.imports
        used = short(code_of(reuse.second.argument))
        split = spelled(imports, "jax.random.split")
        fold_in = spelled(imports, "jax.random.fold_in")
        return (
            f"PRNG key `{used}` goes to `{short(code_of(reuse.second.call.func))}` "
            f"each time `{runner}` runs the function, without a new split; give "
            f"each run its own key (map or scan over `{split}(key, n)`, "
            f"`{fold_in}(key, i)`, or split in the carry and hand the new key back)"
        )

    def _scopes(
        self,
        flow: ObjectFlow,
        candidates: list[cst.FunctionDef],
        *,
        own: bool = True,
    ) -> list[cst.FunctionDef | cst.Lambda]:
        """Functions with a key parameter or a producer call (`own`), and the
        `candidates` that read a key kept elsewhere (an attribute, a module's
        key, a stream)."""
        found = dict(self.scopes) if own else {}
        syntax = self.context.syntax
        elsewhere = (
            flow.global_keys
            or syntax is None
            or "yield" in self.context.source
            or keeps_keys_elsewhere(syntax.index, self.context.file.config)
        )
        if self.jax_file and elsewhere:
            for function in candidates:
                if id(function) not in found and may_hold_keys(
                    function, flow.objects, flow.global_keys, self.key_names
                ):
                    found[id(function)] = function
        return list(found.values())

    def _kept_message(self, persisting: Persisting) -> str:
        holder, function = persisting.holder, persisting.function
        split = spelled(self.context.imports, "jax.random.split")
        if persisting.kind == "record":
            record, _, field = holder.partition(".")
            return (
                f"PRNG key `{holder}` is consumed here, but the state `{function}` "
                f"returns still holds it: the next step draws the same numbers; put "
                f"the new key in the returned state (`{record}._replace({field}="
                f"new_key)` or `.replace({field}=new_key)`)"
            )
        if persisting.kind == "global":
            return (
                f"module-level PRNG key `{holder}` is drawn from on every call of "
                f"`{function}`; pass a key in, or split it and write the new key "
                f"back (`global {holder}`, then `{holder}, subkey = "
                f"{split}({holder})`)"
            )
        return (
            f"PRNG key `{holder}` is drawn from on every call of `{function}` and "
            f"never replaced, so every call draws the same numbers; take a key "
            f"argument, or split it and write the new key back: `{holder}, subkey "
            f"= {split}({holder})` and pass `subkey`"
        )

    def _message(self, reuse: Reuse, first_line: int) -> str:
        imports = self.context.imports
        second = reuse.second
        used = second.captured or short(code_of(second.argument))
        split = spelled(imports, "jax.random.split")
        fold_in = spelled(imports, "jax.random.fold_in")
        if second.argument is second.call.func:
            # A partial or a lambda default holding the key, called again.
            return (
                f"`{used}` holds a PRNG key that its call on line {first_line} "
                f"already consumed; give each call its own key from `{split}`"
            )
        starred = any(
            arg.star and arg.value is second.argument for arg in second.call.args
        )
        if second.captured:
            fix = f"pass each call its own key from `{split}({used})`"
        elif starred:
            fix = f"give each call its own key from `{split}`"
        elif isinstance(second.argument, cst.Name):
            fresh = "subkey" if used != "subkey" else "subkey2"
            fix = f"`{used}, {fresh} = {split}({used})` and pass `{fresh}`"
        elif (
            isinstance(second.argument, cst.Call)
            and imports.qualify(second.argument.func) == "jax.random.fold_in"
        ):
            fix = f"fold different data into each (`{fold_in}(key, 1)`)"
        else:
            fix = f"split one key per use (`{split}(key, n)`) and index each once"
        second_call = short(code_of(second.call.func))
        where = (
            f"before `{second_call}` uses it again"
            if second.captured
            else f"before passing it to `{second_call}`"
        )
        if reuse.in_loop:
            return (
                f"PRNG key `{used}` goes to `{second_call}` on every round of the loop "
                f"without a new split; split inside the loop: {fix}"
            )
        first_call = short(code_of(reuse.first.call.func))
        return (
            f"PRNG key `{used}` may already be consumed by `{first_call}` on line "
            f"{first_line}; split {where}: {fix}"
        )
