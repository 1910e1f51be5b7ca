"""SM2-SM3 signature verification against one known public key, with precomputed tables.

Online verification of display codes always checks signatures made by our own display key, so
both points of the verification equation are fixed: ``(x1, y1) = s·G + t·P`` (GB/T 32918.2
§7.1). With every ``j · 2^(8i)`` multiple of ``G`` and of ``P`` precomputed (32 windows of 255
affine points each, ~1.5 MB per point, built once per process in ~0.1 s), the sum needs no
doubling: at most 64 mixed additions. That is about a third of gmssl-pyx's ``sm2_verify``
(which multiplies the variable point from scratch on every call). Only public values are
involved, so the data-dependent timing of Python integers gives nothing away; signing stays in
gmssl-pyx (``core.sm2``). ``tests/api/licences/test_sm2_tables.py`` holds this to gmssl-pyx's
answers on valid, altered and out-of-range signatures.
"""

from __future__ import annotations

import threading

from core import sm2

# GB/T 32918.5 curve sm2p256v1: y² = x³ + ax + b over F_p, a = p - 3, order n, generator G.
P = 0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFF
B = 0x28E9FA9E9D9F5E344D5A9E4BCF6509A7F39789F515AB8F92DDBCBD414D940E93
N = 0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFF7203DF6B21C6052B53BBF40939D54123
GX = 0x32C4AE2C1F1981195F9904466A39C9948FE30BBFF2660BE1715A4589334C74C7
GY = 0xBC3736A2F4F6779C59BDCEE36B692153D0A9877CC62A474002DF32E52139F0A0

WINDOW = 8
_WINDOWS = 256 // WINDOW
_DIGITS = (1 << WINDOW) - 1

_Jacobian = tuple[int, int, int]  # (X, Y, Z): x = X/Z², y = Y/Z³; Z = 0 is the point at infinity
_Affine = tuple[int, int]
_Table = list[list[_Affine]]  # [window i][digit j - 1] = j · 2^(8i) · point
_INFINITY: _Jacobian = (0, 1, 0)


def _double(point: _Jacobian) -> _Jacobian:
    x1, y1, z1 = point
    if not z1 or not y1:
        return _INFINITY
    yy = y1 * y1 % P
    s = 4 * x1 * yy % P
    zz = z1 * z1 % P
    m = 3 * (x1 - zz) * (x1 + zz) % P  # a = -3
    x3 = (m * m - 2 * s) % P
    return x3, (m * (s - x3) - 8 * yy * yy) % P, 2 * y1 * z1 % P


def _add_affine(point: _Jacobian, x2: int, y2: int) -> _Jacobian:
    """``point + (x2, y2)``, the second point affine and finite."""
    x1, y1, z1 = point
    if not z1:
        return x2, y2, 1
    zz = z1 * z1 % P
    h = (x2 * zz - x1) % P
    r = (y2 * zz * z1 - y1) % P
    if not h:
        return _double(point) if not r else _INFINITY
    hh = h * h % P
    hhh = h * hh % P
    v = x1 * hh % P
    x3 = (r * r - hhh - 2 * v) % P
    return x3, (r * (v - x3) - y1 * hhh) % P, z1 * h % P


def _to_affine(points: list[_Jacobian]) -> list[_Affine]:
    """Finite Jacobian points to affine with one inversion (Montgomery's trick)."""
    prefix = [1]
    for _, _, z in points:
        prefix.append(prefix[-1] * z % P)
    inverse = pow(prefix[-1], -1, P)
    out: list[_Affine] = [(0, 0)] * len(points)
    for k in range(len(points) - 1, -1, -1):
        x, y, z = points[k]
        z_inv = inverse * prefix[k] % P
        inverse = inverse * z % P
        zz = z_inv * z_inv % P
        out[k] = (x * zz % P, y * zz * z_inv % P)
    return out


def _table(x: int, y: int) -> _Table:
    table: _Table = []
    base = (x, y)
    for _ in range(_WINDOWS):
        multiples: list[_Jacobian] = []
        acc = _INFINITY
        for _ in range(_DIGITS):
            acc = _add_affine(acc, *base)
            multiples.append(acc)
        row = _to_affine(multiples)
        table.append(row)
        base = _to_affine([_add_affine(acc, *base)])[0]  # 256 · base, the next window's base
    return table


def on_curve(x: int, y: int) -> bool:
    return 0 <= x < P and 0 <= y < P and (y * y - x * x * x + 3 * x - B) % P == 0


_lock = threading.Lock()
_generator: _Table | None = None


def _generator_table() -> _Table:
    global _generator
    with _lock:
        if _generator is None:
            _generator = _table(GX, GY)
        return _generator


class Sm2Verifier:
    """Verifies SM2-SM3 signatures (default signer id) made with one public key."""

    def __init__(self, public_key: bytes) -> None:
        if len(public_key) != 64:
            raise sm2.Sm2KeyError("an SM2 public key has 64 bytes (x || y)")
        x, y = int.from_bytes(public_key[:32], "big"), int.from_bytes(public_key[32:], "big")
        if not on_curve(x, y):
            raise sm2.Sm2KeyError("not a point of the SM2 curve")
        self.public_key = public_key
        self._point = (x, y)
        self._z = sm2.signer_z(public_key)
        self._table: _Table | None = None
        self._lock = threading.Lock()

    def _tables(self) -> tuple[_Table, _Table]:
        if self._table is not None and _generator is not None:
            return _generator, self._table
        generator = _generator_table()
        with self._lock:
            if self._table is None:
                self._table = _table(*self._point)
            return generator, self._table

    def verify(self, message: bytes, signature: bytes) -> bool:
        """True when ``signature`` (64-byte ``r || s``) signs ``message`` with this key."""
        if len(signature) != 64:
            return False
        r, s = int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
        if not (0 < r < N and 0 < s < N):
            return False
        t = (r + s) % N
        if not t:
            return False
        e = int.from_bytes(sm2.sm3(self._z + message), "big")
        g_table, p_table = self._tables()
        acc = _INFINITY
        for i in range(_WINDOWS):
            shift = WINDOW * i
            digit = (s >> shift) & _DIGITS
            if digit:
                acc = _add_affine(acc, *g_table[i][digit - 1])
            digit = (t >> shift) & _DIGITS
            if digit:
                acc = _add_affine(acc, *p_table[i][digit - 1])
        x, _, z = acc
        if not z:
            return False
        # Accept iff (e + x1) mod n = r, x1 = X / Z² in [0, p): x1 is r - e (mod n), i.e. c or
        # c + n (p > n), so compare X with c·Z² rather than invert Z.
        zz = z * z % P
        c = (r - e) % N
        return x == c * zz % P or (c + N < P and x == (c + N) * zz % P)
