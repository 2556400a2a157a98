# shellcheck shell=bash
# Apache Kafka 4.x, KRaft single node (broker + controller in one JVM), jars from Maven Central.

: "${KAFKA_TOPICS:=order-events:3 payment-events:3 order-events.dlt:1 payment-events.dlt:1}"
: "${KAFKA_JVM_OPTS:=-XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:InitiatingHeapOccupancyPercent=35 -XX:+ExplicitGCInvokesConcurrent -XX:MaxInlineLevel=15 -XX:+ExitOnOutOfMemoryError}"

JAVA=${JAVA_HOME:+$JAVA_HOME/bin/}java
KAFKA_HOME=$INFRA_CACHE/kafka-$KAFKA_VERSION
KAFKA_CONF=$INFRA_DIR/kafka
KAFKA_DATA=$DATA_DIR/kafka
KAFKA_LOG=$LOG_DIR/kafka.log
KAFKA_MARKER=$KAFKA_CONF/server.properties
KAFKA_LOG4J=$INFRA_HOME/kafka/log4j2.xml

java_major() { "$JAVA" -version 2>&1 | sed -n 's/.* version "\([0-9]*\).*/\1/p' | head -n1; }

kafka_install() {
  local major stamp tmp
  major=$(java_major 2>/dev/null || true)
  if [[ -z $major ]] || ((major < 17)); then
    apt_install openjdk-17-jre-headless
    major=$(java_major 2>/dev/null || true)
    if [[ -z $major ]] || ((major < 17)); then die "kafka: Java 17+ needed, $JAVA reports '${major:-nothing}'"; fi
  fi
  # The jar set is keyed by version and by the pom that resolved it.
  stamp=$(sha256sum "$INFRA_HOME/kafka/pom.xml" | cut -c1-16)
  [[ -f $KAFKA_HOME/.stamp && $(<"$KAFKA_HOME/.stamp") == "$stamp" ]] && return 0
  command -v mvn >/dev/null || apt_install maven
  local log=$LOG_DIR/kafka-install.log
  info "kafka: resolving org.apache.kafka:kafka_2.13:$KAFKA_VERSION with Maven into $KAFKA_HOME (log $log)"
  tmp=$KAFKA_HOME.tmp.$$
  rm -rf "$tmp"
  mvn -B -ntp -Dstyle.color=never -f "$INFRA_HOME/kafka/pom.xml" -Dkafka.version="$KAFKA_VERSION" \
    dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$tmp/libs" >"$log" 2>&1 ||
    die_with_log "kafka: Maven could not resolve Kafka $KAFKA_VERSION" "$log"
  [[ -f $tmp/libs/kafka_2.13-$KAFKA_VERSION.jar ]] || die "kafka: kafka_2.13-$KAFKA_VERSION.jar missing after resolve"
  echo "$stamp" >"$tmp/.stamp"
  rm -rf "$KAFKA_HOME"
  mv "$tmp" "$KAFKA_HOME"
}

# Clients authenticate with SASL/SCRAM-SHA-512 over TLS (the project CA's certificate for `kafka`),
# one principal per service, and StandardAuthorizer allows only what the ACLs grant
# (libs/platform/kafka/src/acls.ts, applied by tools/infra/kafka-acls.ts). The controller
# listener takes mutual TLS: only the broker's own certificate is a super user there.
kafka_write_config() {
  mkdir -p "$KAFKA_CONF" "$KAFKA_DATA"
  cat "$TLS_DIR/kafka.key" "$TLS_DIR/kafka.crt" >"$KAFKA_CONF/keystore.pem"
  chmod 600 "$KAFKA_CONF/keystore.pem"
  cat >"$KAFKA_CONF/server.properties" <<EOF
# written by tools/infra/components/kafka.sh on every start
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$KAFKA_CONTROLLER_PORT
listeners=SASL_SSL://127.0.0.1:$KAFKA_PORT,CONTROLLER://127.0.0.1:$KAFKA_CONTROLLER_PORT
advertised.listeners=SASL_SSL://127.0.0.1:$KAFKA_PORT
controller.listener.names=CONTROLLER
inter.broker.listener.name=SASL_SSL
listener.security.protocol.map=SASL_SSL:SASL_SSL,CONTROLLER:SSL
sasl.enabled.mechanisms=SCRAM-SHA-512
sasl.mechanism.inter.broker.protocol=SCRAM-SHA-512
listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="broker" password="$KAFKA_BROKER_PASSWORD";
ssl.keystore.type=PEM
ssl.keystore.location=$KAFKA_CONF/keystore.pem
ssl.truststore.type=PEM
ssl.truststore.location=$TLS_DIR/ca.crt
listener.name.controller.ssl.client.auth=required
authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer
super.users=User:broker;User:admin;User:CN=kafka
allow.everyone.if.no.acl.found=false
log.dirs=$KAFKA_DATA
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
# after a crash the broker waits for its old session to expire: keep that short on one node
broker.heartbeat.interval.ms=1000
broker.session.timeout.ms=4000
num.network.threads=2
num.io.threads=4
log.retention.hours=168
EOF
  cat >"$KAFKA_CONF/admin.properties" <<EOF
request.timeout.ms=5000
default.api.timeout.ms=10000
security.protocol=SASL_SSL
sasl.mechanism=SCRAM-SHA-512
sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="admin" password="$KAFKA_ADMIN_PASSWORD";
ssl.truststore.type=PEM
ssl.truststore.location=$TLS_DIR/ca.crt
EOF
  chmod 600 "$KAFKA_CONF/admin.properties"
}

# kafka_users: every service's SCRAM principal, with its generated password (idempotent; skipped
# while the passwords are the ones already set).
kafka_users() {
  local who pw stamp
  stamp=$(sha256sum "$SECRETS_ENV" | cut -c1-16)
  [[ -f $KAFKA_DATA/.users && $(<"$KAFKA_DATA/.users") == "$stamp" ]] && return 0
  info "kafka: SCRAM users for inventory, payment, order-store, dlt"
  for who in inventory payment order-store dlt; do
    pw=KAFKA_$(tr 'a-z-' 'A-Z_' <<<"$who")_PASSWORD
    kafka_java_tool org.apache.kafka.tools.ConfigCommand --bootstrap-server "127.0.0.1:$KAFKA_PORT" \
      --command-config "$KAFKA_CONF/admin.properties" --alter --entity-type users --entity-name "$who" \
      --add-config "SCRAM-SHA-512=[iterations=4096,password=${!pw}]" >>"$KAFKA_LOG" 2>&1 ||
      die_with_log "kafka: creating the SCRAM user $who failed" "$KAFKA_LOG"
  done
  echo "$stamp" >"$KAFKA_DATA/.users"
}

# kafka_acls: what each principal may do on the system's topics (tools/ops/src/kafka-acls.ts, from
# libs/platform/kafka/src/acls.ts: the one place the matrix is written).
kafka_acls() {
  (cd "$REPO_ROOT" && KAFKA_BROKERS="127.0.0.1:$KAFKA_PORT" node_modules/.bin/tsx tools/ops/src/kafka-acls.ts) >>"$KAFKA_LOG" 2>&1 ||
    die_with_log "kafka: granting the ACLs failed (npm ci first?)" "$KAFKA_LOG"
}

# Short-lived admin JVMs: quick-start flags are fine here (never used for the broker).
kafka_java_tool() {
  timeout 60 "$JAVA" -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xshare:auto -Xmx256m \
    -Dlog4j2.configurationFile="$KAFKA_LOG4J" -Dkafka.log.level=ERROR -cp "$KAFKA_HOME/libs/*" "$@"
}

kafka_topics() {
  kafka_java_tool org.apache.kafka.tools.TopicCommand --bootstrap-server "127.0.0.1:$KAFKA_PORT" \
    --command-config "$KAFKA_CONF/admin.properties" "$@"
}

# Readiness: a real metadata request (list topics) answered by the broker.
kafka_ready() { port_open 127.0.0.1 "$KAFKA_PORT" && kafka_topics --list >/dev/null; }

kafka_format_once() {
  # Formatted before principals existed (a PLAINTEXT broker): the data is thrown away.
  if [[ -f $KAFKA_DATA/meta.properties && ! -f $KAFKA_DATA/.scram ]]; then
    info "kafka: $KAFKA_DATA predates SASL; formatting it again"
    rm -rf "$KAFKA_DATA"
    mkdir -p "$KAFKA_DATA"
  fi
  [[ -f $KAFKA_DATA/meta.properties ]] && return 0
  local id
  # A cluster id is 16 random bytes in URL-safe base64; Kafka avoids ids starting with '-'.
  until [[ ${id:-} && $id != -* ]]; do
    id=$(head -c16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')
  done
  info "kafka: formatting $KAFKA_DATA (cluster id $id)"
  # The broker's and the admin's SCRAM credentials go into the metadata log at format time (KIP-900).
  kafka_java_tool kafka.tools.StorageTool format --ignore-formatted -t "$id" -c "$KAFKA_CONF/server.properties" \
    --add-scram "SCRAM-SHA-512=[name=broker,password=$KAFKA_BROKER_PASSWORD]" \
    --add-scram "SCRAM-SHA-512=[name=admin,password=$KAFKA_ADMIN_PASSWORD]" >>"$KAFKA_LOG" 2>&1 ||
    die_with_log "kafka: storage format failed" "$KAFKA_LOG"
  touch "$KAFKA_DATA/.scram"
}

kafka_up() {
  local pid
  if pid=$(tracked_pid kafka "$KAFKA_MARKER"); then
    info "kafka: already running (pid $pid)"
  else
    require_free_port kafka 127.0.0.1 "$KAFKA_PORT"
    require_free_port kafka-controller 127.0.0.1 "$KAFKA_CONTROLLER_PORT"
    kafka_write_config
    kafka_format_once
    info "kafka: starting $KAFKA_VERSION"
    # shellcheck disable=SC2086 # option lists are meant to split
    pid=$(start_daemon kafka "$KAFKA_LOG" "${BACKGROUND[@]}" "$JAVA" $KAFKA_HEAP_OPTS $KAFKA_JVM_OPTS \
      "-Xlog:gc*:file=$LOG_DIR/kafka-gc.log:time,tags:filecount=3,filesize=10M" \
      -Djava.awt.headless=true -Dlog4j2.configurationFile="$KAFKA_LOG4J" \
      -cp "$KAFKA_HOME/libs/*" kafka.Kafka "$KAFKA_MARKER")
  fi
  wait_until kafka "$KAFKA_LOG" "$pid" kafka_ready
  kafka_users
}

kafka_down() {
  local pid
  pid=$(tracked_pid kafka "$KAFKA_MARKER") || return 0
  info "kafka: stopping (SIGTERM, controlled shutdown)"
  stop_pid kafka "$pid" 60
  rm -f "$(pid_file kafka)"
}

# partitions_of NAME: partition count of NAME in `TopicCommand --describe` output on stdin.
partitions_of() {
  awk -v t="$1" '$1 == "Topic:" && $2 == t { for (i = 3; i < NF; i++) if ($i == "PartitionCount:") print $(i + 1) }'
}

# Create missing topics (--if-not-exists), then check partition counts.
kafka_ensure_topics() {
  local described spec name parts have created=
  described=$(kafka_topics --describe --exclude-internal) || die_with_log "kafka: cannot describe topics" "$KAFKA_LOG"
  for spec in $KAFKA_TOPICS; do
    name=${spec%%:*} parts=${spec##*:}
    [[ -n $(partitions_of "$name" <<<"$described") ]] && continue
    info "kafka: creating topic $name ($parts partitions)"
    kafka_topics --create --if-not-exists --topic "$name" --partitions "$parts" --replication-factor 1 \
      >/dev/null || die "kafka: creating topic $name failed"
    created=1
  done
  if [[ -n $created ]]; then
    described=$(kafka_topics --describe --exclude-internal) || die "kafka: describe topics failed"
  fi
  for spec in $KAFKA_TOPICS; do
    name=${spec%%:*} parts=${spec##*:}
    have=$(partitions_of "$name" <<<"$described")
    [[ -n $have ]] || die "kafka: topic $name missing after create"
    ((have >= parts)) || info "kafka: WARNING topic $name has $have partitions, wanted $parts"
    info "kafka: topic $name partitions=$have"
  done
}

kafka_status() {
  local pid state=DOWN detail=-
  [[ -f $KAFKA_HOME/.stamp ]] || detail="not installed"
  if pid=$(tracked_pid kafka "$KAFKA_MARKER"); then
    local topics
    if topics=$(kafka_topics --list --exclude-internal 2>/dev/null); then
      state=UP detail="Kafka $KAFKA_VERSION KRaft, $(grep -c . <<<"$topics" || true) topics"
    else
      state=UNHEALTHY detail="metadata request failed"
    fi
  else
    pid=-
    port_open 127.0.0.1 "$KAFKA_PORT" && state=PORT-BUSY detail="not ours: $(port_owner "$KAFKA_PORT")"
  fi
  echo "kafka|$KAFKA_PORT|$state|$pid|$detail"
}
