# The four services' Deployments honour src/contract.mjs: env keys and values, secret sources,
# ports, Prometheus annotations, shutdown budget, image, labels, ServiceAccount.
package k8s.app_contract

import data.lib

contract := data.contract

deployments contains d if {
	some d in lib.workloads
	lib.app_of(d)
}

container(d) := c if {
	some c in lib.pod_spec(d).containers
	c.name == lib.app_of(d)
} else := lib.pod_spec(d).containers[0]

# The environment as the container sees it; values from elsewhere than a Secret read "(valueFrom)".
env(d) := object.union_n(array.concat(
	[object.get(cm, "data", {}) |
		some ef in object.get(container(d), "envFrom", [])
		some cm in lib.objects_of("ConfigMap")
		cm.metadata.name == ef.configMapRef.name
	],
	[{e.name: v} | some e in object.get(container(d), "env", []); v := plain_value(e)],
))

plain_value(e) := e.value if {
	lib.has_key(e, "value")
} else := "(valueFrom)" if {
	e.valueFrom
	not e.valueFrom.secretKeyRef
}

secret_env(d) := {e.name: [ref.name, ref.key] | some e in object.get(container(d), "env", []); ref := e.valueFrom.secretKeyRef}

deny contains say(d, sprintf("missing env %s", [concat(", ", missing)])) if {
	some d in deployments
	missing := [k | some k in contract.envKeys[lib.app_of(d)]; not lib.has_key(env(d), k); not lib.has_key(secret_env(d), k)]
	count(missing) > 0
}

deny contains say(d, sprintf("%s=%s (contract: %s)", [k, env(d)[k], v])) if {
	some d in deployments
	some k, v in contract.k8sEnv[lib.app_of(d)]
	env(d)[k] != v
}

deny contains say(d, sprintf("%s must come from secretKeyRef %s/%s", [k, name, key])) if {
	some d in deployments
	some k, ref in contract.k8s.secretRefs[lib.app_of(d)]
	[name, key] := ref
	not from_secret(secret_env(d)[k], name, key)
}

# kustomize appends a content hash to generated Secret names.
from_secret(got, name, key) if {
	got[1] == key
	got[0] == name
}

from_secret(got, name, key) if {
	got[1] == key
	startswith(got[0], concat("", [name, "-"]))
}

deny contains say(d, sprintf("%s does not use Kafka: no KAFKA_BROKERS, no kafka-client label (least privilege)", [app])) if {
	some d in deployments
	app := lib.app_of(d)
	not contract.services[app].kafka
	kafka_wired(d)
}

kafka_wired(d) if lib.has_key(env(d), "KAFKA_BROKERS")

kafka_wired(d) if lib.pod_labels(d)["order-system.dev/kafka-client"]

deny contains say(d, sprintf("container port grpc=%v (contract: %d)", [object.get(ports, "grpc", "(none)"), want])) if {
	some d in deployments
	ports := {p.name: p.containerPort | some p in object.get(container(d), "ports", [])}
	want := contract.services[lib.app_of(d)].grpcPort
	not ports.grpc == want
}

deny contains say(d, sprintf("no container port %d", [want])) if {
	some d in deployments
	want := contract.services[lib.app_of(d)].httpPort
	not want in {p.containerPort | some p in object.get(container(d), "ports", [])}
}

# Prometheus finds /metrics through the pod annotations, on the port the service serves it on.
deny contains say(d, sprintf("pod annotation %s=%s (want %s)", [k, object.get(annotations, k, "(none)"), v])) if {
	some d in deployments
	annotations := object.get(d.spec.template.metadata, "annotations", {})
	port := format_int(contract.services[lib.app_of(d)].httpPort, 10)
	some k, v in {"prometheus.io/scrape": "true", "prometheus.io/port": port, "prometheus.io/path": "/metrics"}
	not annotations[k] == v
}

deny contains say(d, sprintf("terminationGracePeriodSeconds=%v (want %d)", [object.get(lib.pod_spec(d), "terminationGracePeriodSeconds", "(none)"), want])) if {
	some d in deployments
	want := contract.k8s.terminationGracePeriodSeconds
	not lib.pod_spec(d).terminationGracePeriodSeconds == want
}

deny contains say(d, sprintf("preStop %vs + SHUTDOWN_TIMEOUT %vs does not fit in the %ds grace period", [pre_stop, shutdown, grace])) if {
	some d in deployments
	grace := lib.pod_spec(d).terminationGracePeriodSeconds
	shutdown := to_number(object.get(env(d), "SHUTDOWN_TIMEOUT_MS", "8000")) / 1000
	pre_stop := object.get(container(d), ["lifecycle", "preStop", "sleep", "seconds"], 0)
	shutdown + pre_stop >= grace
}

deny contains say(d, sprintf("image %v is not order-system/%s:<semver>", [image, app])) if {
	some d in deployments
	app := lib.app_of(d)
	image := object.get(container(d), "image", "(none)")
	not semver_image(image, app)
}

semver_image(image, app) if {
	regex.match(`^([a-z0-9.-]+(:\d+)?/)?order-system/[a-z-]+:\d+\.\d+\.\d+`, image)
	contains(image, sprintf("/%s:", [app]))
}

deny contains say(d, sprintf("pod template lacks label %s", [l])) if {
	some d in deployments
	some l in ["app.kubernetes.io/name", "app.kubernetes.io/part-of", "app.kubernetes.io/version"]
	not lib.pod_labels(d)[l]
}

deny contains say(d, "no dedicated ServiceAccount") if {
	some d in deployments
	object.get(lib.pod_spec(d), "serviceAccountName", "default") in {"", "default"}
}

say(d, problem) := sprintf("%s: %s", [lib.name(d), problem])

deny contains sprintf("%s: %s renders no Deployment for %s", [app, input.target.name, app]) if {
	some app in contract.apps
	not app in {lib.app_of(d) | some d in deployments}
}
