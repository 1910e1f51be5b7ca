"""The display codes' signer (the costly half of each SM2 signature computed ahead, in
batches, in a worker process): its signatures are standard SM2-SM3, checked by gmssl-pyx's verifier
(DER), by our verifier and by the pure-Python gmssl package; a nonce is never used twice,
also by concurrent requests, also in a forked child."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys

from core import sm2
from tests.fixtures.licences import pure_sm2_peer
from tests.fixtures.waiting import eventually


def test_signatures_verify_with_three_verifiers_and_no_nonce_repeats() -> None:
    key = sm2.Sm2KeyPair.generate()
    signer = sm2.Sm2Signer(key, batch=16)  # small batches: the pool runs dry and refills
    try:
        messages = [os.urandom(20 + i % 50) for i in range(120)]
        signatures = [signer.sign(m) for m in messages]
    finally:
        signer.close()
    ours = sm2.Sm2Verifier(key.public_key)
    peer = pure_sm2_peer(key.public_key.hex())
    for message, raw in zip(messages, signatures, strict=True):
        assert len(raw) == 64
        assert ours.verify(message, raw)
        assert sm2.verify(key.public_key, message, sm2.raw_to_der(raw))
        assert peer.verify_with_sm3(raw.hex(), message)
        assert not ours.verify(message + b"x", raw)
    # r = e + x1 (mod n): with distinct messages a repeated k would still show as a repeated
    # x1; each r minus its own e gives x1 back.
    z = sm2.signer_z(key.public_key)
    x1s = {
        (int.from_bytes(raw[:32], "big") - int.from_bytes(sm2.sm3(z + m), "big")) % sm2.ORDER
        for m, raw in zip(messages, signatures, strict=True)
    }
    assert len(x1s) == len(messages)


async def test_a_forked_child_drops_the_nonces_it_inherited() -> None:
    key = sm2.Sm2KeyPair.generate()
    signer = sm2.Sm2Signer(key, batch=8)
    try:
        signer.sign(b"warm")  # the pool is filled in this process

        async def filled() -> bool:
            return len(signer._nonces) > 0

        await eventually(filled)
        inherited = list(signer._nonces)
        assert inherited
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: sign once, report the nonce's x1, leave without cleanup
            try:
                raw = signer.sign(b"child")
                e = int.from_bytes(sm2.sm3(sm2.signer_z(key.public_key) + b"child"), "big")
                x1 = (int.from_bytes(raw[:32], "big") - e) % sm2.ORDER
                os.write(write, x1.to_bytes(32, "big"))
                signer.close()  # the child's own worker, if it started one
            finally:
                os._exit(0)
        os.close(write)
        reported = os.read(read, 32)
        os.close(read)
        os.waitpid(pid, 0)
    finally:
        signer.close()
    assert len(reported) == 32
    assert int.from_bytes(reported, "big") not in {x1 for _, x1 in inherited}


async def test_the_nonce_process_exits_when_its_owner_is_killed() -> None:
    """SIGKILL runs no cleanup and the pool's process was started by whichever thread signed
    first, so only its own watch on its parent can end it."""
    owner = subprocess.Popen([sys.executable, "-c", _OWNER], stdout=subprocess.PIPE, text=True)
    try:
        assert owner.stdout is not None
        helper = int(await asyncio.to_thread(owner.stdout.readline))
        assert _alive(helper)
    finally:
        owner.kill()
        owner.wait()

    async def gone() -> bool:
        return not _alive(helper)

    await eventually(gone)


_OWNER = """
import multiprocessing.process, sys, time
from core import sm2
signer = sm2.Sm2Signer(sm2.Sm2KeyPair.generate(), batch=8)
signer.sign(b"warm")
while not signer._nonces:
    time.sleep(0.05)
print(next(iter(multiprocessing.active_children())).pid, flush=True)
time.sleep(600)
"""


def _alive(pid: int) -> bool:
    """Running and not a zombie (a zombie of init's is reaped soon but has no process left)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False
