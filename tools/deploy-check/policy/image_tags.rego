# Images are pinned: a tag other than latest, or a digest.
package k8s.image_tags

import data.lib

deny contains msg if {
	some w in lib.workloads
	some x in lib.containers(lib.pod_spec(w))
	msg := sprintf("%s: %s", [lib.container_name(w, x), lib.image_problem(object.get(x.c, "image", null))])
}
