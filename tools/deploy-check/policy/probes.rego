# Long-running containers have readiness and liveness probes (of any kind, on any port).
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
