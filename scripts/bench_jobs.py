"""Fills a Forgekey SQLite database with users and tokens, then times the
daily jobs (see bench-jobs.sh). Rows are written straight into the tables:
the secrets behind the digests are never needed, no token is used."""

import os
import resource
import sqlite3
import subprocess
import sys
import time

DAY = 86_400


def populate(db: sqlite3.Connection, users: int, tokens: int, today: int) -> None:
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("PRAGMA synchronous = OFF")
    with db:
        db.executemany(
            "INSERT INTO users (id, username, username_key, email, email_key, password_hash, "
            "created_at) VALUES (?, ?, ?, ?, ?, 'x', ?)",
            ((i, f"user{i}", f"user{i}", f"user{i}@example.com", f"user{i}@example.com", today)
             for i in range(1, users + 1)),
        )
    with db:
        db.executemany(
            "INSERT INTO personal_access_tokens (user_id, name, token_digest, scopes, created_at, "
            "expires_at, revoked_at) VALUES (?, ?, ?, 'api', ?, ?, ?)",
            ((1 + i % users, f"token {i}", f"{i:064x}", today - 100 * DAY,
              today + (i % 366) * DAY,
              today - 90 * DAY if i % 10 == 0 else None)
             for i in range(tokens)),
        )
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def timed_run(argv: list[str]) -> tuple[float, int, str]:
    """Wall seconds, peak RSS in MiB (of this child alone) and output."""
    start = time.perf_counter()
    pid = os.fork()
    if pid == 0:
        fd = os.open(os.devnull, os.O_WRONLY)
        os.dup2(fd, 2)
        out = os.open(OUT, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
        os.dup2(out, 1)
        os.execv(argv[0], argv)
    _, status, usage = os.wait4(pid, 0)
    elapsed = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"{argv} failed")
    with open(OUT) as f:
        output = f.read().strip()
    return elapsed, usage.ru_maxrss // 1024, output


def main() -> None:
    global OUT
    binary, data, users, tokens = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    OUT = os.path.join(data, "job.out")
    path = os.path.join(data, "forgekey.db")
    now = int(time.time())
    today = now - now % DAY
    print(f"==> {users:,} users, {tokens:,} tokens")
    start = time.perf_counter()
    populate(sqlite3.connect(path), users, tokens, today)
    print(f"    written in {time.perf_counter() - start:.1f} s")

    db = sqlite3.connect(path)
    start = time.perf_counter()
    rows = sum(1 for _ in db.execute("SELECT * FROM personal_access_tokens"))
    baseline = time.perf_counter() - start
    print(f"baseline: reading all {rows:,} token rows once: {baseline:.2f} s")

    at = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(today + 3 * 3600))
    for round_name in ("first run", "second run (nothing left to send)"):
        print(f"==> {round_name}")
        for job in ("expiring-soon", "expiring-today", "purge-revoked"):
            secs, rss, out = timed_run([binary, "--data-dir", data, "jobs", "run", job, "--at", at])
            print(f"{job:15} {secs:6.2f} s  ({secs / baseline:5.2f}x baseline)  "
                  f"peak RSS {rss:4d} MiB  {out}")


if __name__ == "__main__":
    main()
