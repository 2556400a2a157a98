# The kind overlay: infrastructure StatefulSets with volumes, the topics Job, the gateway's
# NodePorts mapped by k8s/kind-cluster.yaml (input.kind_cluster), side-loaded images.
package k8s.kind

import data.lib

applies if input.target.overlay == "kind"

deny contains sprintf("StatefulSet/%s: missing, or without volumeClaimTemplates", [n]) if {
	applies
	some n in ["postgres", "mongodb", "kafka"]
	not with_volumes(n)
}

with_volumes(n) if {
	some sts in lib.objects_of("StatefulSet")
	sts.metadata.name == n
	count(object.get(sts.spec, "volumeClaimTemplates", [])) > 0
}

topic_jobs := {j | some j in lib.objects_of("Job"); contains(j.metadata.name, "topic")}

deny contains "topics Job: no Job creating the Kafka topics" if {
	applies
	count(topic_jobs) == 0
}

deny contains sprintf("%s: %s", [lib.name(job), problem]) if {
	applies
	some job in topic_jobs
	script := concat("\n", [s | some c in lib.pod_spec(job).containers; some s in array.concat(object.get(c, "command", []), object.get(c, "args", []))])
	some problem in array.concat(
		lib.topic_problems(lib.topics_in(script)),
		["topic creation is not idempotent (--if-not-exists)" | not contains(script, "--if-not-exists")],
	)
}

node_ports := {p.name: p.nodePort | some svc in lib.objects_of("Service"); svc.metadata.name == "gateway"; some p in svc.spec.ports}

deny contains sprintf("Service/gateway: want NodePort grpc=%d http=%d, got %s", [want.grpc, want.http, json.marshal(node_ports)]) if {
	applies
	want := data.contract.k8s.kindNodePorts
	not gateway_node_ports(want)
}

gateway_node_ports(want) if {
	some svc in lib.objects_of("Service")
	svc.metadata.name == "gateway"
	svc.spec.type == "NodePort"
	node_ports.grpc == want.grpc
	node_ports.http == want.http
}

deny contains sprintf("%s: imagePullPolicy %v (kind load docker-image needs IfNotPresent)", [lib.name(d), policy]) if {
	applies
	some d in lib.workloads
	lib.app_of(d)
	policy := object.get(lib.pod_spec(d).containers[0], "imagePullPolicy", "(default)")
	policy != "IfNotPresent"
}

deny contains "the kind overlay renders no Namespace (the restricted Pod Security label lives there)" if {
	applies
	count(lib.objects_of("Namespace")) == 0
}

deny contains "k8s/kind-cluster.yaml: missing: the NodePort path in k8s/README.md needs it" if {
	applies
	input.kind_cluster == null
}

deny contains sprintf("k8s/kind-cluster.yaml: no extraPortMappings for NodePort %d", [port]) if {
	applies
	is_object(input.kind_cluster)
	mapped := {to_number(m.containerPort) | some n in object.get(input.kind_cluster, "nodes", []); some m in object.get(n, "extraPortMappings", [])}
	some port in data.contract.k8s.kindNodePorts
	not port in mapped
}
