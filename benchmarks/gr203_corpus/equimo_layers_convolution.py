# origin: Equimo 1.1.0 (PyPI), equimo/layers/convolution.py, lines 1-20, 162,
#   283-302, 1461, 1507-1679, 1757, 1780-1924, 2297, 2452-2473
# licence: MIT, (c) Clément Playout (Equimo); excerpt for a benchmark
# case DoubleConvBlock.__call__: reuse - `key` is split for the two
#   convolutions, then handed whole to `drop_path1`, which draws its mask from
#   it in training when drop_path > 0.
# case GenericGhostModule.__init__: reuse - `key_primary` and `key_cheap` are
#   split into per-branch keys, then also initialise `primary_conv` and
#   `cheap_operation`.
# case GhostBottleneck.__init__: reuse - `k_dw_main` is split for the
#   re-parameterised branches and also initialises `dw_conv` (stride > 1);
#   `k_sc1` initialises both the SE module and the shortcut's first convolution.
# case FasterNetBlock.__call__: latent - `key` is split, then handed whole to
#   `spatial_mixing`, a PartialConv2d whose `__call__` never uses its key.
# oracle: driver:equimo_double_conv_block rejects (drop_path 0.5, training);
#   driver:equimo_ghost_module_init rejects; driver:equimo_ghost_bottleneck_init rejects
#   (stride 2, se_ratio 0.25); driver:equimo_fasternet_block passes (training)
import math
import operator
from typing import Callable, Literal, Optional, Sequence, Tuple, Union

import equinox as eqx
import jax
import jax.numpy as jnp
import jax.random as jr
from einops import rearrange
from jaxtyping import Array, Float, PRNGKeyArray

from equimo.layers.activation import get_act
from equimo.layers.dropout import DropPathAdd
from equimo.layers.norm import LayerNorm2d, LayerScale, RMSNorm2d, get_norm
from equimo.layers.squeeze_excite import SEModule
from equimo.utils import make_divisible, nearest_power_of_2_divisor

_CONV_REGISTRY: dict[str, type[eqx.Module]] = {}


# [...]
class DoubleConvBlock(eqx.Module):
    # [...]
    def __call__(
        self,
        x: Float[Array, "channels height width"],
        key: Optional[PRNGKeyArray] = None,
        inference: Optional[bool] = None,
    ) -> Float[Array, "channels height width"]:
        if key is None:
            key = jr.PRNGKey(0)
        key_conv1, key_conv2 = jr.split(key, 2)

        out = self.conv1(x, inference=inference, key=key_conv1)
        out = self.conv2(out, inference=inference, key=key_conv2)
        out = self.ls1(out)

        if self.residual:
            out = self.drop_path1(x, out, inference=inference, key=key)  # gr203: reuse

        return out


# [...]
class GenericGhostModule(eqx.Module):
    # [...]
    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        *,
        kernel_size: int = 1,
        ratio: int = 2,
        dw_size: int = 3,
        stride: int = 1,
        act_layer: str | Callable = "relu",
        num_conv_branches: int = 3,
        mode: Literal["original", "shortcut"] = "original",
        key: PRNGKeyArray,
    ):
        act_layer = get_act(act_layer)

        # Key management
        key_primary, key_cheap, key_pscale, key_cscale, key_s1, key_s2, key_s3 = (
            jr.split(key, 7)
        )
        key_ps = jr.split(key_primary, num_conv_branches)
        key_cs = jr.split(key_cheap, num_conv_branches)

        init_channels = math.ceil(out_channels / ratio)
        new_channels = init_channels * (ratio - 1)

        primary_has_skip = (in_channels == init_channels) and (stride == 1)
        primary_has_scale = kernel_size > 1
        cheap_has_skip = init_channels == new_channels
        cheap_has_scale = dw_size > 1

        self.inference = False
        self.mode = mode
        self.num_conv_branches = num_conv_branches
        self.out_channels = out_channels
        self.kernel_size = kernel_size
        self.dw_size = dw_size
        self.stride = stride
        self.primary_has_skip = primary_has_skip
        self.primary_has_scale = primary_has_scale
        self.cheap_has_skip = cheap_has_skip
        self.cheap_has_scale = cheap_has_scale

        # Those are actually placeholders, updated at each epoch, only used at inference time
        self.primary_conv = eqx.nn.Conv2d(
            in_channels=in_channels,
            out_channels=init_channels,
            kernel_size=kernel_size,
            stride=stride,
            padding=kernel_size // 2,
            use_bias=False,
            key=key_primary,  # gr203: reuse
        )
        self.cheap_operation = eqx.nn.Conv2d(
            in_channels=init_channels,
            out_channels=new_channels,
            kernel_size=dw_size,
            stride=1,
            padding=dw_size // 2,
            groups=init_channels,
            use_bias=False,
            key=key_cheap,  # gr203: reuse
        )

        # Primary training branches
        init_num_groups = nearest_power_of_2_divisor(init_channels, 32)
        self.primary_rpr_conv = tuple(
            eqx.nn.Conv2d(
                in_channels=in_channels,
                out_channels=init_channels,
                kernel_size=kernel_size,
                stride=stride,
                padding=kernel_size // 2,
                use_bias=False,
                key=key_ps[i],
            )
            for i in range(num_conv_branches)
        )
        self.primary_rpr_scale = (
            eqx.nn.Conv2d(
                in_channels=in_channels,
                out_channels=init_channels,
                kernel_size=1,
                stride=1,
                padding=0,
                use_bias=False,
                key=key_pscale,
            )
            if primary_has_scale
            else eqx.nn.Identity()
        )
        self.primary_shared_norm = eqx.nn.GroupNorm(init_num_groups, init_channels)
        self.primary_activation = act_layer

        # Cheap training branches (depthwise)
        newchannels_num_groups = nearest_power_of_2_divisor(new_channels, 32)
        self.cheap_rpr_conv = tuple(
            eqx.nn.Conv2d(
                in_channels=init_channels,
                out_channels=new_channels,
                kernel_size=dw_size,
                stride=1,
                padding=dw_size // 2,
                groups=init_channels,
                use_bias=False,
                key=key_cs[i],
            )
            for i in range(self.num_conv_branches)
        )
        self.cheap_rpr_scale = (
            eqx.nn.Conv2d(
                in_channels=init_channels,
                out_channels=new_channels,
                kernel_size=1,
                stride=1,
                padding=0,
                groups=init_channels,
                use_bias=False,
                key=key_cscale,
            )
            if cheap_has_scale
            else eqx.nn.Identity()
        )
        self.cheap_shared_norm = eqx.nn.GroupNorm(newchannels_num_groups, new_channels)
        self.cheap_activation = act_layer

        out_num_groups = nearest_power_of_2_divisor(out_channels, 32)
        self.short_conv = (
            eqx.nn.Sequential(
                [
                    eqx.nn.Conv2d(
                        in_channels=in_channels,
                        out_channels=out_channels,
                        kernel_size=kernel_size,
                        stride=stride,
                        padding=kernel_size // 2,
                        use_bias=False,
                        key=key_s1,
                    ),
                    eqx.nn.GroupNorm(out_num_groups, out_channels),
                    eqx.nn.Conv2d(
                        in_channels=out_channels,
                        out_channels=out_channels,
                        kernel_size=[1, 5],
                        stride=1,
                        padding=[0, 2],
                        groups=out_channels,
                        use_bias=False,
                        key=key_s2,
                    ),
                    eqx.nn.GroupNorm(out_num_groups, out_channels),
                    eqx.nn.Conv2d(
                        in_channels=out_channels,
                        out_channels=out_channels,
                        kernel_size=[5, 1],
                        stride=1,
                        padding=[2, 0],
                        groups=out_channels,
                        use_bias=False,
                        key=key_s3,
                    ),
                    eqx.nn.GroupNorm(out_num_groups, out_channels),
                ]
            )
            if mode == "shortcut"
            else eqx.nn.Identity()
        )

        self.pool2 = eqx.nn.AvgPool2d(
            kernel_size=2, stride=2, padding=0, use_ceil=False
        )
        self.gate_scale = 1.0

# [...]
class GhostBottleneck(eqx.Module):
    # [...]
    def __init__(
        self,
        in_channels: int,
        mid_channels: int,
        out_channels: int,
        *,
        dw_kernel_size: int = 3,
        stride: int = 1,
        act_layer: str | Callable = "relu",
        se_ratio: float = 0.0,
        use_shortcut_mode_in_ghost1: bool = True,
        allow_identity_residual: bool = True,
        key: PRNGKeyArray,
        **kwargs,
    ):
        self.stride = stride
        self.dw_kernel_size = dw_kernel_size
        self.inference = False
        self.allow_identity_residual = allow_identity_residual

        self.use_shortcut_mode_in_ghost1 = use_shortcut_mode_in_ghost1

        k_g1, k_g2, k_dw_main, k_dw_scale, k_sc1, k_sc2 = jr.split(key, 6)
        k_dw_list = jr.split(k_dw_main, 3)

        # ghost1 (expansion)
        self.ghost1 = GenericGhostModule(
            in_channels=in_channels,
            out_channels=mid_channels,
            kernel_size=1,
            ratio=2,
            dw_size=dw_kernel_size,
            stride=1 if self.use_shortcut_mode_in_ghost1 else 1,
            act_layer=act_layer,
            num_conv_branches=3,
            mode="shortcut" if self.use_shortcut_mode_in_ghost1 else "original",
            key=k_g1,
        )

        # Depthwise stage (only if stride > 1)
        if stride > 1:
            # Training-time branches (depthwise, no bias); no activation; shared GN after sum
            self.dw_rpr_conv = tuple(
                eqx.nn.Conv2d(
                    in_channels=mid_channels,
                    out_channels=mid_channels,
                    kernel_size=dw_kernel_size,
                    stride=stride,
                    padding=(dw_kernel_size - 1) // 2,
                    groups=mid_channels,
                    use_bias=False,
                    key=k_dw_list[i],
                )
                for i in range(3)
            )
            # Optional scale branch (1x1, depthwise, stride=stride)
            self.dw_rpr_scale = (
                eqx.nn.Conv2d(
                    in_channels=mid_channels,
                    out_channels=mid_channels,
                    kernel_size=1,
                    stride=stride,
                    padding=0,
                    groups=mid_channels,
                    use_bias=False,
                    key=k_dw_scale,
                )
                if dw_kernel_size > 1
                else eqx.nn.Identity()
            )
            # Shared GroupNorm
            num_groups_dw = nearest_power_of_2_divisor(mid_channels, 32)
            self.dw_shared_norm = eqx.nn.GroupNorm(num_groups_dw, mid_channels)

            # Inference fused depthwise conv (weights filled by update)
            self.dw_conv = eqx.nn.Conv2d(
                in_channels=mid_channels,
                out_channels=mid_channels,
                kernel_size=dw_kernel_size,
                stride=stride,
                padding=(dw_kernel_size - 1) // 2,
                groups=mid_channels,
                use_bias=False,
                key=k_dw_main,  # gr203: reuse
            )
        else:
            # No depthwise stage when stride == 1
            self.dw_rpr_conv = []
            self.dw_rpr_scale = eqx.nn.Identity()
            self.dw_shared_norm = eqx.nn.Identity()
            self.dw_conv = eqx.nn.Identity()

        # SE
        if se_ratio is not None and se_ratio > 0.0:
            # Use provided SEModule with rd_ratio=se_ratio
            self.se = SEModule(in_channels=mid_channels, rd_ratio=se_ratio, key=k_sc1)
        else:
            self.se = eqx.nn.Identity()

        # ghost2 (projection)
        self.ghost2 = GenericGhostModule(
            in_channels=mid_channels,
            out_channels=out_channels,
            kernel_size=1,
            ratio=2,
            dw_size=dw_kernel_size,
            stride=1,
            act_layer=act_layer,
            num_conv_branches=3,
            mode="original",
            key=k_g2,
        )

        # Shortcut
        if (in_channels == out_channels) and (stride == 1):
            self.shortcut = eqx.nn.Identity()
        else:
            num_groups_sc_in = nearest_power_of_2_divisor(in_channels, 32)
            num_groups_sc_out = nearest_power_of_2_divisor(out_channels, 32)
            self.shortcut = eqx.nn.Sequential(
                [
                    eqx.nn.Conv2d(
                        in_channels=in_channels,
                        out_channels=in_channels,
                        kernel_size=dw_kernel_size,
                        stride=stride,
                        padding=(dw_kernel_size - 1) // 2,
                        groups=in_channels,
                        use_bias=False,
                        key=k_sc1,  # gr203: reuse
                    ),
                    eqx.nn.GroupNorm(num_groups_sc_in, in_channels),
                    eqx.nn.Conv2d(
                        in_channels=in_channels,
                        out_channels=out_channels,
                        kernel_size=1,
                        stride=1,
                        padding=0,
                        use_bias=False,
                        key=k_sc2,
                    ),
                    eqx.nn.GroupNorm(num_groups_sc_out, out_channels),
                ]
            )

# [...]
class FasterNetBlock(eqx.Module):
    # [...]
    def __call__(
        self,
        x: Float[Array, "channels height width"],
        key: Optional[PRNGKeyArray] = None,
        inference: Optional[bool] = None,
    ) -> Float[Array, "channels height width"]:
        if key is None:
            key = jr.PRNGKey(0)
        key_dropout, key_droppath = jr.split(key, 2)
        x1 = self.spatial_mixing(x, key=key, inference=inference)  # gr203: latent
        out = self.dropout(
            self.pw_conv2(self.act(self.norm(self.pw_conv1(x1)))),
            inference=inference,
            key=key_dropout,
        )

        if self.residual:
            out = self.drop_path(x, self.ls(out), inference=inference, key=key_droppath)

        return out


