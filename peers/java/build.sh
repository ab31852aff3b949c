#!/bin/bash
# Compile the Java peer program against the cached kafka-clients jar (peers/install.sh fetches it);
# recompiles only when the source or the jars changed. Run it with peers/java/run.sh.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cache=${FERROKAFKA_PEERS_CACHE:-$HOME/.cache/ferrokafka-peers}
libs=$cache/kafka/libs
out=$cache/java/classes
[ -f "$libs/.pom.xml" ] || { echo "peers: error: no Kafka jars in $libs; run peers/install.sh" >&2; exit 1; }
stamp=$(cat "$here/Peer.java" "$libs/.pom.xml" | sha256sum | cut -d' ' -f1)
if [ "$(cat "$out/.stamp" 2>/dev/null)" = "$stamp" ]; then
  echo "peers: java peer up to date"
  exit 0
fi
echo "peers: javac Peer.java into $out"
rm -rf "$out"
mkdir -p "$out"
javac -nowarn -d "$out" -cp "$libs/*" "$here/Peer.java"
echo "$stamp" > "$out/.stamp"
