#!/bin/bash
# Run Apache Kafka from a state directory prepared by start.sh (server.properties, formatted
# data/) in the background, wait until it serves clients, print its bootstrap address.
# start.sh uses it for the first start; run it again after stopping the broker to restart it
# on the same port with the same data.
# usage: serve.sh STATE_DIR
set -euo pipefail
dir=$(cd "$1" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
cache=${FERROKAFKA_PEERS_CACHE:-$HOME/.cache/ferrokafka-peers}
libs=$cache/kafka/libs
# The port the broker listens on (advertised.listeners may name another address, e.g. a proxy).
port=$(sed -n 's|^listeners=PLAINTEXT://127.0.0.1:\([0-9]*\),.*|\1|p' "$dir/server.properties" | tail -1)
source "$here/jvm.sh"
started=$(grep -c 'Kafka Server started' "$dir/log" || true)
"${jvm[@]}" kafka.Kafka "$dir/server.properties" >> "$dir/log" 2>&1 < /dev/null &
echo $! > "$dir/pid"

# Ready once the broker has logged its start (listeners open, metadata caught up).
for _ in $(seq 1 600); do
  if [ "$(grep -c 'Kafka Server started' "$dir/log" || true)" -gt "$started" ]; then
    echo "127.0.0.1:$port" | tee "$dir/addr"
    exit 0
  fi
  kill -0 "$(cat "$dir/pid")" 2>/dev/null || { cat "$dir/log" >&2; exit 1; }
  sleep 0.1
done
kill "$(cat "$dir/pid")" 2>/dev/null || true
cat "$dir/log" >&2
echo "Apache Kafka did not start in 60s" >&2; exit 1
