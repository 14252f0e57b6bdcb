#!/usr/bin/env bash
# Compares what two gradsieve binaries write for every method on one generated pool: the
# curricula, scores.jsonl and the journal's records (its header names the run, which differs).
#
#   scripts/check-identity.sh OLD-BINARY NEW-BINARY [WORKDIR]
#
# Prints one line per configuration and exits 1 if any output differs. Used to show that a
# refactoring (issue 13) changed no output.
set -euo pipefail
old=$1 new=$2 work=${3:-$(mktemp -d)}
pool=$work/pool
"$new" generate --out "$pool" --rows 3000 --dim 32 --dtype f16 --validation 20 --seed 9 --rows-per-file 1000 --force >/dev/null 2>&1
configs=(
  "--method gradalign --budget 100"
  "--method gradalign --budget 60 --diversity facility-location --pool-factor 4 --partitions 3"
  "--method learnalign --budget 100"
  "--method limr"
  "--method limr --budget 90"
  "--method gainrl --budget 100 --epochs 3"
  "--method accuracy-band --budget 100 --low 0.2 --high 0.8"
  "--method random --budget 100 --epochs 2"
)
status=0
# The journal's records after its header (record 0 names the run, which differs), sorted: with
# several workers or slots, results are journaled in the order they arrive.
journal_records() { python3 - "$1" <<'PY'
import hashlib, struct, sys
data, records, at = open(sys.argv[1], 'rb').read(), [], 0
while at + 8 <= len(data):
    length = struct.unpack_from('<I', data, at)[0]
    records.append(data[at + 8:at + 8 + length])
    at += 8 + length
print(hashlib.sha256(b''.join(sorted(records[1:]))).hexdigest(), len(records) - 1)
PY
}
for index in "${!configs[@]}"; do
  config=${configs[$index]}
  for workers in 1 2; do
    for side in old new; do
      binary=$old; [ "$side" = new ] && binary=$new
      # shellcheck disable=SC2086
      if ! "$binary" select --data "$pool" --workers "$workers" --shard-rows 256 --out "$work/$side-$index-$workers" --force $config >/dev/null 2>"$work/$side.log"; then
        echo "$side binary failed on: $config"; cat "$work/$side.log"; exit 1
      fi
    done
    same=yes
    compared=0
    for file in $(cd "$work/old-$index-$workers" && find . -name 'curriculum.jsonl' -o -name 'scores.jsonl' | sort); do
      cmp -s "$work/old-$index-$workers/$file" "$work/new-$index-$workers/$file" || { same=no; echo "  differs: $file"; }
      compared=$((compared + 1))
    done
    [ "$compared" -gt 0 ] || { same=no; echo "  no outputs to compare"; }
    if [ "$(journal_records "$work/old-$index-$workers/journal.gsj")" != "$(journal_records "$work/new-$index-$workers/journal.gsj")" ]; then
      same=no; echo "  differs: the journal's records"
    fi
    echo "$config --workers $workers: identical=$same ($compared files and the journal)"
    [ "$same" = yes ] || status=1
  done
done
exit $status
