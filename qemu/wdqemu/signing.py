"""Authenticode signatures for the Secure Boot scenarios: sbsign and sbverify (Debian's
sbsigntool) with the snakeoil key pair that Debian's ovmf ships and enrols in
OVMF_VARS_4M.snakeoil.fd (PK, KEK and db). A test key, public by design: never trust it
on a real machine (docs/secure-boot.md)."""
import os
import subprocess

SNAKEOIL_KEY = "/usr/share/ovmf/PkKek-1-snakeoil.key"   # PKCS#8, encrypted
SNAKEOIL_CERT = "/usr/share/ovmf/PkKek-1-snakeoil.pem"
# The key's passphrase, as /usr/share/doc/ovmf/README.Debian gives it.
SNAKEOIL_PASSPHRASE = "snakeoil"


def plain_key(work_dir):
    """The snakeoil key without its passphrase (sbsign cannot ask for one), in work_dir."""
    path = os.path.join(work_dir, "snakeoil.key")
    if not os.path.exists(path):
        subprocess.run(["openssl", "pkey", "-in", SNAKEOIL_KEY, "-passin", f"pass:{SNAKEOIL_PASSPHRASE}",
                        "-out", path], check=True, capture_output=True)
    return path


def sign(src, dst, key, cert=SNAKEOIL_CERT):
    """Writes `src` signed with `key` (a PEM file without passphrase) to `dst` and checks
    the result with sbverify."""
    r = subprocess.run(["sbsign", "--key", key, "--cert", cert, "--output", dst, src],
                       capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(f"sbsign {src}: {r.stdout}{r.stderr}")
    verify(dst, cert)
    return dst


def verify(path, cert=SNAKEOIL_CERT):
    r = subprocess.run(["sbverify", "--cert", cert, path], capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(f"sbverify {path}: {r.stdout}{r.stderr}")


def signed_loader(ctx):
    """The build's snakeoil-signed wdboot (scripts/dev configures WDBOOT_SIGN_KEY), else
    one signed here; either must verify against the snakeoil certificate."""
    built = ctx.efi + ".signed"
    if os.path.exists(built):
        verify(built)
        return built
    return sign(ctx.efi, os.path.join(ctx.dir, "wdbootx64.signed.efi"), key=plain_key(ctx.dir))
