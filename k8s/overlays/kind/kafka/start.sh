#!/bin/sh
# Starts the apache/kafka image as a single KRaft node (broker and controller in one JVM) with the
# security of tools/infra/components/kafka.sh: clients on SASL_SSL with SCRAM-SHA-512 (a principal
# per service), StandardAuthorizer with no access unless an ACL grants it, and the controller
# listener on mutual TLS. Used by the kind StatefulSet and by docker-compose.yml.
#
#   KAFKA_ADVERTISED_HOST      the name clients reach this broker by (kafka-0.kafka, kafka)
#   KAFKA_EXTERNAL_ADVERTISED  optional host:port of a second SASL_SSL listener on :9094 (compose's
#                              port on the host)
#   KAFKA_BROKER_PASSWORD      SCRAM password of `broker` (inter-broker), set at format time
#   KAFKA_ADMIN_PASSWORD       SCRAM password of `admin` (kafka-init), set at format time
#   KAFKA_TLS_DIR              ca.crt, tls.crt, tls.key: the project CA and this broker's certificate
#   KAFKA_DATA_DIR             the log directory (formatted on first start)
set -eu
: "${KAFKA_ADVERTISED_HOST:?}" "${KAFKA_BROKER_PASSWORD:?run npm run deploy:secrets}" "${KAFKA_ADMIN_PASSWORD:?run npm run deploy:secrets}"
tls=${KAFKA_TLS_DIR:-/etc/kafka/tls}
data=${KAFKA_DATA_DIR:-/var/lib/kafka/data/logs}
conf=${KAFKA_CONF_DIR:-/tmp/kafka}
bin=${KAFKA_HOME:-/opt/kafka}/bin
mkdir -p "$conf" "$data"
umask 077

# Kafka's PEM keystore: the private key (PKCS#8, unencrypted) followed by its certificate.
cat "$tls/tls.key" "$tls/tls.crt" >"$conf/keystore.pem"

listeners=SASL_SSL://:9092,CONTROLLER://127.0.0.1:9093
advertised=SASL_SSL://$KAFKA_ADVERTISED_HOST:9092
jaas="org.apache.kafka.common.security.scram.ScramLoginModule required username=\"broker\" password=\"$KAFKA_BROKER_PASSWORD\";"
external=
if [ -n "${KAFKA_EXTERNAL_ADVERTISED:-}" ]; then
  listeners=$listeners,EXTERNAL://:9094
  advertised=$advertised,EXTERNAL://$KAFKA_EXTERNAL_ADVERTISED
  external="listener.name.external.scram-sha-512.sasl.jaas.config=$jaas"
fi

cat >"$conf/server.properties" <<EOF
# written by start.sh on every start
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:9093
listeners=$listeners
advertised.listeners=$advertised
controller.listener.names=CONTROLLER
inter.broker.listener.name=SASL_SSL
listener.security.protocol.map=SASL_SSL:SASL_SSL,CONTROLLER:SSL,EXTERNAL:SASL_SSL
sasl.enabled.mechanisms=SCRAM-SHA-512
sasl.mechanism.inter.broker.protocol=SCRAM-SHA-512
listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=$jaas
$external
ssl.keystore.type=PEM
ssl.keystore.location=$conf/keystore.pem
ssl.truststore.type=PEM
ssl.truststore.location=$tls/ca.crt
listener.name.controller.ssl.client.auth=required
authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer
super.users=User:broker;User:admin;User:CN=kafka
allow.everyone.if.no.acl.found=false
log.dirs=$data
auto.create.topics.enable=false
num.partitions=3
default.replication.factor=1
min.insync.replicas=1
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
EOF

# Formatted once; the broker's and the admin's SCRAM credentials go into the metadata log then
# (KIP-900). kafka-init creates the services' users. Data formatted without them (a PLAINTEXT
# broker's) would leave the broker unable to authenticate to itself.
if [ -f "$data/meta.properties" ] && [ ! -f "$data/.scram" ]; then
  echo "start.sh: $data was formatted without SCRAM users (an earlier PLAINTEXT broker): delete the volume and start again" >&2
  exit 1
fi
if [ ! -f "$data/meta.properties" ]; then
  "$bin/kafka-storage.sh" format --ignore-formatted -t "$("$bin/kafka-storage.sh" random-uuid)" -c "$conf/server.properties" \
    --add-scram "SCRAM-SHA-512=[name=broker,password=$KAFKA_BROKER_PASSWORD]" \
    --add-scram "SCRAM-SHA-512=[name=admin,password=$KAFKA_ADMIN_PASSWORD]"
  touch "$data/.scram"
fi
exec "$bin/kafka-server-start.sh" "$conf/server.properties"
