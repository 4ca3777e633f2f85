#!/usr/bin/env bash
# Healthcheck of the kafka-1, kafka-2 and kafka-3 services in docker-compose.yml: a node is healthy
# once the super user can log in with SCRAM-SHA-512 over TLS on its client listener and it answers,
# which also proves the credential bootstrapped by entrypoint.sh is in place. The password comes from
# the container's environment and only lands in a private temporary file.
set -euo pipefail

umask 077
config=$(mktemp)
trap 'rm -f "$config"' EXIT
cat >"$config" <<EOF
security.protocol=SASL_SSL
ssl.truststore.type=PEM
ssl.truststore.location=/etc/kafka/secrets/public/ca.pem
sasl.mechanism=SCRAM-SHA-512
sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="${SCRAM_SUPER_USER:?}" password="${SCRAM_SUPER_PASSWORD:?}";
EOF

# The CLIENT listener (KAFKA_LISTENERS). A small heap: this runs beside the broker every few seconds.
KAFKA_HEAP_OPTS="-Xmx128m" KAFKA_OPTS="" \
  /opt/kafka/bin/kafka-broker-api-versions.sh --bootstrap-server localhost:9092 --command-config "$config" >/dev/null
