"""C2PA content credentials on model outputs, signed with a test CA's end-entity certificate."""

from __future__ import annotations

import datetime
import json
from pathlib import Path

import pytest

from tests.helpers import IMAGES

c2pa = pytest.importorskip("c2pa")
pytest.importorskip("diffusers")


def issue_certificates(folder: Path) -> tuple[Path, Path]:
    """A CA and an end-entity signing certificate (c2pa refuses self-signed ones)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    def name(common: str) -> x509.Name:
        return x509.Name(
            [
                x509.NameAttribute(NameOID.COMMON_NAME, common),
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Retouch tests"),
            ]
        )

    def usage(sign_certs: bool) -> x509.KeyUsage:
        return x509.KeyUsage(
            digital_signature=True,
            content_commitment=False,
            key_encipherment=False,
            data_encipherment=False,
            key_agreement=False,
            key_cert_sign=sign_certs,
            crl_sign=sign_certs,
            encipher_only=False,
            decipher_only=False,
        )

    now = datetime.datetime.now(datetime.UTC)
    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca = (
        x509.CertificateBuilder()
        .subject_name(name("Retouch test CA"))
        .issuer_name(name("Retouch test CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(1))
        .not_valid_after(now + datetime.timedelta(30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(usage(True), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    signer = (
        x509.CertificateBuilder()
        .subject_name(name("Retouch signer"))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(1))
        .not_valid_after(now + datetime.timedelta(30))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(usage(False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    chain, key_file = folder / "chain.pem", folder / "signer.key"
    chain.write_bytes(
        signer.public_bytes(serialization.Encoding.PEM) + ca.public_bytes(serialization.Encoding.PEM)
    )
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return chain, key_file


@pytest.mark.parametrize("suffix", [".png", ".jpg"])
def test_model_output_carries_a_valid_c2pa_manifest(run_cli, tmp_path, monkeypatch, suffix):
    from tasks.edit.qwen.tiny import make_tiny
    from tasks.record.labels import DIGITAL_SOURCE_TYPE, read_aigc
    from tasks.record.provenance import read_manifest
    from tests.test_labels import xmp_of

    chain, key = issue_certificates(tmp_path)
    monkeypatch.setenv("RETOUCH_MODEL", str(make_tiny(tmp_path / "tiny")))
    monkeypatch.setenv("RETOUCH_MODEL_STEPS", "2")
    monkeypatch.setenv("RETOUCH_C2PA_CERT", str(chain))
    monkeypatch.setenv("RETOUCH_C2PA_KEY", str(key))
    target = tmp_path / f"signed{suffix}"
    code, out, err = run_cli(
        "edit", str(IMAGES / "coffee.png"), "把杯子换成一杯绿茶", "--json", "-o", str(target)
    )
    assert code == 0, err
    assert json.loads(out)["route"] == "model"
    store = read_manifest(target.read_bytes(), "png" if suffix == ".png" else "jpeg")
    problems = {s["code"] for s in store.get("validation_status", [])}
    assert problems <= {"signingCredential.untrusted"}  # no trust list configured here
    assert store["validation_state"] in ("Valid", "Trusted")
    manifest = store["manifests"][store["active_manifest"]]
    actions = next(a for a in manifest["assertions"] if a["label"].startswith("c2pa.actions"))
    kinds = [(a["action"], a.get("digitalSourceType")) for a in actions["data"]["actions"]]
    assert ("c2pa.edited", DIGITAL_SOURCE_TYPE) in kinds and kinds[0][0] == "c2pa.opened"
    assert [i["relationship"] for i in manifest["ingredients"]] == ["parentOf"]
    assert read_aigc(xmp_of(target))["Label"] == "1"  # the XMP label survived signing


def test_a_bad_key_fails_the_item_not_the_batch(run_cli, tmp_path, monkeypatch):
    from tasks.edit.qwen.tiny import make_tiny

    chain, _ = issue_certificates(tmp_path)
    (tmp_path / "bad.key").write_text("not a key")
    monkeypatch.setenv("RETOUCH_MODEL", str(make_tiny(tmp_path / "tiny")))
    monkeypatch.setenv("RETOUCH_MODEL_STEPS", "2")
    monkeypatch.setenv("RETOUCH_C2PA_CERT", str(chain))
    monkeypatch.setenv("RETOUCH_C2PA_KEY", str(tmp_path / "bad.key"))
    code, out, _ = run_cli(
        "edit", str(IMAGES / "coffee.png"), "add a hat", "--json", "-o", str(tmp_path / "x.png")
    )
    result = json.loads(out)
    assert code == 1 and result["status"] == "failed"
    assert result["error"].startswith("C2PA signing failed")


def test_a_multi_image_edit_names_its_references_as_ingredients(run_cli, tmp_path, monkeypatch):
    from tasks.edit.qwen.tiny import make_tiny
    from tasks.record.provenance import read_manifest

    chain, key = issue_certificates(tmp_path)
    monkeypatch.setenv("RETOUCH_MODEL", str(make_tiny(tmp_path / "tiny")))
    monkeypatch.setenv("RETOUCH_MODEL_STEPS", "2")
    monkeypatch.setenv("RETOUCH_MODEL_CANDIDATES", "1")
    monkeypatch.setenv("RETOUCH_C2PA_CERT", str(chain))
    monkeypatch.setenv("RETOUCH_C2PA_KEY", str(key))
    target = tmp_path / "together.png"
    code, out, err = run_cli(
        "edit",
        str(IMAGES / "coffee.png"),
        "把图2的猫放到图1的桌子上",
        "--ref",
        str(IMAGES / "chelsea.png"),
        "--json",
        "-o",
        str(target),
    )
    assert code == 0, err
    store = read_manifest(target.read_bytes(), "png")
    manifest = store["manifests"][store["active_manifest"]]
    assert [i["relationship"] for i in manifest["ingredients"]] == ["parentOf", "componentOf"]
    assert manifest["ingredients"][1]["title"] == "picture 2"
