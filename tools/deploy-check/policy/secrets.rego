# Only dev overlays render Secrets, each labelled dev-only; others get them out of band.
package k8s.secrets

import data.lib

deny contains msg if {
	some s in lib.objects_of("Secret")
	not input.target.dev
	msg := sprintf("%s: %s is not a dev overlay (%s); deliver Secrets out of band", [lib.name(s), input.target.name, concat(", ", data.contract.k8s.devOverlays)])
}

deny contains msg if {
	some s in lib.objects_of("Secret")
	input.target.dev
	[label, value] := data.contract.k8s.devOnlyLabel
	not s.metadata.labels[label] == value
	msg := sprintf("%s: dev Secret lacks label %s=%s", [lib.name(s), label, value])
}
