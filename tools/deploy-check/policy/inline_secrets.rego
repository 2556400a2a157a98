# No secret values in env or ConfigMaps: they belong in Secrets. Only the kind overlay renders
# Secrets (from committed dev-only files), each labelled so; other overlays get them out of band.
package k8s.inline_secrets

import data.lib

secret_name := `(?i)PASSWORD|PASSWD|SECRET|TOKEN|API_?KEY|PRIVATE_?KEY|CREDENTIAL`

uri_with_credentials := `(?i)[a-z][a-z0-9+.-]*://[^/@\s:]+:[^/@\s]+@`

dev_only_label := "order-system.dev/dev-only"

deny contains msg if {
	some w in lib.workloads
	some x in lib.containers(lib.pod_spec(w))
	some e in object.get(x.c, "env", [])
	is_string(e.value)
	e.value != ""
	regex.match(secret_name, e.name)
	msg := sprintf("%s: %s has an inline value", [lib.container_name(w, x), e.name])
}

deny contains msg if {
	some w in lib.workloads
	some x in lib.containers(lib.pod_spec(w))
	some e in object.get(x.c, "env", [])
	regex.match(uri_with_credentials, e.value)
	msg := sprintf("%s: %s holds a URI with credentials", [lib.container_name(w, x), e.name])
}

deny contains msg if {
	some cm in lib.objects_of("ConfigMap")
	some k, v in object.get(cm, "data", {})
	leaks(k, v)
	msg := sprintf("%s: secret-looking key in a ConfigMap: %s", [lib.name(cm), k])
}

leaks(k, _) if regex.match(secret_name, k)

leaks(_, v) if regex.match(uri_with_credentials, v)

deny contains msg if {
	some s in lib.objects_of("Secret")
	not input.target.overlay == "kind"
	msg := sprintf("%s: %s renders a Secret; only the kind overlay may (dev-only values)", [lib.name(s), input.target.name])
}

deny contains msg if {
	some s in lib.objects_of("Secret")
	not s.metadata.labels[dev_only_label] == "true"
	msg := sprintf("%s: lacks the label %s=true", [lib.name(s), dev_only_label])
}
