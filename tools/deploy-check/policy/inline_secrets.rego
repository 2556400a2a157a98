# No secret values in env or ConfigMaps: they belong in Secrets.
package k8s.inline_secrets

import data.lib

secret_name := `(?i)PASSWORD|PASSWD|SECRET|TOKEN|API_?KEY|PRIVATE_?KEY|CREDENTIAL`

uri_with_credentials := `(?i)[a-z][a-z0-9+.-]*://[^/@\s:]+:[^/@\s]+@`

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
