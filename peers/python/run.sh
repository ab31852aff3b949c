#!/bin/bash
# Run the Python peer (peer.py) with the confluent-kafka venv that peers/install.sh makes.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cache=${FERROKAFKA_PEERS_CACHE:-$HOME/.cache/ferrokafka-peers}
py=$cache/venv/bin/python
[ -x "$py" ] || { echo "peers: error: no confluent-kafka venv in $cache/venv; run peers/install.sh" >&2; exit 1; }
exec "$py" "$here/peer.py" "$@"
