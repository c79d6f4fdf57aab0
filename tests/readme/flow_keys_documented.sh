#!/usr/bin/env bash
# Every key `ingestd run --help` lists for [[flows]] (from the one table the
# parser uses) is set in the README's flow-file example, and the README's
# example sets no flow key the binary does not know.
#   flow_keys_documented.sh SOURCE_DIR INGESTD
set -euo pipefail
src=$1
ingestd=$2
help_keys=$("$ingestd" run --help | awk '/^Keys of a \[\[flows\]\] entry/ || /Keys of a \[\[flows\]\] entry/ {on = 1; next}
                                         on && /^\(/ {next}
                                         on && /^  / {sub(/^  [*+ ]/, ""); print $1; next}
                                         on {exit}' | sort -u)
if [[ $(wc -l <<<"$help_keys") -lt 10 ]]; then
  echo "ingestd run --help lists too few flow keys:" >&2
  echo "$help_keys" >&2
  exit 1
fi
# The example's [[flows]] entry and its per-stream table: from "[[flows]]" to "[state]".
readme_keys=$(awk '/^\[\[flows\]\]/ {on = 1; next}
                   on && /^\[state\]/ {exit}
                   on && /^[a-z_]+ *=/ {sub(/ *=.*/, ""); print}' "$src/README.md" | sort -u)
status=0
missing=$(comm -23 <(echo "$help_keys") <(echo "$readme_keys"))
unknown=$(comm -13 <(echo "$help_keys") <(echo "$readme_keys"))
if [[ -n "$missing" ]]; then
  echo "README.md's flow-file example does not show: $(echo $missing)" >&2
  status=1
fi
if [[ -n "$unknown" ]]; then
  echo "README.md's flow-file example sets keys ingestd does not know: $(echo $unknown)" >&2
  status=1
fi
exit $status
