"""The pipeline class (diffusers' QwenImageEditPlusPipeline with the mm_token_type_ids fix) and
the Lightning LoRA's scheduler."""

from __future__ import annotations

import math

from tasks.edit.qwen.errors import missing_extra

#: Lightning LoRA scheduler (lightx2v/Qwen-Image-Lightning): one pass per step, no CFG
LIGHTNING_SCHEDULER = {
    "base_image_seq_len": 256,
    "base_shift": math.log(3),
    "invert_sigmas": False,
    "max_image_seq_len": 8192,
    "max_shift": math.log(3),
    "num_train_timesteps": 1000,
    "shift": 1.0,
    "shift_terminal": None,
    "stochastic_sampling": False,
    "time_shift_type": "exponential",
    "use_beta_sigmas": False,
    "use_dynamic_shifting": True,
    "use_exponential_sigmas": False,
    "use_karras_sigmas": False,
}


def pipeline_class():
    """QwenImageEditPlusPipeline, with prompt encoding that passes mm_token_type_ids.

    transformers >= 5.3 computes Qwen2.5-VL's 3-D (multimodal RoPE) positions for image tokens
    only when `mm_token_type_ids` is passed; diffusers 0.42 does not pass it, so the text
    encoder silently falls back to 1-D positions and the edit changes (diffusers#14194). The
    processor already returns the field; this subclass hands it to the text encoder.
    """
    try:
        import torch
        from diffusers import QwenImageEditPlusPipeline
    except ImportError as exc:
        raise missing_extra(exc) from None

    class RetouchQwenImageEditPlusPipeline(QwenImageEditPlusPipeline):
        def _get_qwen_prompt_embeds(self, prompt=None, image=None, device=None, dtype=None):
            device = device or self._execution_device
            dtype = dtype or self.text_encoder.dtype
            prompt = [prompt] if isinstance(prompt, str) else prompt
            img_prompt_template = "Picture {}: <|vision_start|><|image_pad|><|vision_end|>"
            images = image if isinstance(image, list) else ([image] if image is not None else [])
            base_img_prompt = "".join(img_prompt_template.format(i + 1) for i in range(len(images)))
            txt = [self.prompt_template_encode.format(base_img_prompt + e) for e in prompt]
            model_inputs = self.processor(text=txt, images=image, padding=True, return_tensors="pt").to(
                device
            )
            extra = {}
            if "mm_token_type_ids" in model_inputs:
                extra["mm_token_type_ids"] = model_inputs["mm_token_type_ids"]
            outputs = self.text_encoder(
                input_ids=model_inputs["input_ids"],
                attention_mask=model_inputs["attention_mask"],
                pixel_values=model_inputs.get("pixel_values"),
                image_grid_thw=model_inputs.get("image_grid_thw"),
                output_hidden_states=True,
                **extra,
            )
            hidden_states = outputs.hidden_states[-1]
            split = self._extract_masked_hidden(hidden_states, model_inputs["attention_mask"])
            split = [e[self.prompt_template_encode_start_idx :] for e in split]
            max_len = max(e.size(0) for e in split)
            prompt_embeds = torch.stack(
                [torch.cat([u, u.new_zeros(max_len - u.size(0), u.size(1))]) for u in split]
            )
            mask = torch.stack(
                [
                    torch.cat(
                        [
                            torch.ones(u.size(0), dtype=torch.long, device=u.device),
                            torch.zeros(max_len - u.size(0), dtype=torch.long, device=u.device),
                        ]
                    )
                    for u in split
                ]
            )
            return prompt_embeds.to(dtype=dtype, device=device), mask

    return RetouchQwenImageEditPlusPipeline
