# Helpers for the k8s.* policies. input: {target: {name, overlay, standalone}, objects}.
package lib

workload_kinds := {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob", "Pod"}

long_running := {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet"}

workloads contains o if {
	some o in input.objects
	o.kind in workload_kinds
}

objects_of(kind) := {o | some o in input.objects; o.kind == kind}

name(o) := sprintf("%s/%s", [o.kind, object.get(o, ["metadata", "name"], "?")])

pod_template(o) := {"metadata": object.get(o, "metadata", {}), "spec": object.get(o, "spec", {})} if {
	o.kind == "Pod"
} else := object.get(o, ["spec", "jobTemplate", "spec", "template"], {}) if {
	o.kind == "CronJob"
} else := object.get(o, ["spec", "template"], {})

pod_spec(o) := object.get(pod_template(o), "spec", {})

pod_labels(o) := object.get(pod_template(o), ["metadata", "labels"], {})

app_name(o) := object.get(pod_labels(o), "app.kubernetes.io/name", null)

# Every container of a pod spec, init containers first: {"c": container, "init": bool}.
containers(spec) := array.concat(
	[{"c": c, "init": true} | some c in object.get(spec, "initContainers", [])],
	[{"c": c, "init": false} | some c in object.get(spec, "containers", [])],
)

container_name(w, x) := sprintf("%s:%s%s", [name(w), x.c.name, {true: " (init)", false: ""}[x.init]])

has_key(obj, k) if _ = obj[k]

# A Service's selector: every label it names, with that value.
labels_match(selector, labels) if {
	every k, v in selector {
		labels[k] == v
	}
}

# A LabelSelector (matchLabels and matchExpressions) against a pod's labels.
selector_matches(sel, labels) if {
	labels_match(object.get(sel, "matchLabels", {}), labels)
	every e in object.get(sel, "matchExpressions", []) {
		expression_matches(e, labels)
	}
}

expression_matches(e, labels) if {
	e.operator == "In"
	labels[e.key] in e.values
}

expression_matches(e, labels) if {
	e.operator == "NotIn"
	not labels[e.key] in e.values
}

expression_matches(e, labels) if {
	e.operator == "Exists"
	has_key(labels, e.key)
}

expression_matches(e, labels) if {
	e.operator == "DoesNotExist"
	not has_key(labels, e.key)
}

# Defined, as a message, only for an image without a pinned tag or digest.
image_problem(image) := "no image" if not is_string(image)

image_problem(image) := sprintf("image %q has no tag", [image]) if {
	is_string(image)
	not contains(image, "@sha256:")
	not contains(last_segment(image), ":")
}

image_problem(image) := sprintf("image %q uses :latest", [image]) if {
	is_string(image)
	not contains(image, "@sha256:")
	seg := last_segment(image)
	substring(seg, indexof(seg, ":") + 1, -1) in {"", "latest"}
}

last_segment(image) := parts[count(parts) - 1] if parts := split(image, "/")
