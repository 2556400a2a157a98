# NetworkPolicies in every overlay: a default deny of all traffic, a policy of its own letting
# each workload through, and ingress from anywhere only to the gateway.
package k8s.network_policy

import data.lib

nps := lib.objects_of("NetworkPolicy")

selects_all(np) if {
	count(object.get(np.spec.podSelector, "matchLabels", {})) == 0
	count(object.get(np.spec.podSelector, "matchExpressions", [])) == 0
}

denies_all if {
	some np in nps
	selects_all(np)
	{"Ingress", "Egress"} == {t | some t in np.spec.policyTypes}
	count(object.get(np.spec, "ingress", [])) + count(object.get(np.spec, "egress", [])) == 0
}

deny contains "default deny: no NetworkPolicy selects all pods with policyTypes Ingress and Egress and no rules" if {
	input.target.standalone
	not denies_all
}

deny contains sprintf("%s: no NetworkPolicy selects its pods but those for all pods", [lib.name(w)]) if {
	input.target.standalone
	some w in lib.workloads
	not selected(w)
}

selected(w) if {
	some np in nps
	not selects_all(np)
	lib.selector_matches(np.spec.podSelector, lib.pod_labels(w))
}

deny contains msg if {
	some np in nps
	some rule in object.get(np.spec, "ingress", [])
	count(object.get(rule, "from", [])) == 0
	others := [lib.name(w) |
		some w in lib.workloads
		lib.selector_matches(np.spec.podSelector, lib.pod_labels(w))
		not lib.app_name(w) == "gateway"
	]
	count(others) > 0
	msg := sprintf("%s: opens ingress from anywhere to %s", [lib.name(np), concat(", ", sort(others))])
}
