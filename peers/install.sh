#!/bin/bash
# Install the reference Kafka peers (kcat, confluent-kafka for Python, Apache Kafka and its Java
# client, the Java peer program) into a cache folder; safe to run again, it only adds what is missing.
# usage: peers/install.sh        cache: ${FERROKAFKA_PEERS_CACHE:-$HOME/.cache/ferrokafka-peers}
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cache=${FERROKAFKA_PEERS_CACHE:-$HOME/.cache/ferrokafka-peers}
mkdir -p "$cache"

say() { echo "peers: $*"; }
die() { echo "peers: error: $*" >&2; exit 1; }
trap 'die "install failed at line $LINENO"' ERR

# Debian packages: kcat and librdkafka's headers (the rdmock cluster builds against them).
missing=()
for pkg in kcat librdkafka-dev; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  say "apt-get install ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  say "kcat and librdkafka-dev present"
fi

# confluent-kafka (its wheel bundles a recent librdkafka) in a venv.
venv=$cache/venv
requirements=$here/python/requirements.txt
stamp=$venv/.requirements
if ! cmp -s "$requirements" "$stamp" 2>/dev/null || ! "$venv/bin/python" -c 'import confluent_kafka' 2>/dev/null; then
  say "python venv with $(tr '\n' ' ' < "$requirements")in $venv"
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check -r "$requirements"
  cp "$requirements" "$stamp"
else
  say "python venv up to date"
fi

# Apache Kafka: every runtime jar of the broker (which includes kafka-clients) from Maven Central.
libs=$cache/kafka/libs
pom=$here/kafka/pom.xml
if ! cmp -s "$pom" "$libs/.pom.xml" 2>/dev/null; then
  say "Apache Kafka jars from $(basename "$pom") into $libs"
  rm -rf "$libs" "$libs.tmp"
  mkdir -p "$cache/kafka"
  mvn -q -B -f "$pom" -Dmaven.repo.local="$cache/m2" dependency:copy-dependencies \
    -DincludeScope=runtime -DoutputDirectory="$libs.tmp" > "$cache/kafka/mvn.log" 2>&1 \
    || { cat "$cache/kafka/mvn.log" >&2; die "mvn could not fetch the Kafka jars"; }
  ls "$libs.tmp"/kafka_2.13-*.jar "$libs.tmp"/kafka-clients-*.jar >/dev/null || die "Kafka jars missing after mvn"
  cp "$pom" "$libs.tmp/.pom.xml"
  mv "$libs.tmp" "$libs"
else
  say "Apache Kafka jars up to date ($(basename "$libs"/kafka_2.13-*.jar .jar))"
fi

# The Java peer program, compiled against the same kafka-clients jar.
"$here/java/build.sh"
say "ready in $cache"
