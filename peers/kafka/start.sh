#!/bin/bash
# Start a single-node KRaft Apache Kafka (broker and controller in one process) on 127.0.0.1 in the
# background, wait until it serves clients, print its bootstrap address.
# usage: start.sh STATE_DIR [key=value ...]     extra server properties override the defaults
#   writes STATE_DIR/{addr,pid,log,server.properties,data/}; stop it with: kill "$(cat STATE_DIR/pid)"
#   needs the jars from peers/install.sh (cache: ${FERROKAFKA_PEERS_CACHE:-$HOME/.cache/ferrokafka-peers})
set -euo pipefail
dir=$(mkdir -p "$1" && cd "$1" && pwd); shift
here=$(cd "$(dirname "$0")" && pwd)
cache=${FERROKAFKA_PEERS_CACHE:-$HOME/.cache/ferrokafka-peers}
libs=$cache/kafka/libs
[ -f "$libs/.pom.xml" ] || { echo "Apache Kafka is not installed in $libs; run peers/install.sh" >&2; exit 1; }

# Two free ephemeral ports (client listener, controller listener), and a random cluster id in
# Kafka's form (URL-safe base64 of 16 bytes, never starting with "-", which would read as a flag).
read -r port cport cluster_id < <(python3 - <<'EOF'
import base64, os, socket
socks = [socket.socket() for _ in range(2)]
for s in socks:
    s.bind(("127.0.0.1", 0))
ports = [s.getsockname()[1] for s in socks]
cluster_id = "-"
while cluster_id.startswith("-"):
    cluster_id = base64.urlsafe_b64encode(os.urandom(16)).rstrip(b"=").decode()
print(*ports, cluster_id)
EOF
)

cat > "$dir/server.properties" <<EOF
process.roles=broker,controller
node.id=1
listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$cport
advertised.listeners=PLAINTEXT://127.0.0.1:$port
controller.listener.names=CONTROLLER
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
controller.quorum.bootstrap.servers=127.0.0.1:$cport
log.dirs=$dir/data
num.partitions=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
EOF
for kv in "$@"; do echo "$kv" >> "$dir/server.properties"; done

source "$here/jvm.sh"
: > "$dir/addr"
rm -rf "$dir/data"
"${jvm[@]}" kafka.tools.StorageTool format --standalone -t "$cluster_id" -c "$dir/server.properties" \
  > "$dir/log" 2>&1 < /dev/null || { cat "$dir/log" >&2; exit 1; }
"$here/serve.sh" "$dir"
