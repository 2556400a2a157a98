# Every container requests and limits CPU and memory.
package k8s.resources

import data.lib

deny contains msg if {
	some w in lib.workloads
	some x in lib.containers(lib.pod_spec(w))
	missing := [sprintf("%s.%s", [k, r]) | some k in ["requests", "limits"]; some r in ["cpu", "memory"]; not x.c.resources[k][r]]
	count(missing) > 0
	msg := sprintf("%s: missing %s", [lib.container_name(w, x), concat(", ", missing)])
}
