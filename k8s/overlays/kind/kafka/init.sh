#!/bin/sh
# What the services need of the broker, made as the admin principal (idempotent: safe to re-run):
# the topics, a SCRAM user per service, and exactly the ACLs of systemAcls(topicNames('')) in
# libs/platform/kafka/src/acls.ts (tools/deploy-check/test/kafka-init.test.mjs compares the tables
# below with it). Services never create topics. Used by the kind Job and compose's kafka-init.
#
#   KAFKA_BOOTSTRAP                      host:port of the broker (kafka:9092)
#   KAFKA_CA_FILE                        the project CA the broker's certificate is checked against
#   KAFKA_ADMIN_PASSWORD                 the admin principal's SCRAM password
#   KAFKA_<PRINCIPAL>_PASSWORD           each user's password (INVENTORY, PAYMENT, ORDER_STORE, DLT)
set -eu
bin=${KAFKA_HOME:-/opt/kafka}/bin
b=${KAFKA_BOOTSTRAP:-kafka:9092}
conf=$(mktemp -d)
trap 'rm -rf "$conf"' EXIT
umask 077
cat >"$conf/admin.properties" <<EOF
security.protocol=SASL_SSL
sasl.mechanism=SCRAM-SHA-512
sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="admin" password="${KAFKA_ADMIN_PASSWORD:?run npm run deploy:secrets}";
ssl.truststore.type=PEM
ssl.truststore.location=${KAFKA_CA_FILE:?}
EOF
admin() {
  tool=$1
  shift
  "$bin/$tool" --bootstrap-server "$b" --command-config "$conf/admin.properties" "$@"
}

# name partitions (topicSpecs(topicNames('')))
topics='
order-events        3
payment-events      3
order-events.dlt    1
payment-events.dlt  1
'
# one SCRAM user per principal (PRINCIPALS)
users='inventory payment order-store dlt'
# principal  resource  pattern   name                operations
acls='
inventory    topic     literal   order-events        Write,Describe
inventory    topic     literal   payment-events      Read,Describe
inventory    topic     literal   payment-events.dlt  Write,Describe
inventory    group     prefixed  inventory           Read
payment      topic     literal   payment-events      Write,Describe
payment      topic     literal   order-events        Read,Describe
payment      topic     literal   order-events.dlt    Write,Describe
payment      group     prefixed  payment             Read
order-store  topic     literal   order-events        Read,Describe
order-store  topic     literal   order-events.dlt    Write,Describe
order-store  group     prefixed  order-store         Read
dlt          topic     literal   order-events.dlt    Read,Describe
dlt          topic     literal   order-events        Write,Describe
dlt          topic     literal   payment-events.dlt  Read,Describe
dlt          topic     literal   payment-events      Write,Describe
dlt          group     prefixed  dlt-                Read,Delete
'

i=0
until admin kafka-topics.sh --list >/dev/null 2>&1; do
  i=$((i + 1))
  if [ "$i" -ge 60 ]; then echo "kafka at $b does not answer the admin principal" >&2; exit 1; fi
  echo "waiting for kafka at $b ($i)"
  sleep 5
done

echo "$topics" | while read -r name partitions; do
  [ -n "$name" ] || continue
  admin kafka-topics.sh --create --if-not-exists --topic "$name" --partitions "$partitions" --replication-factor 1
done

for user in $users; do
  var=KAFKA_$(echo "$user" | tr 'a-z-' 'A-Z_')_PASSWORD
  eval "pw=\${$var:?run npm run deploy:secrets}"
  # From a file, so the password is on no command line.
  echo "SCRAM-SHA-512=iterations=4096,password=$pw" >"$conf/user.properties"
  admin kafka-configs.sh --alter --entity-type users --entity-name "$user" --add-config-file "$conf/user.properties"
done

echo "$acls" | while read -r principal resource pattern name operations; do
  [ -n "$principal" ] || continue
  ops=$(echo "$operations" | tr ',' '\n' | sed 's/^/--operation /' | tr '\n' ' ')
  # shellcheck disable=SC2086 # ops is a list of flags
  admin kafka-acls.sh --add --allow-principal "User:$principal" $ops --"$resource" "$name" --resource-pattern-type "$pattern" >/dev/null
done

admin kafka-topics.sh --describe
admin kafka-acls.sh --list
