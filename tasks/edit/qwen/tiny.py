"""Qwen-Image-Edit-2509 pipelines with random weights, built offline: tiny, or full size.

Same classes and wiring as the real model (QwenImageTransformer2DModel, AutoencoderKLQwenImage,
Qwen2.5-VL text encoder, Qwen2 tokenizer, Qwen2-VL processor, flow-matching scheduler), shrunk
to a few megabytes, so that the whole model path — save_pretrained, the real loader, the edit,
the resize back — runs in tests and demos on a CPU with no download. Its edits are noise.

The tiny sizes follow diffusers' own fast tests for QwenImageEditPlusPipeline; the full sizes
are the published model's configs (20.4 B transformer, 8.3 B Qwen2.5-VL-7B text encoder), used
by benchmarks/gpu_edit.py to time the real architecture on a GPU without downloading 58 GB.
The tokenizer is a byte-level BPE with no merges (256 byte symbols) plus Qwen's special tokens,
built locally instead of fetched from the hub.
"""

from __future__ import annotations

import json
from pathlib import Path

#: written next to model_index.json; read by tasks.edit.qwen to size the work and to warn loudly
MARKER = "retouch_model.json"
TINY_NOTICE = (
    "random-weight tiny model: its edits are noise standing in for "
    "Qwen-Image-Edit-2509 (set RETOUCH_MODEL to the real weights)"
)
SPECIAL_TOKENS = [
    "<|endoftext|>",
    "<|im_start|>",
    "<|im_end|>",
    "<|vision_start|>",
    "<|vision_end|>",
    "<|vision_pad|>",
    "<|image_pad|>",
    "<|video_pad|>",
]


def _byte_vocab() -> dict[str, int]:
    """GPT-2's printable stand-ins for the 256 byte values, as used by byte-level BPE."""
    printable = (
        list(range(ord("!"), ord("~") + 1))
        + list(range(ord("¡"), ord("¬") + 1))
        + list(range(ord("®"), ord("ÿ") + 1))
    )
    codes, extra = list(printable), 0
    for b in range(256):
        if b not in printable:
            printable.append(b)
            codes.append(256 + extra)
            extra += 1
    return {chr(code): i for i, code in enumerate(codes)}


TINY = {
    "transformer": dict(
        patch_size=2,
        in_channels=16,
        out_channels=4,
        num_layers=2,
        attention_head_dim=16,
        num_attention_heads=3,
        joint_attention_dim=16,
        guidance_embeds=False,
        axes_dims_rope=(8, 4, 4),
    ),
    "vae": dict(
        base_dim=24,
        z_dim=4,
        dim_mult=[1, 2, 4],
        num_res_blocks=1,
        temperal_downsample=[False, True],
        latents_mean=[0.0] * 4,
        latents_std=[1.0] * 4,
    ),
    "text": {
        "hidden_size": 16,
        "intermediate_size": 16,
        "num_hidden_layers": 2,
        "num_attention_heads": 2,
        "num_key_value_heads": 2,
        "rope_scaling": {"mrope_section": [1, 1, 2], "rope_type": "default", "type": "default"},
        "rope_theta": 1000000.0,
    },
    "vision": {
        "depth": 2,
        "hidden_size": 16,
        "intermediate_size": 16,
        "num_heads": 2,
        "out_hidden_size": 16,
        "patch_size": 14,
        "spatial_merge_size": 2,
        "temporal_patch_size": 2,
    },
    "pixels": (56 * 56, 112 * 112),  # the vision processor's min/max
    "scheduler": {},
}
FULL = {
    "transformer": dict(
        patch_size=2,
        in_channels=64,
        out_channels=16,
        num_layers=60,
        attention_head_dim=128,
        num_attention_heads=24,
        joint_attention_dim=3584,
        guidance_embeds=False,
        axes_dims_rope=(16, 56, 56),
    ),
    "vae": dict(
        base_dim=96,
        z_dim=16,
        dim_mult=[1, 2, 4, 4],
        num_res_blocks=2,
        temperal_downsample=[False, True, True],
    ),
    "text": {
        "hidden_size": 3584,
        "intermediate_size": 18944,
        "num_hidden_layers": 28,
        "num_attention_heads": 28,
        "num_key_value_heads": 4,
        "vocab_size": 152064,
        "rope_scaling": {"mrope_section": [16, 24, 24], "rope_type": "default", "type": "default"},
        "rope_theta": 1000000.0,
    },
    "vision": {
        "depth": 32,
        "hidden_size": 1280,
        "intermediate_size": 3420,
        "num_heads": 16,
        "out_hidden_size": 3584,
        "patch_size": 14,
        "spatial_merge_size": 2,
        "temporal_patch_size": 2,
        "window_size": 112,
        "fullatt_block_indexes": [7, 15, 23, 31],
    },
    "pixels": (56 * 56, 28 * 28 * 1280),
    "scheduler": dict(
        base_image_seq_len=256,
        base_shift=0.5,
        max_image_seq_len=8192,
        max_shift=0.9,
        shift=1.0,
        shift_terminal=0.02,
        time_shift_type="exponential",
        use_dynamic_shifting=True,
    ),
}


def build_random_pipeline(sizes: dict = TINY, seed: int = 0):
    """Build the pipeline in memory with random weights (on the current default device/dtype)."""
    import torch
    from diffusers import (
        AutoencoderKLQwenImage,
        FlowMatchEulerDiscreteScheduler,
        QwenImageEditPlusPipeline,
        QwenImageTransformer2DModel,
    )
    from transformers import (
        Qwen2_5_VLConfig,
        Qwen2_5_VLForConditionalGeneration,
        Qwen2Tokenizer,
        Qwen2VLImageProcessor,
        Qwen2VLProcessor,
        Qwen2VLVideoProcessor,
    )

    tokenizer = Qwen2Tokenizer(
        vocab=_byte_vocab(),
        merges=[],
        eos_token="<|im_end|>",
        pad_token="<|endoftext|>",
        unk_token="<|endoftext|>",
    )
    tokenizer.add_special_tokens({"additional_special_tokens": SPECIAL_TOKENS[1:]})
    ids = {token: tokenizer.convert_tokens_to_ids(token) for token in SPECIAL_TOKENS}
    min_pixels, max_pixels = sizes["pixels"]
    vision = {
        "patch_size": 14,
        "merge_size": 2,
        "temporal_patch_size": 2,
        "min_pixels": min_pixels,
        "max_pixels": max_pixels,
    }
    processor = Qwen2VLProcessor(
        image_processor=Qwen2VLImageProcessor(**vision),
        tokenizer=tokenizer,
        video_processor=Qwen2VLVideoProcessor(**vision),
    )

    torch.manual_seed(seed)
    transformer = QwenImageTransformer2DModel(**sizes["transformer"])
    vae = AutoencoderKLQwenImage(**sizes["vae"])
    vocab_size = max(len(tokenizer), sizes["text"].get("vocab_size", 0))
    config = Qwen2_5_VLConfig(
        text_config={
            **sizes["text"],
            "vocab_size": vocab_size,
            "bos_token_id": ids["<|endoftext|>"],
            "eos_token_id": ids["<|im_end|>"],
            "pad_token_id": ids["<|endoftext|>"],
        },
        vision_config=sizes["vision"],
        hidden_size=sizes["text"]["hidden_size"],
        vocab_size=vocab_size,
        image_token_id=ids["<|image_pad|>"],
        video_token_id=ids["<|video_pad|>"],
        vision_start_token_id=ids["<|vision_start|>"],
        vision_end_token_id=ids["<|vision_end|>"],
        vision_token_id=ids["<|vision_pad|>"],
    )
    text_encoder = Qwen2_5_VLForConditionalGeneration(config)
    scheduler = FlowMatchEulerDiscreteScheduler(**sizes["scheduler"])
    return QwenImageEditPlusPipeline(
        transformer=transformer,
        vae=vae,
        text_encoder=text_encoder,
        tokenizer=tokenizer,
        processor=processor,
        scheduler=scheduler,
    )


def make_tiny(folder: Path, seed: int = 0) -> Path:
    """Build the tiny pipeline and save it with save_pretrained into `folder`."""
    folder = Path(folder)
    pipe = build_random_pipeline(TINY, seed)
    pipe.save_pretrained(folder, safe_serialization=True)
    # the real pipeline works at ~1 MP and 384x384; the tiny one at 64x64 for both
    (folder / MARKER).write_text(
        json.dumps(
            {
                "notice": TINY_NOTICE,
                "random_weights": True,
                "vae_image_area": 64 * 64,
                "condition_image_area": 64 * 64,
            },
            indent=2,
        )
    )
    return folder
