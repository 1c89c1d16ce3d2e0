"""C2PA content credentials for model outputs (c2pa-python, signed offline).

The manifest says what happened: the original was opened (it is the parent ingredient) and
edited by an AI system (IPTC digital source type compositeWithTrainedAlgorithmicMedia). The
signing certificate must be an end-entity certificate issued by a CA (c2pa refuses
self-signed ones); the chain and key are PEM files named by RETOUCH_C2PA_CERT/RETOUCH_C2PA_KEY.
Sign last: any re-encode afterwards would strip the manifest.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

from tasks.infra.errors import one_line
from tasks.pixels.formats import content_type, sniff_format
from tasks.record.labels import DIGITAL_SOURCE_TYPE

SIGNABLE = ("image/jpeg", "image/png", "image/webp", "image/tiff")  # what is signed here


def _signable(fmt: str) -> bool:
    try:
        return content_type(fmt) in SIGNABLE
    except KeyError:  # not an output format at all (GIF, PPM...)
        return False


class ProvenanceError(RuntimeError):
    """Signing failed (a bad certificate, an unsupported format); one line."""


def sign(
    data: bytes,
    fmt: str,
    original: bytes,
    original_format: str,
    title: str,
    cert_chain: Path,
    key: Path,
    system: str,
    generator: str = "Retouch",
    components: list[bytes] | None = None,
) -> bytes:
    """`data` (an encoded `fmt` image) with a C2PA manifest naming `original` as its parent and
    the reference pictures of a multi-image edit (`components`) as its component ingredients."""
    try:
        import c2pa
    except ImportError as exc:
        raise ProvenanceError("C2PA signing needs c2pa-python: pip install c2pa-python") from exc
    if not (_signable(fmt) and _signable(original_format)):
        raise ProvenanceError(f"C2PA signing does not support {fmt}/{original_format} here")
    manifest = {
        "claim_generator_info": [{"name": generator}],
        "title": title,
        "assertions": [
            {
                "label": "c2pa.actions",
                "data": {
                    "actions": [
                        {"action": "c2pa.opened", "parameters": {"ingredientIds": ["original"]}},
                        {
                            "action": "c2pa.edited",
                            "digitalSourceType": DIGITAL_SOURCE_TYPE,
                            "softwareAgent": {"name": system},
                        },
                    ]
                },
            }
        ],
    }
    try:
        info = c2pa.C2paSignerInfo(
            alg=c2pa.C2paSigningAlg.ES256,
            sign_cert=cert_chain.read_bytes(),
            private_key=key.read_bytes(),
            ta_url=None,
        )
        signer = c2pa.Signer.from_info(info)
        builder = c2pa.Builder(json.dumps(manifest))
        builder.add_ingredient(
            json.dumps({"title": "original", "relationship": "parentOf", "label": "original"}),
            content_type(original_format),
            io.BytesIO(original),
        )
        for n, component in enumerate(components or [], 2):
            builder.add_ingredient(
                json.dumps({"title": f"picture {n}", "relationship": "componentOf", "label": f"picture-{n}"}),
                content_type(sniff_format(component) or "png"),
                io.BytesIO(component),
            )
        out = io.BytesIO()
        builder.sign(signer, content_type(fmt), io.BytesIO(data), out)
    except (OSError, c2pa.C2paError) as exc:
        raise ProvenanceError(f"C2PA signing failed: {one_line(exc, named=False)}") from None
    return out.getvalue()


def read_manifest(data: bytes, fmt: str) -> dict:
    """The C2PA store of a signed image (validation state, manifests), as c2pa reports it."""
    import c2pa

    return json.loads(c2pa.Reader(content_type(fmt), io.BytesIO(data)).json())
