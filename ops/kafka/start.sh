#!/usr/bin/env bash
# Starts one node of the hub's local Apache Kafka (KRaft, broker and controller, SASL/SCRAM, ACLs on):
# a single broker, or one node of a local cluster (services/platform/kafka/local-cluster.ts).
#
#   ops/kafka/start.sh <state-dir>
#
# Environment (all required, the hub passes them):
#   KAFKA_CLIENT_PORT, KAFKA_CONTROLLER_PORT   ports on 127.0.0.1
#   KAFKA_SUPER_USER, KAFKA_SUPER_PASSWORD     the hub super user (generated, never committed)
#   KAFKA_WATCH_PID (optional)                 stop the broker when this process is gone
#   KAFKA_HEAP (optional)                      JVM heap, default 512m
#   KAFKA_TLS_PORT, KAFKA_TLS_PASSWORD (optional)  also a SASL_SSL listener, its CA in <state-dir>/tls/ca.pem
#   KAFKA_NODE_ID, KAFKA_VOTERS (optional)     this node's id and every voter (id@host:port,...), for a
#                                              cluster; default a single node 1
#   KAFKA_CLUSTER_ID (optional)                the id every node of a cluster is formatted with
#   KAFKA_REPLICATION, KAFKA_MIN_ISR (optional) replicas and min in-sync of topics, default 1 and 1
#
# The script resolves the broker jars with Maven into ~/.m2 (once), formats KRaft storage on the
# first run (bootstrapping the super user's SCRAM credential), then runs kafka.Kafka. Run it in its
# own process group; stopping that group stops the broker.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
state=${1:?usage: start.sh <state-dir>}
: "${KAFKA_CLIENT_PORT:?}" "${KAFKA_CONTROLLER_PORT:?}" "${KAFKA_SUPER_USER:?}" "${KAFKA_SUPER_PASSWORD:?}"
mkdir -p "$state/data" "$state/logs"
state=$(cd "$state" && pwd)

command -v java >/dev/null || { echo "hub: java not found; install a Java 17 runtime" >&2; exit 3; }
command -v mvn >/dev/null || { echo "hub: mvn not found; install Apache Maven" >&2; exit 3; }

pom_sum=$(sha1sum "$here/pom.xml" | cut -c1-12)
cp_file="$state/classpath-$pom_sum.txt"
if [ ! -s "$cp_file" ]; then
  echo "hub: resolving Apache Kafka jars with Maven (first run only)" >&2
  mvn -B -q -f "$here/pom.xml" dependency:build-classpath -Dmdep.outputFile="$cp_file.tmp" >&2 \
    || { echo "hub: Maven could not resolve the Kafka broker; check access to Maven Central" >&2; exit 4; }
  mv "$cp_file.tmp" "$cp_file"
fi
classpath=$(cat "$cp_file")

node_id=${KAFKA_NODE_ID:-1}
voters=${KAFKA_VOTERS:-$node_id@127.0.0.1:$KAFKA_CONTROLLER_PORT}
sed -e "s#@CLIENT_PORT@#$KAFKA_CLIENT_PORT#g" \
    -e "s#@NODE_ID@#$node_id#g" \
    -e "s#@VOTERS@#$voters#g" \
    -e "s#@REPLICATION@#${KAFKA_REPLICATION:-1}#g" \
    -e "s#@MIN_ISR@#${KAFKA_MIN_ISR:-1}#g" \
    -e "s#@CONTROLLER_PORT@#$KAFKA_CONTROLLER_PORT#g" \
    -e "s#@SUPER_USER@#$KAFKA_SUPER_USER#g" \
    -e "s#@SUPER_PASSWORD@#$KAFKA_SUPER_PASSWORD#g" \
    -e "s#@DATA_DIR@#$state/data#g" \
    "$here/server.properties" > "$state/server.properties"
chmod 600 "$state/server.properties"

if [ -n "${KAFKA_TLS_PORT:-}" ]; then
  # A SASL_SSL listener for clients beyond this machine, from a CA the hub keeps in its state folder.
  : "${KAFKA_TLS_PASSWORD:?}"
  tls="$state/tls"
  if [ ! -s "$tls/broker.p12" ]; then
    mkdir -p "$tls" && chmod 700 "$tls"
    rm -f "$tls"/*
    TLS_STORE_PASSWORD=$KAFKA_TLS_PASSWORD bash "$here/tls-keygen.sh" "$tls" 127.0.0.1 "ip:127.0.0.1,dns:localhost" >>"$state/logs/tls.log" 2>&1 \
      || { echo "hub: generating the broker's TLS certificate failed, see $state/logs/tls.log" >&2; exit 6; }
  fi
  sed -i -e "s#^listeners=\(.*\)#listeners=\1,TLS://127.0.0.1:$KAFKA_TLS_PORT#" \
         -e "s#^advertised.listeners=\(.*\)#advertised.listeners=\1,TLS://127.0.0.1:$KAFKA_TLS_PORT#" \
         -e "s#^listener.security.protocol.map=\(.*\)#listener.security.protocol.map=\1,TLS:SASL_SSL#" "$state/server.properties"
  cat >>"$state/server.properties" <<PROPS
listener.name.tls.sasl.enabled.mechanisms=SCRAM-SHA-512
listener.name.tls.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="$KAFKA_SUPER_USER" password="$KAFKA_SUPER_PASSWORD";
listener.name.tls.ssl.keystore.location=$tls/broker.p12
listener.name.tls.ssl.keystore.type=PKCS12
listener.name.tls.ssl.keystore.password=$KAFKA_TLS_PASSWORD
PROPS
fi

jvm=(java "-Xms256m" "-Xmx${KAFKA_HEAP:-512m}" -XX:+UseG1GC -Djava.awt.headless=true
     "-Dlog4j.configuration=file:$here/log4j.properties" "-Dkafka.logs.dir=$state/logs" -cp "$classpath")

if [ ! -f "$state/data/meta.properties" ]; then
  # A Kafka cluster id is 16 random bytes, base64url; one starting with "-" would read as an option.
  cluster_id=${KAFKA_CLUSTER_ID:--}
  while [[ $cluster_id == -* ]]; do cluster_id=$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '='); done
  "${jvm[@]}" kafka.tools.StorageTool format --ignore-formatted -t "$cluster_id" \
    -c "$state/server.properties" \
    --add-scram "SCRAM-SHA-512=[name=$KAFKA_SUPER_USER,password=$KAFKA_SUPER_PASSWORD]" >"$state/logs/format.log" 2>&1 \
    || { echo "hub: formatting Kafka storage failed, see $state/logs/format.log" >&2; exit 5; }
fi

"${jvm[@]}" kafka.Kafka "$state/server.properties" &
broker=$!
trap 'kill -TERM "$broker" 2>/dev/null; wait "$broker"; exit 0' TERM INT HUP

if [ -n "${KAFKA_WATCH_PID:-}" ]; then
  # The hub may die without cleaning up (SIGKILL); never leave an orphaned broker behind.
  while kill -0 "$KAFKA_WATCH_PID" 2>/dev/null && kill -0 "$broker" 2>/dev/null; do sleep 1; done
  kill -TERM "$broker" 2>/dev/null || true
fi
wait "$broker"
