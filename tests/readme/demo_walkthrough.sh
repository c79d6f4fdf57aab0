#!/usr/bin/env bash
# The README's demo walk-through, as written, in a copy of the checkout's
# flows/ folder: every command twice (a cron job reruns; a user presses the
# up arrow), none may exit non-zero, and the warehouse ends as the README says.
#   demo_walkthrough.sh SOURCE_DIR BUILD_DIR
set -euo pipefail
src=$1
build=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/flows"
cp -r "$src/flows/." "$work/flows/"
rm -rf "$work/flows/.ingestd" "$work/flows/warehouse.db"* "$work/flows/data/orders_2026_03.csv"
ln -s "$build" "$work/build"
cd "$work"

# tools/demo installs and builds, then runs these (its own lines, not a copy).
demo_runs=$(grep -E '^build/bin/ingestd ' "$src/tools/demo")
# The fenced block under "### The demo, one step further".
commands=$(awk '/^### The demo, one step further/ {in_section = 1}
                in_section && /^```sh/ {in_block = 1; next}
                in_block && /^```/ {exit}
                in_block {print}' "$src/README.md")
[[ -n "$commands" ]] || { echo "no demo walk-through found in README.md" >&2; exit 1; }

run() {
  local cmd=$1
  for attempt in 1 2; do
    echo "\$ $cmd   (run $attempt)"
    if ! bash -c "$cmd"; then
      echo "demo walk-through: '$cmd' failed on run $attempt" >&2
      exit 1
    fi
  done
}

while IFS= read -r line; do
  cmd=$(sed -E 's/[[:space:]]+#.*$//' <<<"$line")
  [[ -z "$cmd" ]] && continue
  if [[ "$cmd" == "tools/demo" ]]; then
    while IFS= read -r d; do run "$d"; done <<<"$demo_runs"
  else
    run "$cmd"
  fi
done <<<"$commands"

# As the README says: 11 orders, 1007 corrected rather than doubled.
count=$(sqlite3 flows/warehouse.db "SELECT count(*) || '/' || count(DISTINCT order_id) FROM orders")
note=$(sqlite3 flows/warehouse.db "SELECT note FROM orders WHERE order_id = 1007")
[[ "$count" == "11/11" ]] || { echo "expected 11 distinct orders, found $count" >&2; exit 1; }
[[ "$note" == "refunded in March" ]] || { echo "order 1007 reads '$note'" >&2; exit 1; }
echo "demo walk-through: every command ran twice, exit 0"
