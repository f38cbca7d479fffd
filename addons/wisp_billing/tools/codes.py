"""Secret codes people type: gift cards, vouchers, referral codes.

One alphabet without look-alike characters (no 0/O, 1/I/L) of exactly 32
symbols, so a random byte masked to 5 bits picks a symbol without bias and
``secrets`` stays the only source of randomness. Codes are grouped by four for
reading; voucher codes end with a check character computed by Damm's
algorithm over the quasigroup x * y = 2x + y of GF(32), which catches every
single wrong character and every swap of two adjacent characters (the check
character included) before anything is looked up. (Luhn mod 32 would miss the
swap of the first and last symbols of the alphabet.)
"""

import re
import secrets

CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
_BASE = len(CODE_ALPHABET)  # 32
_INDEX = {char: i for i, char in enumerate(CODE_ALPHABET)}
# byte -> symbol of its low 5 bits: unbiased because 256 is a multiple of 32
_BYTE_TO_SYMBOL = bytes(ord(CODE_ALPHABET[b % _BASE]) for b in range(256))
_SEPARATORS = re.compile(r"[\s\-_.]")


def random_symbols(length):
    """``length`` symbols of CODE_ALPHABET from the OS's secure generator."""
    return secrets.token_bytes(length).translate(_BYTE_TO_SYMBOL).decode()


def group_code(raw, size=4):
    return "-".join(raw[i : i + size] for i in range(0, len(raw), size))


def strip_code(code):
    """What the user typed, upper-cased, without spaces or dashes."""
    return _SEPARATORS.sub("", (code or "").upper())


def normalize_code(code):
    return group_code(strip_code(code))


def _times_two(value):
    """``value`` times x in GF(32) = GF(2)[x] / (x^5 + x^2 + 1)."""
    value <<= 1
    return value ^ 0b100101 if value & 0b100000 else value


def _damm_interim(symbols):
    interim = 0
    for char in symbols:
        interim = _times_two(interim) ^ _INDEX[char]
    return interim


def check_symbol(payload):
    """Check character of ``payload`` (symbols of CODE_ALPHABET): the one
    that brings the Damm interim value to zero."""
    return CODE_ALPHABET[_times_two(_damm_interim(payload))]


def has_valid_check(raw):
    """True when ``raw`` (stripped) is made of the alphabet and its last
    character is the check character of the others."""
    if len(raw) < 2 or any(char not in _INDEX for char in raw):
        return False
    return _damm_interim(raw) == 0


def generate_code(length=16, check=False):
    """A grouped random code of ``length`` characters, the last one a check
    character when ``check``."""
    if not check:
        return group_code(random_symbols(length))
    payload = random_symbols(length - 1)
    return group_code(payload + check_symbol(payload))


def generate_codes(count, length=12, check=True):
    """``count`` distinct codes (a set): one call to the secure generator per
    round, so 100,000 codes take well under a second."""
    size = length - 1 if check else length
    codes = set()
    while len(codes) < count:
        blob = random_symbols((count - len(codes)) * size)
        for start in range(0, len(blob), size):
            payload = blob[start : start + size]
            codes.add(group_code(payload + check_symbol(payload) if check else payload))
    return codes
