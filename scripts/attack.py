"""Replays the attacks of the security review against a running Forgekey and
prints, per limit, how many secrets were checked against the limit.

Bursts are synchronized the way an attacker does it: every request is sent
but its last byte, then all last bytes go out together. Standard library
only. Run through scripts/attack.sh, which builds and starts the server.

    python3 scripts/attack.py HOST PORT [--burst N] [--header-timeout S]
"""

import argparse
import asyncio
import base64
import hashlib
import hmac
import json
import struct
import sys
import time
import urllib.parse
import zlib

PASSWORD = "attack-script-password"


async def send_burst(host, port, requests, release_delay=0.3):
    """Sends raw HTTP requests together (last-byte sync); their statuses."""
    conns = []
    for raw in requests:
        reader, writer = await asyncio.open_connection(host, port)
        writer.write(raw[:-1])
        conns.append((reader, writer, raw[-1:]))
    await asyncio.gather(*(w.drain() for _, w, _ in conns))
    await asyncio.sleep(release_delay)
    for _, writer, last in conns:
        writer.write(last)

    async def status(reader, writer):
        try:
            line = await asyncio.wait_for(reader.readline(), 30)
            await asyncio.wait_for(reader.read(), 30)
            return int(line.split()[1]) if line else 0
        except (asyncio.TimeoutError, ConnectionError, IndexError, ValueError):
            return 0
        finally:
            writer.close()

    return await asyncio.gather(*(status(r, w) for r, w, _ in conns))


def raw_request(method, path, headers=None, body=b""):
    lines = [f"{method} {path} HTTP/1.1", "Host: localhost", "Connection: close"]
    for name, value in (headers or {}).items():
        lines.append(f"{name}: {value}")
    if body or method == "POST":
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def server_fn(name, form, cookie=None):
    body = urllib.parse.urlencode(form).encode()
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "Accept": "application/json",
        "Sec-Fetch-Site": "same-origin",
    }
    if cookie:
        headers["Cookie"] = cookie
    return raw_request("POST", f"/_fn/{name}", headers, body)


async def call(host, port, name, form, cookie=None):
    """One server function call: status, body, and the session cookie."""
    reader, writer = await asyncio.open_connection(host, port)
    writer.write(server_fn(name, form, cookie))
    await writer.drain()
    data = await reader.read()
    writer.close()
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    status = int(lines[0].split()[1])
    for line in lines[1:]:
        if line.lower().startswith("set-cookie: forgekey_session="):
            cookie = line.split(":", 1)[1].strip().split(";")[0]
    return status, body.decode(errors="replace"), cookie


def totp(manual_key, at):
    secret = base64.b32decode(manual_key.replace(" ", "").upper() + "=" * (-len(manual_key.replace(" ", "")) % 8))
    digest = hmac.new(secret, struct.pack(">Q", int(at) // 30), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    code = (struct.unpack(">I", digest[offset:offset + 4])[0] & 0x7FFFFFFF) % 1_000_000
    return f"{code:06d}"


ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def base62(number, digits):
    out = []
    for _ in range(digits):
        number, rem = divmod(number, 62)
        out.append(ALPHABET[rem])
    return "".join(reversed(out))


def forged_token(i):
    """A well-formed token (its checksum holds) that was never issued."""
    body = "fkpat-" + base62(int.from_bytes(hashlib.sha256(str(i).encode()).digest(), "big"), 43)
    return body + base62(zlib.crc32(body.encode()), 6)


def tally(statuses):
    counts = {}
    for s in statuses:
        counts[s] = counts.get(s, 0) + 1
    return dict(sorted(counts.items()))


def report(name, checked, limit, counts):
    verdict = "holds" if checked <= limit else "BROKEN"
    print(f"{name:<34} checked {checked:>4} of limit {limit:>3}  {verdict}   answers {counts}")
    return checked <= limit


async def password_burst(host, port, burst):
    await call(host, port, "sign_up", {"username": "victim", "email": "victim@example.com", "password": PASSWORD})
    reqs = [server_fn("sign_in", {"login": "victim", "password": f"guess-{i}"}) for i in range(burst)]
    statuses = await send_burst(host, port, reqs)
    counts = tally(statuses)
    # 401: checked and wrong; the one that reached the limit answers 423
    # like the refused ones, so a lock means one more was checked.
    status, _, _ = await call(host, port, "sign_in", {"login": "victim", "password": PASSWORD})
    checked = counts.get(401, 0) + (1 if status == 423 else 0)
    return report("sign-in passwords (per account)", checked, 10, counts)


async def totp_burst(host, port, burst):
    _, _, cookie = await call(host, port, "sign_up", {"username": "phone", "email": "phone@example.com", "password": PASSWORD})
    await call(host, port, "start_two_factor", {"password": PASSWORD}, cookie)
    _, body, _ = await call(host, port, "load_two_factor", {}, cookie)
    key = json.loads(body)["enrolment"]["manual_key"]
    status, _, _ = await call(host, port, "confirm_two_factor", {"code": totp(key, time.time())}, cookie)
    assert status == 200, status
    await call(host, port, "sign_out", {}, cookie)
    status, _, pending = await call(host, port, "sign_in", {"login": "phone", "password": PASSWORD})
    assert status == 200, status
    right = totp(key, time.time())
    guesses = [f"{(i * 7919) % 1_000_000:06d}" for i in range(burst)]
    guesses = [g for g in guesses if g != right][: burst - 1] + [right]
    reqs = [server_fn("verify_two_factor", {"code": g}, pending) for g in guesses]
    statuses = await send_burst(host, port, reqs)
    counts = tally(statuses)
    signed_in = counts.get(200, 0) == 1
    # The code that reached the limit answers 423 like the refused ones: a
    # lock after the burst means one more was checked.
    _, _, again = await call(host, port, "sign_in", {"login": "phone", "password": PASSWORD})
    status, _, _ = await call(host, port, "verify_two_factor", {"code": "000000"}, again)
    checked = counts.get(422, 0) + counts.get(200, 0) + (1 if status == 423 else 0)
    # A right code starts the count afresh, as a right password does.
    ok = report("second-step codes (per account)", checked, 10 if signed_in else 5, counts)
    print(f"{'':<34} the right code in the burst: {'signed in (count restarts)' if signed_in else 'refused'}")
    return ok


async def git_burst(host, port, burst):
    _, _, cookie = await call(host, port, "sign_up", {"username": "gitter", "email": "gitter@example.com", "password": PASSWORD})
    await call(host, port, "create_project", {"name": "repo", "visibility": "private"}, cookie)
    reqs = []
    for i in range(burst):
        basic = base64.b64encode(f"gitter:{forged_token(i)}".encode()).decode()
        reqs.append(raw_request("GET", "/gitter/repo.git/info/refs?service=git-upload-pack", {"Authorization": f"Basic {basic}"}))
    statuses = await send_burst(host, port, reqs)
    counts = tally(statuses)
    return report("Git credentials (per address)", counts.get(401, 0), 10, counts)


async def slow_clients(host, port, header_timeout, idle=1000, drip=500):
    """Holds idle and dripping sockets; normal requests must still be answered."""
    held = []
    for _ in range(idle):
        held.append(await asyncio.open_connection(host, port))

    async def dripper():
        reader, writer = await asyncio.open_connection(host, port)
        writer.write(b"GET /-/liveness HTTP/1.1\r\nHost: localhost\r\n")
        started = time.monotonic()
        try:
            for i in range(1000):
                await asyncio.sleep(1)
                writer.write(f"X-Drip-{i}: x\r\n".encode())
                await writer.drain()
                if reader.at_eof():
                    break
                try:
                    if await asyncio.wait_for(reader.read(1), 0.01) == b"":
                        break
                except asyncio.TimeoutError:
                    pass
        except ConnectionError:
            pass
        writer.close()
        return time.monotonic() - started

    drips = [asyncio.create_task(dripper()) for _ in range(drip)]
    latencies = []
    for _ in range(20):
        started = time.monotonic()
        statuses = await send_burst(host, port, [raw_request("GET", "/-/liveness")], release_delay=0)
        latencies.append((time.monotonic() - started, statuses[0]))
    answered = sum(1 for _, s in latencies if s == 200)
    worst = max(t for t, _ in latencies)

    async def closed(reader):
        """Whether the server closed the socket in time (read() ends at EOF)."""
        try:
            await asyncio.wait_for(reader.read(), header_timeout + 10)
            return True
        except (asyncio.TimeoutError, ConnectionError):
            return False

    idle_closed = sum(await asyncio.gather(*(closed(r) for r, _ in held)))
    held_for = await asyncio.gather(*drips)
    for _, w in held:
        w.close()
    ok = answered == 20 and idle_closed == idle and max(held_for) < header_timeout + 5
    print(
        f"{'slow and idle clients':<34} {idle} idle, {drip} dripping: normal requests answered {answered}/20 "
        f"(slowest {worst * 1000:.0f} ms); idle closed {idle_closed}/{idle}; drips held at most "
        f"{max(held_for):.1f} s (header timeout {header_timeout} s)  {'holds' if ok else 'BROKEN'}"
    )
    return ok


def rss_mib(pid):
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except (OSError, ValueError):
        pass
    return float("nan")


async def big_heads(host, port, pid, sockets=1000, size=380_000):
    """Sockets that each send most of a huge request head and then wait."""
    before = rss_mib(pid)

    async def one():
        try:
            reader, writer = await asyncio.open_connection(host, port)
            writer.write(b"GET /-/liveness HTTP/1.1\r\nHost: localhost\r\n")
            line = b"X-Padding: " + b"a" * 1000 + b"\r\n"
            for _ in range(size // len(line)):
                writer.write(line)
                await asyncio.wait_for(writer.drain(), 10)
            return writer
        except (ConnectionError, asyncio.TimeoutError):
            return None

    writers = await asyncio.gather(*(one() for _ in range(sockets)))
    during = rss_mib(pid)
    statuses = await send_burst(host, port, [raw_request("GET", "/-/liveness")], release_delay=0)
    for w in writers:
        if w is not None:
            w.close()
    refused = sum(1 for w in writers if w is None)
    ok = statuses[0] == 200 and during < before + 200
    print(
        f"{'huge request heads':<34} {sockets} sockets x {size // 1000} KB: {refused} refused early; server RSS "
        f"{before:.0f} MiB -> {during:.0f} MiB while held; a normal request meanwhile: {statuses[0]}  "
        f"{'holds' if ok else 'BROKEN'}"
    )
    return ok


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("host")
    parser.add_argument("port", type=int)
    parser.add_argument("--burst", type=int, default=500)
    parser.add_argument("--header-timeout", type=int, default=15)
    parser.add_argument("--server-pid", type=int, default=0)
    args = parser.parse_args()
    results = [
        await password_burst(args.host, args.port, args.burst),
        await totp_burst(args.host, args.port, args.burst),
        await git_burst(args.host, args.port, min(args.burst, 200)),
        await slow_clients(args.host, args.port, args.header_timeout),
        await big_heads(args.host, args.port, args.server_pid),
    ]
    sys.exit(0 if all(results) else 1)


if __name__ == "__main__":
    asyncio.run(main())
