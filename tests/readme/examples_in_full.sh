#!/usr/bin/env bash
# The README's "Writing a plugin" shows each example plugin in full: every
# file of plugin-abi/examples/ must appear there verbatim, as one cpp block
# right after the link to it.
#   examples_in_full.sh SOURCE_DIR
set -euo pipefail
src=$1
status=0
for file in "$src"/plugin-abi/examples/*.cpp; do
  name=plugin-abi/examples/$(basename "$file")
  block=$(awk -v link="]($name)" 'index($0, link) {found = 1}
                                   found && /^```cpp/ {in_block = 1; next}
                                   in_block && /^```/ {exit}
                                   in_block {print}' "$src/README.md")
  if [[ -z "$block" ]]; then
    echo "README.md: no code block after a link to $name" >&2
    status=1
  elif [[ "$block" != "$(cat "$file")" ]]; then
    echo "README.md: the block after the link to $name differs from the file:" >&2
    diff <(echo "$block") "$file" >&2 || true
    status=1
  fi
done
exit $status
