#!/usr/bin/env bash
# tests/s3/s3.sh -- a real S3-protocol server for the blob store's tests: moto in server mode
# (PyPI `moto[server]`, installed by scripts/install-deps.sh) with its IAM authentication on, so
# every request after the setup must carry a valid AWS Signature Version 4 from a user's key.
#
#   s3.sh start STATE_DIR PORT   starts it, creates an IAM user with an S3 policy, its access
#                                key and the bucket `syndicate-test` (signed with that key), and
#                                prints the environment the tests read (export lines)
#   s3.sh stop STATE_DIR         stops it
#
# moto authenticates after INITIAL_NO_AUTH_ACTION_COUNT actions
# (https://docs.getmoto.org/en/latest/docs/iam.html): the setup makes exactly three unsigned
# IAM calls (create user, put its policy, create its key); everything after is checked.
set -euo pipefail
cmd=${1:-}; dir=${2:-}
[ -n "$cmd" ] && [ -n "$dir" ] || { echo "usage: s3.sh start STATE_DIR PORT | stop STATE_DIR" >&2; exit 2; }
case $cmd in
  start)
    port=${3:?s3.sh start: PORT missing}
    mkdir -p "$dir"
    if [ -f "$dir/pid" ] && kill -0 "$(cat "$dir/pid")" 2>/dev/null; then
      echo "s3.sh: already running (pid $(cat "$dir/pid"))" >&2; exit 1
    fi
    command -v moto_server >/dev/null || { echo "s3.sh: moto_server not installed (scripts/install-deps.sh)" >&2; exit 1; }
    INITIAL_NO_AUTH_ACTION_COUNT=3 setsid moto_server -H 127.0.0.1 -p "$port" >"$dir/moto.log" 2>&1 &
    echo $! >"$dir/pid"
    for _ in $(seq 100); do
      curl -s -o /dev/null "http://127.0.0.1:$port/moto-api/" && break
      kill -0 "$(cat "$dir/pid")" 2>/dev/null || { tail -5 "$dir/moto.log" >&2; echo "s3.sh: moto_server exited" >&2; exit 1; }
      sleep 0.2
    done
    python3 - "$port" >"$dir/env" <<'PY'
import json, sys, boto3
port = sys.argv[1]
endpoint = f"http://127.0.0.1:{port}"
anon = dict(endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="setup", aws_secret_access_key="setup")
iam = boto3.client("iam", **anon)
iam.create_user(UserName="syndicate")
iam.put_user_policy(UserName="syndicate", PolicyName="blobs", PolicyDocument=json.dumps(
    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}))
key = iam.create_access_key(UserName="syndicate")["AccessKey"]
s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                  aws_access_key_id=key["AccessKeyId"], aws_secret_access_key=key["SecretAccessKey"])
s3.create_bucket(Bucket="syndicate-test")
print(f"export SYN_TEST_S3_ENDPOINT={endpoint}")
print("export SYN_TEST_S3_BUCKET=syndicate-test")
print(f"export SYN_TEST_S3_ACCESS_KEY_ID={key['AccessKeyId']}")
print(f"export SYN_TEST_S3_SECRET_ACCESS_KEY={key['SecretAccessKey']}")
PY
    cat "$dir/env"
    ;;
  stop)
    if [ -f "$dir/pid" ]; then
      pid=$(cat "$dir/pid")
      kill -- -"$pid" 2>/dev/null || kill "$pid" 2>/dev/null || true
      for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      rm -f "$dir/pid"
    fi
    ;;
  *) echo "s3.sh: unknown command '$cmd' (start, stop)" >&2; exit 2 ;;
esac
