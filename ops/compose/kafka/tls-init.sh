#!/usr/bin/env bash
# The kafka-tls service of docker-compose.yml (apache/kafka image, runs once before the brokers).
# On the first start tls-keygen.sh makes a CA and one broker certificate for the names the nodes
# and their clients use (kafka-1, kafka-2, kafka-3, localhost); the CA's key and the keystore stay
# on the kafka-tls volume, which the brokers mount read-only, and only the CA certificate goes to
# public/ca.pem, the one file the hub mounts (KAFKA_CA_FILE). The keystore password is generated,
# never configured. Later starts find the material and change nothing.
set -euo pipefail

tls=/etc/kafka/secrets
if [[ -s "$tls/broker.p12" && -s "$tls/public/ca.pem" && -s "$tls/keystore.password" ]]; then
  echo "===> TLS material present"
  exit 0
fi
echo "===> Generating the CA and the brokers' certificate (first start) ..."
umask 077
rm -rf "${tls:?}"/*
head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$tls/keystore.password"
store=$(cat "$tls/keystore.password")
TLS_STORE_PASSWORD=$store bash /opt/hub/tls-keygen.sh "$tls" kafka "dns:kafka-1,dns:kafka-2,dns:kafka-3,dns:localhost,ip:127.0.0.1" >"$tls/keytool.log" 2>&1 \
  || { cat "$tls/keytool.log" >&2; echo "kafka-tls: generating the TLS certificates failed" >&2; exit 1; }
mkdir -p "$tls/public" && mv "$tls/ca.pem" "$tls/public/ca.pem"
chmod 755 "$tls/public" && chmod 644 "$tls/public/ca.pem"
# The keystore and its password stay 0600: the brokers run as this image's user, as this does.
