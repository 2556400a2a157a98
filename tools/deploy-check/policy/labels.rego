# Workloads and Services carry the app.kubernetes.io name and part-of labels.
package k8s.labels

import data.lib

deny contains msg if {
	some o in input.objects
	o.kind in (lib.workload_kinds | {"Service"})
	missing := [k | some k in ["app.kubernetes.io/name", "app.kubernetes.io/part-of"]; not o.metadata.labels[k]]
	count(missing) > 0
	msg := sprintf("%s: missing %s", [lib.name(o), concat(", ", missing)])
}
