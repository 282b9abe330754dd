"""Time-based one-time passwords (RFC 6238 over RFC 4226), the QR code to enrol an
authenticator app, and recovery codes for a lost one.

TOTP here is the profile every authenticator app speaks: HMAC-SHA1, 6 digits, 30-second steps,
and one step either side accepted for clock drift.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import struct
from urllib.parse import quote, urlencode

import segno

STEP_SECONDS = 30
DIGITS = 6
DRIFT_STEPS = 1
ISSUER = "Safe City Watch"
RECOVERY_CODE_COUNT = 10
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i to misread


def generate_secret() -> str:
    """A new 160-bit secret in base32, as authenticator apps expect it."""
    return base64.b32encode(secrets.token_bytes(20)).decode("ascii")


def decode_secret(secret: str) -> bytes:
    """The key bytes of a base32 secret (spaces and lower case allowed); ValueError if invalid."""
    cleaned = "".join(secret.split()).upper()
    if len(cleaned) > 64:  # what the column holds; ours are 32
        raise ValueError("secret too long")
    cleaned += "=" * (-len(cleaned) % 8)
    try:
        key = base64.b32decode(cleaned)
    except (binascii.Error, ValueError):
        raise ValueError("not a base32 secret") from None
    if len(key) < 10:
        raise ValueError("secret too short")
    return key


def hotp(key: bytes, counter: int, *, digits: int = DIGITS, digest: str = "sha1") -> str:
    """RFC 4226: the dynamically truncated HMAC of the counter."""
    mac = hmac.new(key, struct.pack(">Q", counter), digest).digest()
    offset = mac[-1] & 0x0F
    number = struct.unpack(">I", mac[offset : offset + 4])[0] & 0x7FFFFFFF
    return str(number % 10**digits).zfill(digits)


def totp(
    key: bytes, at: float, *, digits: int = DIGITS, digest: str = "sha1",
    step: int = STEP_SECONDS,
) -> str:
    """RFC 6238: HOTP over the number of whole steps since the Unix epoch."""
    return hotp(key, int(at) // step, digits=digits, digest=digest)


def matching_step(secret: str, code: str, *, at: float) -> int | None:
    """The time step whose code `code` is (the current one, or one either side), else None."""
    code = "".join(code.split())
    if len(code) != DIGITS or not code.isdigit():
        return None
    key = decode_secret(secret)
    counter = int(at) // STEP_SECONDS
    for step in range(counter - DRIFT_STEPS, counter + DRIFT_STEPS + 1):
        if hmac.compare_digest(hotp(key, step), code):
            return step
    return None


def verify_totp(secret: str, code: str, *, at: float) -> bool:
    """Whether `code` is the current code, or one step before or after it."""
    return matching_step(secret, code, at=at) is not None


def provisioning_uri(secret: str, *, account: str) -> str:
    """The otpauth:// address an authenticator app reads from the QR code."""
    label = quote(f"{ISSUER}:{account}", safe="@:")
    query = urlencode(
        {"secret": secret, "issuer": ISSUER, "algorithm": "SHA1", "digits": DIGITS,
         "period": STEP_SECONDS}
    )
    return f"otpauth://totp/{label}?{query}"


def qr_code_data_uri(uri: str) -> str:
    """The QR code as an SVG data: URI, drawn here (nothing leaves the server)."""
    return str(segno.make(uri, error="m").svg_data_uri(scale=5, border=4))


def generate_recovery_codes(count: int = RECOVERY_CODE_COUNT) -> list[str]:
    """Codes like "k7pq-x3mf-9tzc-ha4e": 16 characters from 31, about 79 bits each."""
    codes = []
    for _ in range(count):
        raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(16))
        codes.append("-".join(raw[i : i + 4] for i in range(0, 16, 4)))
    return codes


def normalise_recovery_code(code: str) -> str:
    return "".join(ch for ch in code.lower() if ch.isalnum())


def hash_recovery_code(code: str) -> str:
    # The codes carry ~79 random bits, so a fast hash is enough to keep them from a reader
    # of the database; a slow one would make each login attempt cost ten argon2 runs.
    return hashlib.sha256(normalise_recovery_code(code).encode()).hexdigest()
