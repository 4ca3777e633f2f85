#!/usr/bin/env bash
# Entrypoint of the `kafka` service in docker-compose.yml (apache/kafka image, mounted read-only).
#
# The image formats KRaft storage by itself on every start, but never with SCRAM credentials. The
# hub's super user authenticates with SCRAM-SHA-512, and with ACLs on and
# allow.everyone.if.no.acl.found=false nobody could ever log in to a broker formatted that way
# (SCRAM credentials live in the cluster metadata; the first one has to be there from the start).
# So, when the storage is still unformatted, this script formats it with --add-scram for the super
# user, using the same KAFKA_* variables the image renders into server.properties, then hands over
# to the image's normal start (/etc/kafka/docker/run). That start formats too, finds the storage
# "already formatted", which it tolerates, and launches the broker.
#
# Environment (docker-compose.yml sets it):
#   CLUSTER_ID, KAFKA_*                         the image's usual configuration
#   SCRAM_SUPER_USER, SCRAM_SUPER_PASSWORD      the hub super user (KAFKA_USERNAME, KAFKA_PASSWORD)
# It also generates the TLS material of the CLIENT listener into /etc/kafka/secrets (below).
# The two SCRAM_* names deliberately lack the KAFKA_ prefix: the image turns every KAFKA_* variable
# into a broker property.
set -euo pipefail

fail() {
  echo "kafka-entrypoint: $*" >&2
  exit 1
}

: "${CLUSTER_ID:?kafka-entrypoint: CLUSTER_ID is required}"
: "${KAFKA_LOG_DIRS:?kafka-entrypoint: KAFKA_LOG_DIRS is required}"
user=${SCRAM_SUPER_USER:?kafka-entrypoint: SCRAM_SUPER_USER is required}
password=${SCRAM_SUPER_PASSWORD:?kafka-entrypoint: SCRAM_SUPER_PASSWORD is required}

# The credentials go inside JAAS quotes, the --add-scram [name=...,password=...] syntax and the
# hub's URLs: keep them to characters that need no escaping anywhere.
[[ $user =~ ^[A-Za-z0-9._~-]+$ ]] || fail "SCRAM_SUPER_USER may only use A-Z a-z 0-9 . _ ~ -"
[[ $password =~ ^[A-Za-z0-9._~-]+$ ]] || fail "KAFKA_PASSWORD may only use A-Z a-z 0-9 . _ ~ - (e.g. openssl rand -hex 24)"
((${#password} >= 16)) || fail "KAFKA_PASSWORD must be at least 16 characters (e.g. openssl rand -hex 24)"
[[ ";${KAFKA_SUPER_USERS:-};" == *";User:${user};"* ]] || fail "KAFKA_SUPER_USERS must include User:${user}"

# The same mapping as the image (kafka.docker.KafkaDockerWrapper): drop KAFKA_, lower-case, then
# "_" -> ".", "..." -> "-", ".." -> "_". Launcher variables are not broker properties.
render_properties() {
  local name key
  while IFS= read -r name; do
    case $name in
      KAFKA_VERSION | KAFKA_HEAP_OPT | KAFKA_HEAP_OPTS | KAFKA_LOG4J_OPTS | KAFKA_OPTS | KAFKA_JMX_OPTS | \
        KAFKA_JMX_PORT | KAFKA_JMX_HOSTNAME | KAFKA_JVM_PERFORMANCE_OPTS | KAFKA_GC_LOG_OPTS | \
        KAFKA_LOG4J_ROOT_LOGLEVEL | KAFKA_LOG4J_LOGGERS | KAFKA_TOOLS_LOG4J_LOGLEVEL)
        continue
        ;;
    esac
    key=${name#KAFKA_}
    key=${key,,}
    key=${key//_/.}
    key=${key//.../-}
    key=${key//../_}
    printf '%s=%s\n' "$key" "${!name}"
  done < <(compgen -e | grep '^KAFKA_' | sort)
}

# TLS for the CLIENT listener (SASL_SSL). On the first start tls-keygen.sh makes a CA and a broker
# certificate for the names clients use (kafka, localhost); the CA's key and the broker's keystore
# stay in this container's secrets volume, and only the CA certificate goes to public/ca.pem, the
# one file the hub mounts (KAFKA_CA_FILE). The keystore password is generated, never configured.
tls=/etc/kafka/secrets
if [[ ! -s "$tls/broker.p12" || ! -s "$tls/public/ca.pem" ]]; then
  echo "===> Generating the CA and the broker certificate (first start) ..."
  umask 077
  rm -rf "${tls:?}"/*
  head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$tls/keystore.password"
  store=$(cat "$tls/keystore.password")
  TLS_STORE_PASSWORD=$store bash /opt/hub/tls-keygen.sh "$tls" kafka "dns:kafka,dns:localhost,ip:127.0.0.1" >"$tls/keytool.log" 2>&1 \
    || { cat "$tls/keytool.log" >&2; fail "generating the TLS certificates failed"; }
  mkdir -p "$tls/public" && mv "$tls/ca.pem" "$tls/public/ca.pem"
  chmod 755 "$tls/public" && chmod 644 "$tls/public/ca.pem"
  umask 022
fi
# The broker's keystore (its key and chain) and, for its own inter-broker client, the CA it trusts.
store=$(cat "$tls/keystore.password")
export KAFKA_LISTENER_NAME_CLIENT_SSL_KEYSTORE_PASSWORD=$store KAFKA_LISTENER_NAME_CLIENT_SSL_TRUSTSTORE_PASSWORD=$store

data_dir=${KAFKA_LOG_DIRS%%,*}
if [[ ! -f "$data_dir/meta.properties" ]]; then
  echo "===> Formatting ${data_dir} with the SCRAM-SHA-512 credential of ${user} (first start) ..."
  # mktemp -d makes a private (0700) folder: the rendered properties hold the JAAS passwords.
  work=$(mktemp -d)
  render_properties >"$work/server.properties"
  # The storage tool reads arguments from an @file, one per line: the password stays off the
  # command line (and out of `ps`).
  printf '%s\n' --add-scram "SCRAM-SHA-512=[name=${user},password=${password}]" >"$work/scram.args"
  status=0
  /opt/kafka/bin/kafka-storage.sh format --cluster-id "$CLUSTER_ID" --config "$work/server.properties" "@$work/scram.args" || status=$?
  rm -rf "$work"
  ((status == 0)) || fail "formatting ${data_dir} failed (exit ${status})"
fi

exec /etc/kafka/docker/run
