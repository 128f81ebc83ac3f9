#!/usr/bin/env bash
# A throwaway S3-compatible server for the tests (s3s-fs, installed by setup.sh).
#   eval "$(scripts/s3.sh start DIR)"   starts it, stores objects under DIR/root, makes bucket
#                                       `altogic`, and prints the exports the tests read
#   scripts/s3.sh stop DIR
set -euo pipefail
cmd=${1:?start|stop}
dir=${2:?a directory}
case "$cmd" in
  start)
    mkdir -p "$dir/root/altogic"   # a top-level directory is a bucket to s3s-fs
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    key=test-access-key secret=test-secret-key
    s3s-fs --host 127.0.0.1 --port "$port" --access-key "$key" --secret-key "$secret" "$dir/root" >"$dir/s3.log" 2>&1 &
    echo $! >"$dir/pid"
    for _ in $(seq 100); do (echo >"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done
    cat <<OUT
export AWS_ACCESS_KEY_ID=$key AWS_SECRET_ACCESS_KEY=$secret AWS_REGION=us-east-1
export AWS_ENDPOINT=http://127.0.0.1:$port AWS_ALLOW_HTTP=true
export ALTOGIC_TEST_S3_BUCKET=altogic ALTOGIC_TEST_S3_ROOT=$dir/root
OUT
    ;;
  stop)
    [ -f "$dir/pid" ] && kill "$(cat "$dir/pid")" 2>/dev/null || true
    ;;
  *) echo "s3.sh: start|stop" >&2; exit 2 ;;
esac
