#!/usr/bin/env bash
# Runs a coordinator and a worker as two hosts: network namespaces joined by a veth pair, the
# worker reaching the coordinator at its own address with the cluster token. Compares the
# curriculum with a local `select`. Exits 77 (skip) where namespaces cannot be made.
# Usage: scripts/netns-test.sh path/to/gradsieve
set -euo pipefail
bin=$(realpath "${1:-.build/debug/gradsieve}")
if [ "$(id -u)" != 0 ] || ! command -v ip >/dev/null; then
  echo "skip: network namespaces need root and iproute2"; exit 77
fi
suffix=$$
a=gs-coord-$suffix b=gs-work-$suffix
work=$(mktemp -d)
cleanup() {
  ip netns pids "$a" 2>/dev/null | xargs -r kill 2>/dev/null || true
  ip netns pids "$b" 2>/dev/null | xargs -r kill 2>/dev/null || true
  ip netns del "$a" 2>/dev/null || true
  ip netns del "$b" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
if ! ip netns add "$a" 2>/dev/null; then echo "skip: cannot create network namespaces here"; exit 77; fi
ip netns add "$b"
ip link add "va$suffix" type veth peer name "vb$suffix"
ip link set "va$suffix" netns "$a"
ip link set "vb$suffix" netns "$b"
ip -n "$a" addr add 10.77.0.1/24 dev "va$suffix"
ip -n "$b" addr add 10.77.0.2/24 dev "vb$suffix"
for ns in "$a" "$b"; do ip -n "$ns" link set lo up; done
ip -n "$a" link set "va$suffix" up
ip -n "$b" link set "vb$suffix" up

"$bin" generate --out "$work/pool" --rows 2000 --dim 16 --validation 32 >/dev/null
args=(--method gradalign --budget 50 --shard-rows 128)
"$bin" select --data "$work/pool" --workers 1 --out "$work/local" "${args[@]}" 2>/dev/null >/dev/null
head -c 32 /dev/urandom | base64 > "$work/token"
ip netns exec "$a" "$bin" coordinator --listen 10.77.0.1:7070 --token-file "$work/token" --data "$work/pool" \
  --expect-workers 1 --out "$work/remote" "${args[@]}" 2> "$work/coordinator.log" &
coordinator=$!
ip netns exec "$b" "$bin" worker --connect 10.77.0.1:7070 --token-file "$work/token" --data "$work/pool" \
  --name remote-host 2> "$work/worker.log"
wait "$coordinator"
if ! grep -q "joined from 10.77.0.2" "$work/coordinator.log"; then
  echo "FAIL: the worker did not join from the other namespace"; cat "$work/coordinator.log"; exit 1
fi
if cmp -s "$work/local/epoch-0001/curriculum.jsonl" "$work/remote/epoch-0001/curriculum.jsonl"; then
  echo "ok: worker at 10.77.0.2 in its own namespace gave the local curriculum"
else
  echo "FAIL: curricula differ"; exit 1
fi
