#!/usr/bin/env bash
# Makes a CA and a broker certificate it signs, with the JDK's keytool (no openssl needed):
#   <dir>/ca.p12      the CA's key; it stays beside the broker
#   <dir>/broker.p12  the broker's key and chain, and the CA as a trusted entry (keystore and truststore)
#   <dir>/ca.pem      the CA certificate: what clients trust
# Used by the local broker (start.sh) and the compose kafka service (ops/compose/kafka/entrypoint.sh).
#
# Usage: tls-keygen.sh <dir> <broker CN> <subjectAltName, e.g. dns:kafka,ip:127.0.0.1>
# The stores' password comes in TLS_STORE_PASSWORD, never on this command line. keytool's own
# messages go to stdout and stderr; callers send them to a log.
set -euo pipefail

dir=${1:?dir} cn=${2:?broker CN} san=${3:?subjectAltName}
pw=${TLS_STORE_PASSWORD:?TLS_STORE_PASSWORD is required}
# Made in a scratch folder and moved in at the end, broker.p12 last: callers test for broker.p12,
# so a run cut short is simply made again.
out=$dir
dir=$out/.keygen
rm -rf "$dir" && mkdir -p "$dir"
ca=(-keystore "$dir/ca.p12" -storetype PKCS12 -storepass "$pw")
broker=(-keystore "$dir/broker.p12" -storetype PKCS12 -storepass "$pw")

keytool -genkeypair -alias hub-ca -keyalg EC -groupname secp256r1 -dname "CN=gov-data-hub CA" -ext bc:c -validity 3650 "${ca[@]}"
keytool -genkeypair -alias broker -keyalg EC -groupname secp256r1 -dname "CN=$cn" -validity 825 "${broker[@]}"
keytool -certreq -alias broker -file "$dir/broker.csr" "${broker[@]}"
keytool -gencert -alias hub-ca -infile "$dir/broker.csr" -outfile "$dir/broker.crt" -rfc -validity 825 \
  -ext "SAN=$san" -ext "EKU=serverAuth" "${ca[@]}"
keytool -exportcert -rfc -alias hub-ca -file "$dir/ca.pem" "${ca[@]}"
keytool -importcert -noprompt -alias hub-ca -file "$dir/ca.pem" "${broker[@]}"
keytool -importcert -noprompt -alias broker -file "$dir/broker.crt" "${broker[@]}"
mv -f "$dir/ca.p12" "$dir/ca.pem" "$dir/broker.crt" "$out/"
mv -f "$dir/broker.p12" "$out/"
rm -rf "$dir"
