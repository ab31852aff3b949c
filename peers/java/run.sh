#!/bin/bash
# Run the Java peer program (see Peer.java for its subcommands) with the cached Kafka client jars.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cache=${FERROKAFKA_PEERS_CACHE:-$HOME/.cache/ferrokafka-peers}
classes=$cache/java/classes
[ -f "$classes/Peer.class" ] || { echo "peers: error: the Java peer is not built; run peers/install.sh" >&2; exit 1; }
exec java -Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 \
  -Dlog4j2.configurationFile="$here/log4j2.properties" \
  -cp "$classes:$cache/kafka/libs/*" Peer "$@"
