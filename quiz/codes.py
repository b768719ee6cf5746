"""Short public codes for URLs that people type from a poster."""
import secrets

# No 0/O, 1/I/L: these codes are read off paper and typed on phones.
ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"


def new_code(length: int = 6) -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(length))
