"""AI-content labels for model-path outputs (GB 45438-2025 implicit label, IPTC source type).

The implicit label is an XMP property `TC260:AIGC` whose value is a JSON object with exactly
seven string fields (../shared/notes/provenance.md). OpenCV-path outputs are not AI-generated
and get no label, but keep whatever XMP (labels included) the original carried.
"""

from __future__ import annotations

import hashlib
import json
from xml.etree import ElementTree
from xml.sax.saxutils import quoteattr

TC260_NS = "http://www.tc260.org.cn/ns/AIGC/1.0/"
IPTC_EXT_NS = "http://iptc.org/std/Iptc4xmpExt/2008-02-29/"
DIGITAL_SOURCE_TYPE = "http://cv.iptc.org/newscodes/digitalsourcetype/compositeWithTrainedAlgorithmicMedia"
AIGC_FIELDS = (
    "Label",
    "ContentProducer",
    "ProduceID",
    "ReservedCode1",
    "ContentPropagator",
    "PropagateID",
    "ReservedCode2",
)
_AIGC_ATTRIBUTE = f"{{{TC260_NS}}}AIGC"


def aigc_label(
    producer: str, produce_id: str, pixels_digest: str, propagator: str, propagate_id: str
) -> dict[str, str]:
    """The seven fields, all strings; ReservedCode1 carries the producer's integrity hash."""
    return {
        "Label": "1",
        "ContentProducer": producer,
        "ProduceID": produce_id,
        "ReservedCode1": pixels_digest,
        "ContentPropagator": propagator,
        "PropagateID": propagate_id,
        "ReservedCode2": "",
    }


def propagated_label(
    upstream: dict[str, str], propagator: str, propagate_id: str, pixels_digest: str
) -> dict[str, str]:
    """An upstream producer's label carried onto an edit of its content (never stripped or
    forged): its ContentProducer, ProduceID and ReservedCode1 kept, Label "1" (AI-generated),
    this edit as the propagator, and the final pixels' hash in ReservedCode2."""
    carried = {k: str(upstream.get(k) or "") for k in AIGC_FIELDS}
    return {
        **carried,
        "Label": "1",
        "ContentPropagator": propagator,
        "PropagateID": propagate_id,
        "ReservedCode2": pixels_digest,
    }


def xmp_packet(label: dict[str, str], system: str) -> bytes:
    """An XMP packet with the TC260 AIGC label and IPTC's DigitalSourceType / AISystemUsed."""
    value = json.dumps({k: label[k] for k in AIGC_FIELDS}, ensure_ascii=False, separators=(",", ":"))
    return (
        '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>\n'
        '<x:xmpmeta xmlns:x="adobe:ns:meta/">\n'
        ' <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">\n'
        f'  <rdf:Description rdf:about="" xmlns:TC260="{TC260_NS}" xmlns:Iptc4xmpExt="{IPTC_EXT_NS}"\n'
        f"   TC260:AIGC={quoteattr(value)}\n"
        f'   Iptc4xmpExt:DigitalSourceType="{DIGITAL_SOURCE_TYPE}"\n'
        f"   Iptc4xmpExt:AISystemUsed={quoteattr(system)}/>\n"
        " </rdf:RDF>\n"
        "</x:xmpmeta>\n"
        '<?xpacket end="w"?>'
    ).encode()


def read_aigc(xmp: bytes | str | None) -> dict[str, str] | None:
    """The TC260 AIGC label in an XMP packet (attribute or element form), or None."""
    if not xmp:
        return None
    text = xmp.decode("utf-8", "replace") if isinstance(xmp, bytes) else xmp
    try:
        root = ElementTree.fromstring(text.strip().lstrip("\ufeff"))
    except ElementTree.ParseError:
        return None
    for node in root.iter():
        value = node.get(_AIGC_ATTRIBUTE) or (node.text if node.tag == _AIGC_ATTRIBUTE else None)
        if value:
            try:
                return json.loads(value)
            except ValueError:
                return None
    return None


def pixels_digest(pixels) -> str:
    """Integrity data for ReservedCode1: SHA-256 of the labelled picture's pixels."""
    return "sha256:" + hashlib.sha256(pixels.tobytes()).hexdigest()


# ------------------------------------------------------------------------------------------------
# the explicit (visible) label

MARK_TEXT = "AI生成"
CJK_FONTS = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/System/Library/Fonts/PingFang.ttc",
)


class MarkError(RuntimeError):
    """The visible mark cannot be drawn (no CJK font); one line."""


def find_cjk_font(configured: str | None = None) -> str:
    from pathlib import Path

    for candidate in ([configured] if configured else []) + list(CJK_FONTS):
        if candidate and Path(candidate).is_file():
            return candidate
    raise MarkError(
        "the visible AI mark needs a CJK font: install fonts-wqy-microhei (Debian) "
        "or set RETOUCH_AIGC_MARK_FONT to a .ttf/.ttc with Chinese glyphs"
    )


def add_visible_mark(pixels, font_path: str, text: str = MARK_TEXT, share: float = 0.06):
    """Draw `text` in the bottom-right corner, its glyphs >= 5% of the short side tall."""
    import numpy as np
    from PIL import Image, ImageDraw, ImageFont

    from tasks.pixels.dtypes import scale_of

    h, w = pixels.shape[:2]
    size = max(12, round(min(h, w) * share))
    font = ImageFont.truetype(font_path, size)
    x0, y0, x1, y1 = font.getbbox(text)
    pad = max(2, size // 5)
    box_w, box_h = x1 - x0 + 2 * pad, y1 - y0 + 2 * pad
    left, top = w - box_w - pad, h - box_h - pad
    scale = scale_of(pixels)
    patch = pixels[top : top + box_h, left : left + box_w]
    rgb = patch if patch.ndim == 2 else patch[..., :3]
    canvas = Image.fromarray((rgb // scale).astype(np.uint8) if scale > 1 else rgb.copy())
    overlay = Image.new("L" if canvas.mode == "L" else "RGB", canvas.size, 0)
    mask = Image.new("L", canvas.size, 0)
    ImageDraw.Draw(mask).rectangle([0, 0, *canvas.size], fill=110)  # a dark translucent plate
    canvas.paste(overlay, (0, 0), mask)
    ImageDraw.Draw(canvas).text(
        (pad - x0, pad - y0), text, font=font, fill=255 if canvas.mode == "L" else (255, 255, 255)
    )
    drawn = np.asarray(canvas)
    if scale > 1:
        drawn = drawn.astype(np.uint16) * scale
    out = pixels.copy()
    if out.ndim == 2:
        out[top : top + box_h, left : left + box_w] = drawn
    else:
        out[top : top + box_h, left : left + box_w, :3] = drawn
        if out.shape[2] == 4:
            out[top : top + box_h, left : left + box_w, 3] = 255 * scale
    return out
