# origin: jax2onnx upstream (github.com/enpasos/jax2onnx, commit 3901899d),
#   scripts/convert_dinov3_from_equimo.py, lines 34-43, 46-250
# licence: Apache-2.0, (c) the jax2onnx authors; excerpt for a benchmark
# case _load_equimo_dinov3: gated - `key` builds the model, then goes to
#   `eq_model.features(jax_arr, inference=True, key=key)`: in inference mode
#   every dropout and drop-path layer returns before drawing, so no number
#   depends on the reused key. JAX's checker still rejects it, because Equimo's
#   `features` splits its key before looking at `inference`.
# oracle: driver:equimo_features_after_init rejects (a small Equimo VisionTransformer
#   built from a key, then `features(..., inference=True, key=key)`)
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
# [...]
def _load_equimo_dinov3(
    variant: str,
    *,
    weights_path: Path | None,
    output_path: Path | None,
    seed: int,
    run_check: bool,
) -> Path:
    """
    Convert a single DINOv3 variant from PyTorch weights into an Equinox archive.
    """
    try:
        import torch
    except ModuleNotFoundError as exc:  # pragma: no cover - environment dependent
        raise ModuleNotFoundError(
            "PyTorch is required to convert DINOv3 checkpoints. "
            "Install PyTorch wheels (CPU-only is fine): pip install torch torchvision torchaudio"
        ) from exc

    try:
        from equimo.conversion.utils import convert_torch_to_equinox
        from equimo.io import save_model
        from equimo import models as equimo_models
    except ImportError as exc:  # pragma: no cover - optional dependency
        raise ImportError(
            "Equimo is required. Install it from GitHub:\n"
            "  pip install 'equimo @ git+https://github.com/clementpoiret/Equimo.git'\n"
            "and ensure it is installed inside the poetry environment."
        ) from exc

    def _load_dinov3_module():
        try:
            from equimo.models import dinov3 as mod  # type: ignore[attr-defined]

            return mod
        except ImportError:
            pass

        import importlib.util

        pkg_path = Path(equimo_models.__file__).resolve()
        # Search common locations: package directory and repository root.
        candidates = [
            pkg_path.parent / "dinov3.py",
            pkg_path.parents[1] / "models" / "dinov3.py",
            pkg_path.parents[2] / "models" / "dinov3.py",
            Path("~/.cache/equimo/repos/Equimo/models/dinov3.py").expanduser(),
            Path(
                "~/.cache/equimo/repos/Equimo/src/equimo/models/dinov3.py"
            ).expanduser(),
        ]
        for candidate in candidates:
            if candidate.exists():
                spec = importlib.util.spec_from_file_location(
                    "equimo.models.dinov3", candidate
                )
                if spec and spec.loader:
                    module = importlib.util.module_from_spec(spec)
                    sys.modules["equimo.models.dinov3"] = module
                    spec.loader.exec_module(module)  # type: ignore[misc]
                    return module
        raise ImportError(
            "Could not locate `equimo.models.dinov3`. Ensure you are using a git build "
            "of Equimo. The file should exist either inside the installed package or "
            "at <repo_root>/models/dinov3.py."
        )

    equimo_dinov3 = _load_dinov3_module()
    from equimo.models.vit import VisionTransformer

    if variant not in equimo_dinov3.configs:
        available = ", ".join(sorted(equimo_dinov3.configs))
        raise ValueError(
            f"Unknown DINOv3 variant '{variant}'. Available options: {available}"
        )

    base_cfg_fallback = {
        "img_size": 224,
        "in_channels": 3,
        "patch_size": 16,
        "num_classes": 0,
        "use_mask_token": True,
        "use_rope_pos_embed": True,
        "reg_tokens": 4,
        "init_values": 1e-5,
        "eps": 1e-5,
        "dynamic_img_size": True,
        "act_layer": "exactgelu",
    }

    try:
        base_cfg = dict(getattr(equimo_dinov3, "dinov3_config"))
    except Exception:
        base_cfg = dict(base_cfg_fallback)

    try:
        variant_cfg = dict(equimo_dinov3.configs[variant])
    except Exception as exc:
        raise KeyError(
            f"Variant '{variant}' not found in Equimo configs. "
            "Ensure the local Equimo clone is up to date."
        ) from exc

    cfg = base_cfg | variant_cfg
    key = jax.random.PRNGKey(seed)
    model = VisionTransformer(**cfg, key=key)

    weight_path = (
        Path(weights_path).expanduser()
        if weights_path is not None
        else Path(equimo_dinov3.weights[variant]).expanduser()
    )
    if not weight_path.exists():
        raise FileNotFoundError(
            f"Checkpoint for '{variant}' not found at {weight_path}.\n"
            "Download the official weights from Meta and place them at that location "
            "or pass --weights with the downloaded file."
        )

    torch_repo_dir = equimo_dinov3.DIR / "dinov3"
    torch_model_name = "_".join(variant.split("_")[:-2])
    if torch_repo_dir.exists():
        torch_repo = str(torch_repo_dir)
        torch_source = "local"
    else:
        torch_repo = "facebookresearch/dinov3:main"
        torch_source = "github"
    torch_hub_cfg = {
        "repo_or_dir": torch_repo,
        "model": torch_model_name,
        "source": torch_source,
        "weights": str(weight_path),
    }

    replace_cfg = {
        "reg_tokens": "storage_tokens",
        "blocks.0.blocks": "blocks",
        ".prenorm.": ".norm1.",
        ".norm.": ".norm2.",
    }
    expand_cfg = {"patch_embed.proj.bias": ["after", 2]}
    squeeze_cfg = {
        "pos_embed": 0,
        "cls_token": 0,
        "storage_tokens": 0,
    }
    torch_whitelist: list[str] = []
    jax_whitelist = ["pos_embed.periods"]

    try:
        eq_model, torch_model = convert_torch_to_equinox(
            model,
            replace_cfg,
            expand_cfg,
            squeeze_cfg,
            torch_whitelist,
            jax_whitelist,
            strict=True,
            torch_hub_cfg=torch_hub_cfg,
            return_torch=True,
        )
    except ImportError as exc:
        msg = str(exc)
        lowered = msg.lower()
        if (
            "`torch` not available" in msg
            or "timm" in lowered
            or "torchmetrics" in lowered
            or "termcolor" in lowered
        ):
            raise ImportError(
                "The Equimo conversion helpers require additional PyTorch tooling "
                "(install `timm`, `torchmetrics`, and `termcolor` inside the Poetry environment)."
            ) from exc
        raise
    eq_model = eqx.nn.inference_mode(eq_model, True)

    if run_check:
        rand = np.random.randn(3, cfg["img_size"], cfg["img_size"])
        jax_arr = jnp.array(rand)
        torch_arr = torch.tensor(rand, dtype=torch.float32).unsqueeze(0)

        with torch.no_grad():
            torch_out = torch_model.forward_features(torch_arr)["x_prenorm"]
        jax_out = eq_model.features(jax_arr, inference=True, key=key)
        delta = float(np.max(np.abs(np.asarray(jax_out) - torch_out.numpy())))
        if delta > 5e-4:
            raise RuntimeError(
                f"Conversion drift detected for '{variant}' (max abs diff {delta:.6f})."
            )

    if output_path is None:
        output_path = Path(f"~/.cache/equimo/dinov3/{variant}").expanduser()
    output_path.parent.mkdir(parents=True, exist_ok=True)

    save_model(
        output_path,
        eq_model,
        cfg,
        torch_hub_cfg,
        compression=True,
    )
    if not output_path.name.endswith(".tar.lz4"):
        output_path = output_path.with_name(output_path.name + ".tar.lz4")
    return output_path
