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

kafka_write_config() {
  mkdir -p "$KAFKA_CONF" "$KAFKA_DATA"
  cat >"$KAFKA_CONF/server.properties" <<EOF
# written by tools/infra/components/kafka.sh on every start
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$KAFKA_CONTROLLER_PORT
listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT,CONTROLLER://127.0.0.1:$KAFKA_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
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
EOF
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
  [[ -f $KAFKA_DATA/meta.properties ]] && return 0
  local id
  # A cluster id is 16 random bytes in URL-safe base64; Kafka avoids ids starting with '-'.
  until [[ ${id:-} && $id != -* ]]; do
    id=$(head -c16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')
  done
  info "kafka: formatting $KAFKA_DATA (cluster id $id)"
  kafka_java_tool kafka.tools.StorageTool format --ignore-formatted -t "$id" \
    -c "$KAFKA_CONF/server.properties" >>"$KAFKA_LOG" 2>&1 || die_with_log "kafka: storage format failed" "$KAFKA_LOG"
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
