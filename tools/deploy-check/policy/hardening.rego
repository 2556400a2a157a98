# What the "restricted" Pod Security Standard leaves out (the API server enforces the rest, see
# src/server-check.mjs): read-only root filesystems, no service account token, and every rendered
# Namespace enforcing "restricted" itself, as a real cluster defaults to "privileged".
package k8s.hardening

import data.lib

deny contains msg if {
	some w in lib.workloads
	some x in lib.containers(lib.pod_spec(w))
	not x.c.securityContext.readOnlyRootFilesystem == true
	msg := sprintf("%s: readOnlyRootFilesystem is not true", [lib.container_name(w, x)])
}

deny contains msg if {
	some w in lib.workloads
	not lib.pod_spec(w).automountServiceAccountToken == false
	msg := sprintf("%s: automountServiceAccountToken is not false", [lib.name(w)])
}

deny contains msg if {
	some ns in lib.objects_of("Namespace")
	not ns.metadata.labels["pod-security.kubernetes.io/enforce"] == "restricted"
	msg := sprintf("%s: does not enforce the restricted Pod Security Standard", [lib.name(ns)])
}
