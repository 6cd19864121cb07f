#!/usr/bin/env bash
# What the browser downloads, and what is in it. Lists the front end's files
# of the last release build (`cargo leptos build --release --precompress
# --split`, as scripts/run.sh and the bench scripts make it) with their
# brotli sizes, then the main WebAssembly file's code by crate, from twiggy
# (crates.io; installed if missing) on the build's copy that still has
# function names. Usage: scripts/wasm-size.sh [ROWS] (default 25).
set -euo pipefail
cd "$(dirname "$0")/.."
rows=${1:-25}
pkg=target/site/pkg
named=target/front/wasm32-unknown-unknown/wasm-release/forgekey_split.wasm
if [ ! -f "$named" ] || ! ls "$pkg"/forgekey.*.wasm >/dev/null 2>&1; then
  echo "no split release build here: run cargo leptos build --release --precompress --split" >&2
  exit 1
fi
command -v twiggy >/dev/null || PATH="$HOME/.cargo/bin:$PATH"
command -v twiggy >/dev/null || cargo install twiggy --locked

echo "==> Files in $pkg (bytes, brotli bytes); chunk_* files are shared by split pages"
for f in "$pkg"/*; do
  case "$f" in *.br | *.gz) continue ;; esac
  br=$([ -f "$f.br" ] && stat -c %s "$f.br" || echo -)
  printf '%9s %9s  %s\n' "$(stat -c %s "$f")" "$br" "${f#"$pkg"/}"
done | grep -v ' chunk_' | sort -k3

echo "==> The main file's code by crate (before wasm-opt, so larger than shipped)"
twiggy top -n 1000000 --format csv "$named" | python3 -c '
import csv, re, sys, collections
rows = int(sys.argv[1])
generic = {"core", "alloc", "std", "impl", "as"}
sizes = collections.Counter()
for row in csv.DictReader(sys.stdin):
    name, size = row["Name"], int(row["ShallowSize"])
    # Sections, names and wasm-bindgen descriptors are not shipped.
    if name.startswith("custom section") or "subsection" in name or "wbindgen_describe" in name:
        continue
    # The first segment of a path (not one after "::") names its crate.
    paths = re.findall(r"(?:^|[<\s(&,*;])([a-z_][a-z0-9_]*)(?:\[[0-9a-f]+\])?::", name)
    crates = [c for c in paths if c not in generic]
    sizes[crates[0] if crates else "(std and data)"] += size
total = sum(sizes.values())
for crate, size in sizes.most_common(rows):
    print(f"{size:>9} {100 * size / total:5.1f} %  {crate}")
print(f"{total:>9} 100.0 %  (all)")
' "$rows"
