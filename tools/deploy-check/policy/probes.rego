# Long-running containers have readiness and liveness probes; the services' are gRPC probes on their gRPC port.
package k8s.probes

import data.lib

deny contains msg if {
	some w in lib.workloads
	w.kind in lib.long_running
	some c in object.get(lib.pod_spec(w), "containers", [])
	missing := [p | some p in ["readinessProbe", "livenessProbe"]; not c[p]]
	count(missing) > 0
	msg := sprintf("%s:%s: missing %s", [lib.name(w), c.name, concat(", ", missing)])
}

deny contains msg if {
	some w in lib.workloads
	port := data.contract.services[lib.app_of(w)].grpcPort
	some c in lib.pod_spec(w).containers
	bad := [p | some p in ["readinessProbe", "livenessProbe", "startupProbe"]; c[p]; not c[p].grpc.port == port]
	count(bad) > 0
	msg := sprintf("%s:%s: %s must be grpc probes on port %d", [lib.name(w), c.name, concat(", ", bad), port])
}
