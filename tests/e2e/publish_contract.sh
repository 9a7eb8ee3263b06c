#!/usr/bin/env bash
# End to end on the real broker: topics, publish, republish (no-op), correction (revision),
# group commit (a duplicate and an already-published issue in one group, a killed group, groups
# sent as their files are split with a bad file among them),
# whole-issue atomicity (publisher killed mid-transaction), and a Node.js subscriber (kafkajs +
# protobufjs) that checks the contract. Needs SYN_TEST_BOOTSTRAP and the syndicate binary as $1.
set -euo pipefail
syndicate=$1
src=$(cd "$(dirname "$0")/../.." && pwd)
fixture=$src/tests/data/issues/changji-daily-2024-01-30-p1.txt
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
run_id=$(date +%s)-$$
cfg=$work/syndication.yaml
source "$src/tests/e2e/lib.sh"
write_config "$cfg" "e2e.$run_id" </dev/null

"$syndicate" topics create --config "$cfg" >/dev/null
"$syndicate" topics create --config "$cfg" | grep -q "exist" || fail "second topics create should report existing topics"

out=$("$syndicate" publish --config "$cfg" "$fixture")
echo "$out"
grep -q "cjrb-20240130: published 5 of 5 articles" <<<"$out" || fail "first publish"
expect "articles visible after first publish" 5 "$(count_committed "e2e.$run_id.articles" cjrb-20240130-)"

out=$("$syndicate" publish --config "$cfg" "$fixture")
echo "$out"
grep -q "cjrb-20240130: unchanged" <<<"$out" || fail "republish must be a no-op"
expect "articles visible after republish" 5 "$(count_committed "e2e.$run_id.articles" cjrb-20240130-)"

# The downstream contract, checked from another language.
node "$src/tests/node/subscriber.mjs" --bootstrap "$SYN_TEST_BOOTSTRAP" --topic "e2e.$run_id.articles" \
  --group "node-$run_id" --timeout-ms 60000

# A correction: one character of the last article changes -> one new revision.
sed 's/两地群众来往将更加便利。/两地群众往来将更加便利。/' "$fixture" >"$work/corrected.txt"
out=$("$syndicate" publish --config "$cfg" "$work/corrected.txt")
echo "$out"
grep -q "cjrb-20240130: published 1 of 5 articles (1 revised)" <<<"$out" || fail "correction"
expect "article records after correction" 6 "$(count_committed "e2e.$run_id.articles" cjrb-20240130-)"
expect "revisions of article 05" 2 "$(count_committed "e2e.$run_id.articles" cjrb-20240130-01-05)"

# Atomicity: the publisher dies after 3 records of a 6-record transaction (5 articles + manifest).
set +e
SYNDICATE_TEST_EXIT_AFTER_RECORDS=3 "$syndicate" publish --config "$cfg" --date 2024-02-01 --instance crashy "$fixture"
rc=$?
set -e
expect "exit status of the killed publisher" 70 "$rc"
expect "records of the killed transaction visible to read_committed" 0 "$(count_committed "e2e.$run_id.articles" cjrb-20240201-)"
uncommitted=$(count_matching "e2e.$run_id.articles" '%k\n' '^cjrb-20240201-' read_uncommitted)
expect "records of the killed transaction on the broker" 3 "$uncommitted"
# The records are on the broker but not committed: a new incarnation (same instance) fences and
# aborts the open transaction, then publishes the issue whole.
out=$("$syndicate" publish --config "$cfg" --date 2024-02-01 --instance crashy "$fixture")
echo "$out"
grep -q "cjrb-20240201: published 5 of 5 articles" <<<"$out" || fail "publish after crash"
expect "articles of the crashed issue visible to read_committed" 5 "$(count_committed "e2e.$run_id.articles" cjrb-20240201-)"
all=$(count_matching "e2e.$run_id.articles" '%k\n' '^cjrb-20240201-' read_uncommitted)
expect "records of the crashed issue in the log (3 aborted + 5 committed)" 8 "$all"

# Group commit: the files of one `publish` share a transaction, each issue whole in it. A group
# holding an issue already on the topic (cjrb-20240130), a new issue, and a new issue twice: the
# second copy is unchanged (its twin is earlier in the same transaction), nothing is sent twice.
beijiang=$src/tests/data/issues/beijiang-daily-2024-03-12-p1.txt
hexi=$src/tests/data/issues/hexi-business-2024-05-20-p3.txt
out=$("$syndicate" publish --config "$cfg" "$work/corrected.txt" "$hexi" "$beijiang" "$hexi")
echo "$out"
grep -q "^cjrb-20240130: unchanged" <<<"$out" || fail "an issue already on the topic, in a group, must be unchanged"
expect "outcomes printed for a group of 4" 4 "$(wc -l <<<"$out")"
expect "copies of cn62-0038-20240520 published" 1 "$(grep -c '^cn62-0038-20240520: published 3 of 3 articles' <<<"$out")"
expect "copies of cn62-0038-20240520 unchanged" 1 "$(grep -c '^cn62-0038-20240520: unchanged' <<<"$out")"
grep -q "^cn65-0001-20240312: published" <<<"$out" || fail "a new issue in a group must be published"
expect "articles of cn62-0038-20240520 visible" 3 "$(count_committed "e2e.$run_id.articles" cn62-0038-20240520-)"
expect "manifests of cn62-0038-20240520 visible" 1 "$(count_committed "e2e.$run_id.issues" cn62-0038-20240520)"
# Both new issues' manifests hash to issues[0]: adjacent offsets, no commit marker between them.
m1=$(grep -o 'issues\[0\]@[0-9]*' <<<"$(grep '^cn62-0038-20240520: published' <<<"$out")" | cut -d@ -f2)
m2=$(grep -o 'issues\[0\]@[0-9]*' <<<"$(grep '^cn65-0001-20240312: published' <<<"$out")" | cut -d@ -f2)
expect "offsets between the group's two manifests (one transaction)" 1 "$((m2 - m1))"
expect "articles of cjrb-20240130 still" 6 "$(count_committed "e2e.$run_id.articles" cjrb-20240130-)"

# A killed group: the publisher dies after 8 records of a transaction holding two issues, the
# first (5 articles + manifest) entirely on the broker, the second in part: neither is visible.
set +e
SYNDICATE_TEST_EXIT_AFTER_RECORDS=8 "$syndicate" publish --config "$cfg" --date 2024-03-01 --instance crashy2 \
  "$fixture" "$hexi"
rc=$?
set -e
expect "exit status of the publisher killed mid-group" 70 "$rc"
expect "articles of the group's whole first issue visible" 0 "$(count_committed "e2e.$run_id.articles" cjrb-20240301-)"
expect "manifests of the group's whole first issue visible" 0 "$(count_committed "e2e.$run_id.issues" cjrb-20240301)"
expect "articles of the group's second issue visible" 0 "$(count_committed "e2e.$run_id.articles" cn62-0038-20240301-)"
uncommitted=$(kcat -b "$SYN_TEST_BOOTSTRAP" -C -t "e2e.$run_id.articles" -o beginning -e -q -X isolation.level=read_uncommitted -f '%k\n' 2>/dev/null | grep -c '^cjrb-20240301-' || true)
expect "articles of the killed group's first issue on the broker" 5 "$uncommitted"
out=$("$syndicate" publish --config "$cfg" --date 2024-03-01 --instance crashy2 "$fixture" "$hexi")
echo "$out"
grep -q "^cjrb-20240301: published 5 of 5 articles" <<<"$out" || fail "first issue after the killed group"
grep -q "^cn62-0038-20240301: published 3 of 3 articles" <<<"$out" || fail "second issue after the killed group"
expect "articles of the killed group visible after republishing" 8 \
  "$(count_committed "e2e.$run_id.articles" '\(cjrb\|cn62-0038\)-20240301-')"

# Files are published a group at a time as they are split: with 2 issues per transaction, five
# files (one bad) in two groups. Every outcome is printed in the order given, the bad file gets
# one line on stderr and exit status 2, and a copy of an issue in a later group is unchanged.
cfg2=$work/groups-of-2.yaml
write_config "$cfg2" "e2e.$run_id" <<YAML
producer:
  max_issues_per_transaction: 2
YAML
python3 "$src/bench/gen_issues.py" --out "$work/gen" --count 3 --start 2019-01-01 \
  "$fixture" "$hexi" "$beijiang" >/dev/null
printf 'not \0 an issue' >"$work/gen/bad.txt"
gen=("$work"/gen/0*.txt)
[ "${#gen[@]}" = 3 ] || fail "gen_issues.py wrote ${#gen[@]} files, not 3"
set +e
out=$("$syndicate" publish --config "$cfg2" "${gen[0]}" "${gen[1]}" "$work/gen/bad.txt" "${gen[2]}" "${gen[0]}" \
  2>"$work/groups.err")
rc=$?
set -e
echo "$out"
expect "exit status with one bad file" 2 "$rc"
expect "error lines" 1 "$(grep -c '^syndicate: ' "$work/groups.err")"
grep -q "bad.txt:1: binary input" "$work/groups.err" || fail "stderr: $(cat "$work/groups.err")"
ids=$(for f in "${gen[@]}"; do "$syndicate" split "$f" | python3 -c 'import json,sys; print(json.load(sys.stdin)["manifest"]["issueId"])'; done)
mapfile -t id <<<"$ids"
expect "outcome lines, in the order given" \
  "${id[0]}: published|${id[1]}: published|${id[2]}: published|${id[0]}: unchanged" \
  "$(awk '{sub(/,$/, "", $2); print $1, $2}' <<<"$out" | paste -sd'|')"
echo "publish_contract: ok"
