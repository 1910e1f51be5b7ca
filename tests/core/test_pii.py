from __future__ import annotations

import base64
import secrets
from datetime import date

import pytest
from cryptography.hazmat.primitives import hashes, hmac
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from core.pii import (
    PiiCipher,
    PiiError,
    generate_keyset,
    id_number_check_character,
    mask_id_number,
    mask_name,
    mask_phone,
    normalize_lookup_value,
    valid_id_number,
    valid_mobile,
)
from core.settings import Secret

ID = "11010519491231002X"


def make_cipher(current: str = "a", **extra: bytes) -> PiiCipher:
    keys = {"a": b"A" * 16, "b": b"B" * 16, **extra}
    return PiiCipher(keys, current, b"L" * 32)


def test_round_trip_and_fresh_nonce_each_time() -> None:
    cipher = make_cipher()
    one = cipher.encrypt(ID, field="id_number")
    two = cipher.encrypt(ID, field="id_number")
    assert one != two
    assert cipher.decrypt(one, field="id_number") == ID
    assert cipher.decrypt(two, field="id_number") == ID
    assert cipher.decrypt(cipher.encrypt("", field="x"), field="x") == ""
    assert cipher.decrypt(cipher.encrypt("张三丰", field="name"), field="name") == "张三丰"


def test_layout_is_the_documented_one_and_really_sm4_gcm() -> None:
    # Decrypt by hand from the documented layout with SM4-GCM, not through PiiCipher.
    blob = make_cipher().encrypt(ID, field="id_number")
    assert blob[0] == 1 and blob[1] == 1 and blob[2:3] == b"a"
    header, nonce, body, tag = blob[:3], blob[3:15], blob[15:-16], blob[-16:]
    decryptor = Cipher(algorithms.SM4(b"A" * 16), modes.GCM(nonce, tag)).decryptor()
    decryptor.authenticate_additional_data(header + b"\x00id_number")
    assert decryptor.update(body) + decryptor.finalize() == ID.encode()


def test_a_ciphertext_cannot_move_to_another_field() -> None:
    cipher = make_cipher()
    blob = cipher.encrypt(ID, field="id_number")
    with pytest.raises(PiiError):
        cipher.decrypt(blob, field="guardian_id_number")


@pytest.mark.parametrize("position", [0, 1, 2, 5, 20, -1])
def test_any_flipped_byte_is_refused(position: int) -> None:
    cipher = make_cipher()
    blob = bytearray(cipher.encrypt(ID, field="id_number"))
    blob[position] ^= 0x01
    with pytest.raises(PiiError):
        cipher.decrypt(bytes(blob), field="id_number")


def test_relabelled_key_id_is_refused() -> None:
    # Same key under two ids: changing the id in the header must still fail (it is in the AAD).
    cipher = PiiCipher({"a": b"A" * 16, "c": b"A" * 16}, "a", b"L" * 32)
    blob = cipher.encrypt(ID, field="f")
    with pytest.raises(PiiError):
        cipher.decrypt(blob[:2] + b"c" + blob[3:], field="f")


@pytest.mark.parametrize(
    "blob", [b"", b"\x01", b"\x02\x01a" + bytes(40), b"\x01\x05ab", b"\x01\x01a"]
)
def test_malformed_blobs_raise_pii_error(blob: bytes) -> None:
    with pytest.raises(PiiError):
        make_cipher().decrypt(blob, field="f")


def test_rotation_old_rows_still_decrypt_and_are_flagged() -> None:
    old = make_cipher(current="a")
    blob = old.encrypt(ID, field="id_number")
    new = make_cipher(current="b")
    assert new.key_id_of(blob) == "a"
    assert new.needs_reencryption(blob)
    assert new.decrypt(blob, field="id_number") == ID
    fresh = new.reencrypt(blob, field="id_number")
    assert new.key_id_of(fresh) == "b" and not new.needs_reencryption(fresh)
    assert new.decrypt(fresh, field="id_number") == ID
    assert new.reencrypt(fresh, field="id_number") is fresh


def test_unknown_key_id_raises() -> None:
    blob = make_cipher(current="a").encrypt(ID, field="f")
    only_b = PiiCipher({"b": b"B" * 16}, "b", b"L" * 32)
    with pytest.raises(PiiError, match="unknown"):
        only_b.decrypt(blob, field="f")


def test_lookup_hash_is_hmac_sm3_over_field_and_normalized_value() -> None:
    cipher = make_cipher()
    expected = hmac.HMAC(b"L" * 32, hashes.SM3())
    expected.update(b"id_number\x00" + ID.encode())
    assert cipher.lookup_hash(ID, field="id_number") == expected.finalize()
    # Lower-case check character, surrounding spaces and full-width input are the same person.
    for typed in (" 11010519491231002x ", "１１０１０５１９４９１２３１００２Ｘ"):
        assert cipher.lookup_hash(typed, field="id_number") == cipher.lookup_hash(
            ID, field="id_number"
        )
    assert cipher.lookup_hash(ID, field="id_number") != cipher.lookup_hash(ID, field="other")
    other_key = PiiCipher({"a": b"A" * 16}, "a", b"M" * 32)
    assert other_key.lookup_hash(ID, field="id_number") != cipher.lookup_hash(ID, field="id_number")
    assert normalize_lookup_value(" 138 ") == "138"


def test_constructor_refuses_bad_keys() -> None:
    with pytest.raises(ValueError):
        PiiCipher({}, "a", b"L" * 32)
    with pytest.raises(ValueError):
        PiiCipher({"a": b"short"}, "a", b"L" * 32)
    with pytest.raises(ValueError):
        PiiCipher({"a": b"A" * 16}, "b", b"L" * 32)
    with pytest.raises(ValueError):
        PiiCipher({"a": b"A" * 16}, "a", b"L" * 31)
    with pytest.raises(ValueError):
        PiiCipher({"a:b": b"A" * 16}, "a:b", b"L" * 32)


def test_repr_hides_keys() -> None:
    text = repr(make_cipher())
    assert "AAAA" not in text and "LLLL" not in text and "'a'" in text


def test_from_settings_and_generate_keyset() -> None:
    spec, current, lookup = generate_keyset()
    cipher = PiiCipher.from_settings(spec, current, lookup)
    assert cipher.current_key_id == current
    assert cipher.decrypt(cipher.encrypt(ID, field="f"), field="f") == ID
    assert generate_keyset()[0] != spec

    old = base64.b64encode(secrets.token_bytes(16)).decode()
    new = base64.b64encode(secrets.token_bytes(16)).decode()
    rotated = PiiCipher.from_settings(
        Secret(f"old:{old}, new:{new} ,"), Secret("new"), Secret(lookup)
    )
    assert rotated.current_key_id == "new"
    older = PiiCipher.from_settings(f"old:{old}", "old", lookup)
    assert rotated.decrypt(older.encrypt(ID, field="f"), field="f") == ID


@pytest.mark.parametrize(
    "spec",
    ["a", "a:!!!notbase64", "a:" + base64.b64encode(b"x" * 15).decode(), "a:AAAA,a:AAAA"],
)
def test_from_settings_refuses_bad_specs(spec: str) -> None:
    lookup = base64.b64encode(b"L" * 32).decode()
    with pytest.raises(ValueError):
        PiiCipher.from_settings(spec, "a", lookup)


def test_masks() -> None:
    assert mask_id_number(ID) == "1101**********002X"
    assert mask_phone("13812345678") == "138****5678"
    assert mask_name("张三丰") == "张**"
    assert mask_name("张三") == "张*"
    assert mask_name("张") == "*"
    assert mask_name("") == ""
    assert mask_id_number("1234") == "****"
    assert mask_phone("12345") == "*****"


def test_valid_id_number() -> None:
    assert valid_id_number(ID)
    assert valid_id_number(ID.lower())
    assert valid_id_number("440304199001011233")
    assert not valid_id_number("440304199001011234")  # wrong check character
    assert not valid_id_number(ID[:17])
    assert not valid_id_number(ID + "\n")
    assert not valid_id_number("01010519491231002X")  # region cannot start with 0
    assert not valid_id_number("110105194902300000")  # 30 February
    assert not valid_id_number("110105180001010000")  # before 1900
    assert not valid_id_number("１１０１０５１９４９１２３１００２X")  # full-width digits
    future = "11010520990101"
    future += "123" + id_number_check_character(future + "123")
    assert valid_id_number(future, today=date(2100, 1, 1))
    assert not valid_id_number(future, today=date(2026, 1, 1))


def test_valid_mobile() -> None:
    assert valid_mobile("13812345678")
    assert valid_mobile("19912345678")
    assert not valid_mobile("12812345678")
    assert not valid_mobile("1381234567")
    assert not valid_mobile("138123456789")
    assert not valid_mobile("13812345678\n")
    assert not valid_mobile("１３８１２３４５６７８")
    assert not valid_mobile("+8613812345678")
