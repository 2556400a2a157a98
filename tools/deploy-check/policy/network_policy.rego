# NetworkPolicies (dev overlays, or wherever there are any): default deny, DNS, only the gateway
# open to anyone, and every edge the system needs allowed both ways.
package k8s.network_policy

import data.lib

nps := lib.objects_of("NetworkPolicy")

applies if input.target.dev

applies if count(nps) > 0

selector(np) := object.get(np, ["spec", "podSelector"], {})

rules(np, direction) := object.get(np, ["spec", direction], [])

selects_all(np) if {
	count(object.get(selector(np), "matchLabels", {})) == 0
	count(object.get(selector(np), "matchExpressions", [])) == 0
}

denies_all(type, direction) if {
	some np in nps
	selects_all(np)
	type in object.get(np.spec, "policyTypes", [])
	count(rules(np, direction)) == 0
}

deny contains "default deny ingress: no policy selects all pods with policyTypes Ingress and no rules" if {
	applies
	not denies_all("Ingress", "ingress")
}

deny contains "DNS egress: egress is denied by default but no policy allows port 53 for all pods" if {
	applies
	denies_all("Egress", "egress")
	not dns_allowed
}

dns_allowed if {
	some np in nps
	selects_all(np)
	some r in rules(np, "egress")
	some p in object.get(r, "ports", [])
	p.port == 53
}

deny contains msg if {
	applies
	some np in nps
	some rule in rules(np, "ingress")
	count(object.get(rule, "from", [])) == 0
	others := [lib.name(w) |
		some w in lib.workloads
		lib.selector_matches(selector(np), lib.pod_labels(w))
		not lib.app_of(w) == "gateway"
	]
	count(others) > 0
	msg := sprintf("%s: opens ingress from anywhere to %s", [lib.name(np), concat(", ", sort(others))])
}

services := data.contract.services

edges := array.concat(
	[
		["gateway", "inventory", services.inventory.grpcPort],
		["gateway", "order-store", services["order-store"].grpcPort],
		["inventory", "postgres", 5432],
		["order-store", "mongodb", 27017],
		["kafka-topics", "kafka", 9092],
	],
	[[app, "kafka", 9092] | some app in data.contract.apps; services[app].kafka],
)

pods_named(n) := {w | some w in lib.workloads; lib.pod_labels(w)["app.kubernetes.io/name"] == n}

port_allowed(r, _) if not lib.has_key(r, "ports")

port_allowed(r, port) if {
	some p in r.ports
	p.port == port
}

peer_allowed(r, key, _) if not lib.has_key(r, key)

peer_allowed(r, key, w) if {
	some peer in r[key]
	peer.podSelector
	not peer.namespaceSelector
	lib.selector_matches(peer.podSelector, lib.pod_labels(w))
}

# Whether some policy on `on` has a `direction` rule letting `peer` (under `key`) in on `port`.
allows(on, direction, key, peer, port) if {
	some np in nps
	lib.selector_matches(selector(np), lib.pod_labels(on))
	some r in rules(np, direction)
	port_allowed(r, port)
	peer_allowed(r, key, peer)
}

deny contains msg if {
	applies
	some edge in edges
	[from, to, port] := edge
	some src in pods_named(from)
	some dst in pods_named(to)
	missing := array.concat(
		["no ingress rule" | not allows(dst, "ingress", "from", src, port)],
		["no egress rule" | not egress_ok(src, dst, port)],
	)
	count(missing) > 0
	msg := sprintf("%s -> %s:%d: %s", [from, to, port, concat(", ", missing)])
}

egress_ok(_, _, _) if not denies_all("Egress", "egress")

egress_ok(src, dst, port) if allows(src, "egress", "to", dst, port)
