# origin: Equimo 1.1.0 (PyPI), equimo/layers/attention.py, lines 1-26, 1817,
#   1949-2022, 2158, 2183-2240
# licence: MIT, (c) Clément Playout (Equimo); excerpt for a benchmark
# case PartialFormerBlock.__call__: latent - `key` is split five ways, then
#   handed whole to `self.posemb` as well. That is a PosCNN2D, whose only use of
#   a key is a SingleConvBlock it builds with the default dropout of 0.0, so it
#   never draws: the policy (split before handing a key on) is broken, the
#   numbers are not.
# case RFAttention.__init__: reuse - every `aggreg` convolution (one per scale)
#   initialises its weights from the same `key_aggreg`.
# oracle: driver:equimo_rfattention_init rejects (built with two scales)
from typing import Callable, List, Literal, Optional, Sequence, Tuple

import equinox as eqx
import jax
import jax.numpy as jnp
import jax.random as jr
from einops import rearrange, reduce
from jaxtyping import Array, Float, PRNGKeyArray

from equimo.layers.activation import get_act
from equimo.layers.convolution import (
    DoubleConvBlock,
    MBConv,
    SingleConvBlock,
)
from equimo.layers.dropout import DropPathAdd
from equimo.layers.ffn import get_ffn
from equimo.layers.mamba import Mamba2Mixer
from equimo.layers.norm import LayerScale, get_norm
from equimo.layers.posemb import PosCNN2D, PosEmbMLPSwinv1D, PosEmbMLPSwinv2D, RoPE
from equimo.utils import nearest_power_of_2_divisor

_ATTN_REGISTRY: dict[str, type[eqx.Module]] = {}
_ATTN_BLOCK_REGISTRY: dict[str, type[eqx.Module]] = {}


# [...]
class PartialFormerBlock(eqx.Module):
    # [...]
    def __call__(
        self,
        x: Float[Array, "seqlen dim"],
        qa: Float[Array, "1 dim"],
        inference: Optional[bool] = None,
        key: Optional[PRNGKeyArray] = None,
    ) -> Tuple[Float[Array, "seqlen dim"], Float[Array, "1 dim"]]:
        key_mmsa, key_sqa, key_dr1, key_dr2, key_mlp = jr.split(key, 5)
        l, _ = x.shape
        h = w = int(l**0.5)

        x1 = rearrange(x, "(h w) c -> c h w", h=h, w=w)
        x1 = self.posemb(x1, inference=inference, key=key)  # gr203: latent
        x1 = rearrange(
            x1,
            "c (h h1) (w w1) -> (h w) (h1 w1) c",
            h1=self.patch_size,
            w1=self.patch_size,
        )

        n = x1.shape[0]
        nf = int(n * self.foreground_ratio)

        idx = jnp.argsort(reduce(x1, "n s c -> n", "mean"), descending=True)
        nf_idx, nb_idx = jnp.split(idx, [nf])

        f, b = x1[nf_idx], x1[nb_idx]

        f = rearrange(f, "n s c -> (n s) c")
        b = rearrange(b, "n s c -> (n s) c")

        qf = self.mmsa(jnp.concat([qa, f], axis=0), inference=inference, key=key_mmsa)
        qa, f = jnp.split(qf, [1], axis=0)
        b = self.sqa(b, qa, inference=inference, key=key_sqa)

        # Invert the sort permutation to restore 2D spatial layout before residual add.
        # Concatenating sorted [foreground, background] directly onto x would map the
        # highest-attention background token to the top-left spatial coordinate.
        x1_out = jnp.concat([f, b], axis=0)
        x1_out = rearrange(x1_out, "(n s) c -> n s c", n=n)

        inv_idx = jnp.argsort(idx)
        x1_out = x1_out[inv_idx]

        x1_out = rearrange(
            x1_out,
            "(gh gw) (h1 w1) c -> (gh h1 gw w1) c",
            gh=h // self.patch_size,
            gw=w // self.patch_size,
            h1=self.patch_size,
            w1=self.patch_size,
        )
        x1_out = self.ls1(x1_out)
        x = self.drop_path1(x, x1_out, inference=inference, key=key_dr1)

        qa, x1 = jnp.split(
            self.mlp(
                jax.vmap(self.norm2)(jnp.concat([qa, x])),
                inference=inference,
                key=key_mlp,
            ),
            [1],
            axis=0,
        )
        x = self.drop_path2(
            x,
            self.ls2(x1),
            inference=inference,
            key=key_dr2,
        )

        return x, qa


# [...]
class RFAttention(eqx.Module):
    # [...]
    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        *,
        key: PRNGKeyArray,
        num_heads: int | None = None,
        head_dim: int = 8,
        heads_ratio: float = 1.0,
        scales: Sequence[int] = (5,),
        use_bias: bool = False,
        kernel_func: Callable = jax.nn.relu,
        proj_drop: float = 0.0,
        norm_layer: str | type[eqx.Module] = "groupnorm",
        norm_kwargs: dict = {},
        eps: float = 1e-15,
        **kwargs,
    ):
        key_qkv, key_aggreg, key_proj = jr.split(key, 3)

        self.kernel_func = kernel_func
        self.eps = eps
        num_heads = num_heads or int(in_channels // head_dim * heads_ratio)
        total_dim = num_heads * head_dim
        self.total_dim = total_dim * (1 + len(scales))

        self.qkv = eqx.nn.Conv2d(
            in_channels=in_channels,
            out_channels=3 * total_dim,
            kernel_size=1,
            padding="SAME",
            use_bias=use_bias,
            key=key_qkv,
        )
        self.aggreg = tuple(
            eqx.nn.Conv2d(
                in_channels=3 * total_dim,
                out_channels=3 * total_dim,
                kernel_size=scale,
                padding="SAME",
                groups=3 * total_dim,
                key=key_aggreg,  # gr203: reuse
                use_bias=use_bias,
            )
            for scale in scales
        )
        # TODO: test different normalizations
        self.proj = SingleConvBlock(
            in_channels=self.total_dim,
            out_channels=out_channels,
            kernel_size=1,
            use_bias=use_bias,
            norm_layer=norm_layer,
            norm_kwargs=norm_kwargs,
            dropout=proj_drop,
            key=key_proj,
        )

