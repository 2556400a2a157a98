# Each Service selects some pod template and targets ports it exposes.
package k8s.services

import data.lib

selecting contains svc if {
	some svc in lib.objects_of("Service")
	svc.spec.selector
}

matched(svc) := {w |
	some w in lib.workloads
	not w.kind in {"Job", "CronJob"}
	lib.labels_match(svc.spec.selector, lib.pod_labels(w))
}

deny contains msg if {
	some svc in selecting
	count(matched(svc)) == 0
	msg := sprintf("%s: selector %s matches no pod template", [lib.name(svc), json.marshal(svc.spec.selector)])
}

deny contains msg if {
	some svc in selecting
	ws := matched(svc)
	ports := {p | some w in ws; some c in object.get(lib.pod_spec(w), "containers", []); some p in object.get(c, "ports", [])}
	some p in object.get(svc.spec, "ports", [])
	target := object.get(p, "targetPort", p.port)
	count(ws) > 0
	not exposes(ports, target)
	msg := sprintf("%s: targetPort %v not exposed by %s", [lib.name(svc), target, concat(", ", sort([lib.name(w) | some w in ws]))])
}

exposes(ports, target) if {
	some p in ports
	p.name == target
}

exposes(ports, target) if {
	some p in ports
	p.containerPort == target
}

# The admin port (metrics, probes) is for Prometheus and the kubelet, never behind a Service.
deny contains msg if {
	some svc in selecting
	some p in object.get(svc.spec, "ports", [])
	target := object.get(p, "targetPort", p.port)
	some w in matched(svc)
	some c in object.get(lib.pod_spec(w), "containers", [])
	some cp in object.get(c, "ports", [])
	cp.name == "admin"
	target in {cp.name, cp.containerPort}
	msg := sprintf("%s: port %v is the admin port of %s", [lib.name(svc), target, lib.name(w)])
}
