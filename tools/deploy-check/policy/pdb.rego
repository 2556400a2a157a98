# The gateway has a PodDisruptionBudget that still lets a node drain.
package k8s.pdb

import data.lib

gateways := {d | some d in lib.objects_of("Deployment"); lib.app_name(d) == "gateway"}

pdbs_of(d) := {p | some p in lib.objects_of("PodDisruptionBudget"); lib.selector_matches(p.spec.selector, lib.pod_labels(d))}

deny contains msg if {
	some d in gateways
	count(pdbs_of(d)) == 0
	msg := "gateway: no PodDisruptionBudget selects the gateway pods"
}

deny contains msg if {
	some d in gateways
	some p in pdbs_of(d)
	replicas := object.get(d.spec, "replicas", 1)
	is_number(p.spec.minAvailable)
	p.spec.minAvailable >= replicas
	msg := sprintf("%s: minAvailable %d >= replicas %d: blocks every voluntary eviction", [lib.name(p), p.spec.minAvailable, replicas])
}
