# Every ConfigMap, Secret and ServiceAccount a pod needs is rendered (with the keys it reads).
# The base leaves Secrets to the overlays.
package k8s.references

import data.lib

rendered(kind) := {o.metadata.name: o | some o in lib.objects_of(kind)}

keys(o) := {k | some k, _ in object.get(o, "data", {})} | {k | some k, _ in object.get(o, "stringData", {})}

# [workload, {kind, name, key (or null), where}] for every reference that is not optional.
refs contains [lib.name(w), r] if {
	some w in lib.workloads
	some x in lib.containers(lib.pod_spec(w))
	some e in object.get(x.c, "env", [])
	some kind, field in {"Secret": "secretKeyRef", "ConfigMap": "configMapKeyRef"}
	ref := e.valueFrom[field]
	not ref.optional
	r := {"kind": kind, "name": ref.name, "key": ref.key, "where": sprintf("%s env %s", [x.c.name, e.name])}
}

refs contains [lib.name(w), r] if {
	some w in lib.workloads
	some x in lib.containers(lib.pod_spec(w))
	some ef in object.get(x.c, "envFrom", [])
	some kind, field in {"Secret": "secretRef", "ConfigMap": "configMapRef"}
	ref := ef[field]
	not ref.optional
	r := {"kind": kind, "name": ref.name, "key": null, "where": sprintf("%s envFrom", [x.c.name])}
}

refs contains [lib.name(w), r] if {
	some w in lib.workloads
	some v in object.get(lib.pod_spec(w), "volumes", [])
	some kind, field in {"Secret": ["secret", "secretName"], "ConfigMap": ["configMap", "name"]}
	ref := v[field[0]]
	not ref.optional
	r := {"kind": kind, "name": ref[field[1]], "key": null, "where": sprintf("volume %s", [v.name])}
}

checked(r) if r.kind == "ConfigMap"

checked(_) if input.target.standalone

deny contains msg if {
	some ref in refs
	[w, r] := ref
	checked(r)
	not rendered(r.kind)[r.name]
	msg := sprintf("%s: %s: %s %s is not rendered", [w, r.where, r.kind, r.name])
}

deny contains msg if {
	some ref in refs
	[w, r] := ref
	checked(r)
	is_string(r.key)
	not r.key in keys(rendered(r.kind)[r.name])
	msg := sprintf("%s: %s: %s %s has no key %s", [w, r.where, r.kind, r.name, r.key])
}

deny contains msg if {
	some w in lib.workloads
	sa := lib.pod_spec(w).serviceAccountName
	sa != "default"
	not rendered("ServiceAccount")[sa]
	msg := sprintf("%s: ServiceAccount %s is not rendered", [lib.name(w), sa])
}
