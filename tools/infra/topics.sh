#!/usr/bin/env bash
# Create the Kafka topics idempotently (replication factor 1):
#   order-events, payment-events: 3 partitions; order-events.dlt, payment-events.dlt: 1.
# Override with KAFKA_TOPICS="name:partitions ...". The broker must be up (tools/infra/up.sh).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

tracked_pid kafka "$KAFKA_MARKER" >/dev/null || die "kafka is not running; start it with tools/infra/up.sh"
kafka_ensure_topics
