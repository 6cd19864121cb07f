#!/usr/bin/env bash
# Benchmarks pushing and pulling a ~50 MB image (FORGEKEY_BENCH_IMAGE_MB)
# through a real registry (Debian's docker-registry, Distribution 2.8) with
# Forgekey as its token server, against the same registry program with no
# authentication, in one run: skopeo copies the image to a new repository
# and back (fresh client state each time, so every blob travels), three
# rounds each, best time reported, and the ratio.
# Not a test: figures vary with the machine; compare the ratio.
#   scripts/bench-registry.sh
set -euo pipefail
cd "$(dirname "$0")/.."
FORGEKEY_SETUP_TESTS=1 scripts/setup.sh >/dev/null
megabytes=${FORGEKEY_BENCH_IMAGE_MB:-50}
port=${FORGEKEY_BENCH_PORT:-3202}
auth_port=${FORGEKEY_BENCH_REGISTRY_PORT:-5252}
open_port=$((auth_port + 1))
source scripts/lib/release-server.sh
prepare_release_run bench-registry
open_pid=""
trap '[ -n "$open_pid" ] && kill "$open_pid" 2>/dev/null; cleanup_release_run' EXIT

echo "==> An OCI image of ${megabytes} MB (one gzipped layer of random bytes)"
image="$work/image"
mkdir -p "$image/blobs/sha256" "$work/files"
head -c "$((megabytes * 1000 * 1000))" /dev/urandom >"$work/files/data.bin"
tar --owner=0 --group=0 --mtime=@0 -C "$work/files" -cf "$work/layer.tar" data.bin
diff_id=$(sha256sum "$work/layer.tar" | cut -d' ' -f1)
gzip -1 -n -c "$work/layer.tar" >"$work/layer.tar.gz"
put() { # FILE -> "digest size", stored as a blob
  local d; d=$(sha256sum "$1" | cut -d' ' -f1)
  cp "$1" "$image/blobs/sha256/$d"
  echo "$d $(stat -c %s "$1")"
}
read -r layer layer_size < <(put "$work/layer.tar.gz")
printf '{"architecture":"amd64","os":"linux","config":{},"rootfs":{"type":"layers","diff_ids":["sha256:%s"]}}' \
  "$diff_id" >"$work/config.json"
read -r config config_size < <(put "$work/config.json")
printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":%s},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"sha256:%s","size":%s}]}' \
  "$config" "$config_size" "$layer" "$layer_size" >"$work/manifest.json"
read -r manifest manifest_size < <(put "$work/manifest.json")
printf '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%s","size":%s,"annotations":{"org.opencontainers.image.ref.name":"1"}}]}' \
  "$manifest" "$manifest_size" >"$image/index.json"
echo '{"imageLayoutVersion":"1.0.0"}' >"$image/oci-layout"

echo "==> Forgekey on 127.0.0.1:$port, its registry on 127.0.0.1:$auth_port"
data="$work/data"
echo 'bench-password-1' | "$bin" --data-dir "$data" user create --username bench --email bench@example.com --password-stdin >/dev/null
"$bin" --data-dir "$data" project create --user bench --name images >/dev/null
"$bin" --data-dir "$data" registry enable --host "127.0.0.1:$auth_port" >/dev/null
token=$("$bin" --data-dir "$data" token create --user bench --name bench --scopes write_registry \
  --expires-at "$(date -u -d '+30 days' +%F)" 2>/dev/null | tail -1)
LEPTOS_SITE_ROOT=target/site RUST_LOG=warn "$bin" --data-dir "$data" serve --addr "127.0.0.1:$port" \
  --registry-addr "127.0.0.1:$auth_port" >"$work/server.log" 2>&1 &
server_pid=$!
wait_for_server "$port"

echo "==> The same registry program without authentication on 127.0.0.1:$open_port"
mkdir -p "$work/open"
cat >"$work/open.yml" <<YAML
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: "$work/open"
http:
  addr: "127.0.0.1:$open_port"
  secret: "bench"
YAML
docker-registry serve "$work/open.yml" >"$work/open.log" 2>&1 &
open_pid=$!
for p in "$auth_port" "$open_port"; do
  for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$p/v2/" && break; sleep 0.1; done
done

# best HOST CREDS-ARGS...: best push and best pull of three rounds, "push pull".
best() {
  local host=$1; shift
  local best_push="" best_pull=""
  for round in 1 2 3; do
    local home="$work/home-$host-$round" repo="bench/images/r$round"
    mkdir -p "$home"
    local start mid end
    # skopeo remembers where it saw each blob (as root, in one cache for
    # everyone); forgotten, every push uploads the whole layer instead of
    # mounting it from an earlier round's repository.
    rm -f /var/lib/containers/cache/blob-info-cache-v1.sqlite 2>/dev/null || true
    start=$(date +%s.%N)
    HOME="$home" skopeo --insecure-policy copy --quiet --dest-tls-verify=false "$@" \
      "oci:$image:1" "docker://$host/$repo:1"
    mid=$(date +%s.%N)
    HOME="$home" skopeo --insecure-policy copy --quiet --src-tls-verify=false \
      ${creds_src:+--src-creds "$creds_src"} "docker://$host/$repo:1" "oci:$work/back-$round:1"
    end=$(date +%s.%N)
    [ -f "$work/back-$round/blobs/sha256/$layer" ] || { echo "the pulled image lacks its layer"; exit 1; }
    rm -rf "$work/back-$round"
    local push pull
    push=$(awk -v a="$start" -v b="$mid" 'BEGIN { printf "%.3f", b - a }')
    pull=$(awk -v a="$mid" -v b="$end" 'BEGIN { printf "%.3f", b - a }')
    if [ -z "$best_push" ] || awk -v t="$push" -v b="$best_push" 'BEGIN { exit !(t < b) }'; then best_push=$push; fi
    if [ -z "$best_pull" ] || awk -v t="$pull" -v b="$best_pull" 'BEGIN { exit !(t < b) }'; then best_pull=$pull; fi
  done
  echo "$best_push $best_pull"
}
creds_src=""
read -r open_push open_pull < <(best "127.0.0.1:$open_port" --dest-no-creds)
creds_src="bench:$token"
read -r auth_push auth_pull < <(best "127.0.0.1:$auth_port" --dest-creds "bench:$token")
printf '%-44s %8s %8s\n' "${megabytes} MB image, best of three" "push" "pull"
printf '%-44s %7.3fs %7.3fs\n' "registry without authentication (baseline)" "$open_push" "$open_pull"
printf '%-44s %7.3fs %7.3fs\n' "registry with Forgekey token auth" "$auth_push" "$auth_pull"
printf '%-44s %8.2f %8.2f\n' "ratio (Forgekey / baseline)" \
  "$(awk -v a="$auth_push" -v b="$open_push" 'BEGIN { print a / b }')" \
  "$(awk -v a="$auth_pull" -v b="$open_pull" 'BEGIN { print a / b }')"
