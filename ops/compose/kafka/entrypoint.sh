#!/usr/bin/env bash
# Entrypoint of the kafka-1, kafka-2 and kafka-3 services in docker-compose.yml (apache/kafka image, mounted read-only).
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
# The TLS material comes from the kafka-tls service (tls-init.sh) on a shared, read-only volume.
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

# TLS for the CLIENT and CONTROLLER listeners (SASL_SSL): the keystore the kafka-tls service made
# (tls-init.sh) for the three node names, read-only here.
tls=/etc/kafka/secrets
[[ -s "$tls/broker.p12" && -s "$tls/keystore.password" ]] || fail "no keystore in $tls: the kafka-tls service makes it (docker compose up runs it first)"
# The broker's keystore (its key and chain) and, for its own inter-broker client, the CA it trusts.
store=$(cat "$tls/keystore.password")
export KAFKA_LISTENER_NAME_CLIENT_SSL_KEYSTORE_PASSWORD=$store KAFKA_LISTENER_NAME_CLIENT_SSL_TRUSTSTORE_PASSWORD=$store
export KAFKA_LISTENER_NAME_CONTROLLER_SSL_KEYSTORE_PASSWORD=$store KAFKA_LISTENER_NAME_CONTROLLER_SSL_TRUSTSTORE_PASSWORD=$store

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
