// Policy checks on rendered Kubernetes objects. Pure functions: objects in, results out.
// Each result: { check, subject, ok, detail? }. A check that has nothing to look at says so.
import { parse as parseYaml } from 'yaml';
import { APPS, K8S, SERVICES, TOPICS, envKeys } from './contract.mjs';

const WORKLOAD_KINDS = new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job', 'CronJob', 'Pod']);
const LONG_RUNNING = new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet']);
const SECRET_NAME = /PASSWORD|PASSWD|SECRET|TOKEN|API_?KEY|PRIVATE_?KEY|CREDENTIAL/i;
const URI_WITH_CREDENTIALS = /[a-z][a-z0-9+.-]*:\/\/[^/@\s:]+:[^/@\s]+@/i;

const name = (o) => `${o.kind}/${o.metadata?.name ?? '?'}`;

export function podSpecOf(obj) {
  if (obj.kind === 'Pod') return obj.spec;
  if (obj.kind === 'CronJob') return obj.spec?.jobTemplate?.spec?.template?.spec;
  return obj.spec?.template?.spec;
}

function podLabelsOf(obj) {
  if (obj.kind === 'Pod') return obj.metadata?.labels ?? {};
  if (obj.kind === 'CronJob') return obj.spec?.jobTemplate?.spec?.template?.metadata?.labels ?? {};
  return obj.spec?.template?.metadata?.labels ?? {};
}

function allContainers(spec) {
  return [
    ...(spec?.initContainers ?? []).map((c) => ({ c, init: true })),
    ...(spec?.containers ?? []).map((c) => ({ c, init: false })),
  ];
}

export function selectorMatches(selector, labels) {
  if (!selector) return false;
  const ml = selector.matchLabels ?? (selector.matchExpressions ? {} : selector);
  for (const [k, v] of Object.entries(ml)) if (labels[k] !== v) return false;
  for (const e of selector.matchExpressions ?? []) {
    const has = Object.hasOwn(labels, e.key);
    if (e.operator === 'In' && !(has && e.values.includes(labels[e.key]))) return false;
    if (e.operator === 'NotIn' && has && e.values.includes(labels[e.key])) return false;
    if (e.operator === 'Exists' && !has) return false;
    if (e.operator === 'DoesNotExist' && has) return false;
  }
  return true;
}

/** The four services' Deployments, found by their app.kubernetes.io/name label or name. */
function appOf(obj) {
  if (obj.kind !== 'Deployment') return null;
  const n = obj.spec?.template?.metadata?.labels?.['app.kubernetes.io/name'] ?? obj.metadata?.name;
  return APPS.includes(n) ? n : null;
}

export function imageProblem(image) {
  if (!image || typeof image !== 'string') return 'no image';
  if (image.includes('@sha256:')) return null;
  const lastSegment = image.slice(image.lastIndexOf('/') + 1);
  if (!lastSegment.includes(':')) return `image "${image}" has no tag`;
  const tag = lastSegment.slice(lastSegment.indexOf(':') + 1);
  if (tag === '' || tag === 'latest') return `image "${image}" uses :latest`;
  return null;
}

function checkWorkloads(objects, push) {
  const workloads = objects.filter((o) => WORKLOAD_KINDS.has(o.kind));
  for (const w of workloads) {
    const spec = podSpecOf(w);
    const podSc = spec?.securityContext ?? {};
    const app = appOf(w);
    for (const { c, init } of allContainers(spec)) {
      const subject = `${name(w)}:${c.name}${init ? ' (init)' : ''}`;

      // probes
      if (LONG_RUNNING.has(w.kind) && !init) {
        const missing = ['readinessProbe', 'livenessProbe'].filter((p) => !c[p]);
        if (missing.length) push('probes', subject, false, `missing ${missing.join(', ')}`);
        else if (app) {
          const port = SERVICES[app].grpcPort;
          const bad = ['readinessProbe', 'livenessProbe', 'startupProbe']
            .filter((p) => c[p] && !(c[p].grpc && Number(c[p].grpc.port) === port));
          push('probes', subject, bad.length === 0, bad.length ? `${bad.join(', ')} must be grpc probes on port ${port}` : undefined);
        } else push('probes', subject, true);
      }

      // resources
      const r = c.resources ?? {};
      const missingRes = [
        ['requests', 'cpu'], ['requests', 'memory'], ['limits', 'cpu'], ['limits', 'memory'],
      ].filter(([k, res]) => r[k]?.[res] == null).map(([k, res]) => `${k}.${res}`);
      push('resources', subject, missingRes.length === 0, missingRes.length ? `missing ${missingRes.join(', ')}` : undefined);

      // securityContext
      const sc = c.securityContext ?? {};
      const problems = [];
      const runAsNonRoot = sc.runAsNonRoot ?? podSc.runAsNonRoot;
      const runAsUser = sc.runAsUser ?? podSc.runAsUser;
      const seccomp = (sc.seccompProfile ?? podSc.seccompProfile)?.type;
      if (runAsNonRoot !== true) problems.push('runAsNonRoot is not true');
      if (runAsUser === 0) problems.push('runAsUser is 0');
      if (sc.readOnlyRootFilesystem !== true) problems.push('readOnlyRootFilesystem is not true');
      if (sc.allowPrivilegeEscalation !== false) problems.push('allowPrivilegeEscalation is not false');
      if (sc.privileged === true) problems.push('privileged');
      if (!(sc.capabilities?.drop ?? []).includes('ALL')) problems.push('capabilities.drop lacks ALL');
      if ((sc.capabilities?.add ?? []).length) problems.push(`capabilities.add ${sc.capabilities.add.join(',')}`);
      if (seccomp !== 'RuntimeDefault' && seccomp !== 'Localhost') problems.push('seccompProfile is not RuntimeDefault');
      push('security-context', subject, problems.length === 0, problems.join('; ') || undefined);

      // images
      const imgProblem = imageProblem(c.image);
      push('image-tags', subject, !imgProblem, imgProblem ?? undefined);

      // inline secrets in env
      const leaks = [];
      for (const e of c.env ?? []) {
        if (e.value != null && e.value !== '' && SECRET_NAME.test(e.name)) leaks.push(`${e.name} has an inline value`);
        if (typeof e.value === 'string' && URI_WITH_CREDENTIALS.test(e.value)) leaks.push(`${e.name} holds a URI with credentials`);
      }
      push('inline-secrets', subject, leaks.length === 0, leaks.join('; ') || undefined);
    }

    // pod-level
    const podProblems = [];
    for (const f of ['hostNetwork', 'hostPID', 'hostIPC']) if (spec?.[f] === true) podProblems.push(f);
    if (spec?.automountServiceAccountToken !== false) podProblems.push('automountServiceAccountToken is not false');
    if (!spec?.containers?.length) podProblems.push('no containers');
    push('pod-hardening', name(w), podProblems.length === 0, podProblems.join('; ') || undefined);
  }
  if (!workloads.length) push('probes', '(no workloads)', true, 'nothing to check');
}

function checkConfigMapsForSecrets(objects, push) {
  for (const cm of objects.filter((o) => o.kind === 'ConfigMap')) {
    const leaks = Object.entries(cm.data ?? {})
      .filter(([k, v]) => SECRET_NAME.test(k) || URI_WITH_CREDENTIALS.test(String(v)))
      .map(([k]) => k);
    push('inline-secrets', name(cm), leaks.length === 0, leaks.length ? `secret-looking keys in a ConfigMap: ${leaks.join(', ')}` : undefined);
  }
}

function checkPdb(objects, push) {
  const gw = objects.find((o) => appOf(o) === 'gateway');
  if (!gw) return;
  const labels = podLabelsOf(gw);
  const pdb = objects.find((o) => o.kind === 'PodDisruptionBudget' && selectorMatches(o.spec?.selector, labels));
  if (!pdb) return push('pdb', 'gateway', false, 'no PodDisruptionBudget selects the gateway pods');
  const replicas = gw.spec?.replicas ?? 1;
  const min = pdb.spec?.minAvailable;
  if (typeof min === 'number' && min >= replicas) {
    return push('pdb', name(pdb), false, `minAvailable ${min} >= replicas ${replicas}: blocks every voluntary eviction`);
  }
  push('pdb', name(pdb), true);
}

function checkSecrets(objects, ctx, push) {
  const secrets = objects.filter((o) => o.kind === 'Secret');
  const [label, value] = K8S.devOnlyLabel;
  for (const s of secrets) {
    if (!ctx.dev) {
      push('secrets', name(s), false, `${ctx.name} is not a dev overlay (${K8S.devOverlays.join(', ')}); deliver Secrets out of band`);
    } else {
      const ok = s.metadata?.labels?.[label] === value;
      push('secrets', name(s), ok, ok ? 'dev-only' : `dev Secret lacks label ${label}=${value}`);
    }
  }
  if (!secrets.length) push('secrets', ctx.name, true, 'renders no Secret');
}

/** Every reference from a pod to a ConfigMap, Secret or ServiceAccount resolves within the render. */
function checkReferences(objects, ctx, push) {
  const byKind = (k) => new Map(objects.filter((o) => o.kind === k).map((o) => [o.metadata?.name, o]));
  const cms = byKind('ConfigMap');
  const secrets = byKind('Secret');
  const sas = byKind('ServiceAccount');
  const keysOf = (o) => new Set([...Object.keys(o?.data ?? {}), ...Object.keys(o?.stringData ?? {})]);
  for (const w of objects.filter((o) => WORKLOAD_KINDS.has(o.kind))) {
    const spec = podSpecOf(w);
    const problems = [];
    const needSecret = (secretName, key, where) => {
      // The base deliberately leaves Secrets to overlays, but only those the contract names.
      if (!ctx.standalone) {
        const expected = new Set(Object.values(K8S.secretRefs).flatMap((m) => Object.values(m).map(([s]) => s)));
        if (!expected.has(secretName)) problems.push(`${where}: Secret ${secretName} is not one the contract names`);
        return;
      }
      const s = secrets.get(secretName);
      if (!s) problems.push(`${where}: Secret ${secretName} is not rendered`);
      else if (key && !keysOf(s).has(key)) problems.push(`${where}: Secret ${secretName} has no key ${key}`);
    };
    const needCm = (cmName, key, where) => {
      const cm = cms.get(cmName);
      if (!cm) problems.push(`${where}: ConfigMap ${cmName} is not rendered`);
      else if (key && !keysOf(cm).has(key)) problems.push(`${where}: ConfigMap ${cmName} has no key ${key}`);
    };
    for (const { c } of allContainers(spec)) {
      for (const e of c.env ?? []) {
        const sk = e.valueFrom?.secretKeyRef;
        if (sk && !sk.optional) needSecret(sk.name, sk.key, `${c.name} env ${e.name}`);
        const ck = e.valueFrom?.configMapKeyRef;
        if (ck && !ck.optional) needCm(ck.name, ck.key, `${c.name} env ${e.name}`);
      }
      for (const ef of c.envFrom ?? []) {
        if (ef.secretRef && !ef.secretRef.optional) needSecret(ef.secretRef.name, null, `${c.name} envFrom`);
        if (ef.configMapRef && !ef.configMapRef.optional) needCm(ef.configMapRef.name, null, `${c.name} envFrom`);
      }
    }
    for (const v of spec?.volumes ?? []) {
      if (v.secret && !v.secret.optional) needSecret(v.secret.secretName, null, `volume ${v.name}`);
      if (v.configMap && !v.configMap.optional) needCm(v.configMap.name, null, `volume ${v.name}`);
    }
    const sa = spec?.serviceAccountName;
    if (sa && sa !== 'default' && !sas.has(sa)) problems.push(`ServiceAccount ${sa} is not rendered`);
    push('references', name(w), problems.length === 0, problems.join('; ') || undefined);
  }
}

function checkServices(objects, push) {
  const workloads = objects.filter((o) => WORKLOAD_KINDS.has(o.kind) && o.kind !== 'Job' && o.kind !== 'CronJob');
  for (const svc of objects.filter((o) => o.kind === 'Service' && o.spec?.selector)) {
    const matched = workloads.filter((w) => selectorMatches(svc.spec.selector, podLabelsOf(w)));
    if (!matched.length) {
      push('services', name(svc), false, `selector ${JSON.stringify(svc.spec.selector)} matches no pod template`);
      continue;
    }
    const portNames = new Set(matched.flatMap((w) => (podSpecOf(w)?.containers ?? []).flatMap((c) => (c.ports ?? []).map((p) => p.name))));
    const portNumbers = new Set(matched.flatMap((w) => (podSpecOf(w)?.containers ?? []).flatMap((c) => (c.ports ?? []).map((p) => p.containerPort))));
    const bad = (svc.spec.ports ?? []).filter((p) => {
      const t = p.targetPort ?? p.port;
      return typeof t === 'string' ? !portNames.has(t) : !portNumbers.has(Number(t));
    });
    push('services', name(svc), bad.length === 0, bad.length ? `targetPort ${bad.map((p) => p.targetPort ?? p.port).join(', ')} not exposed by ${matched.map(name).join(', ')}` : undefined);
    if (svc.spec.clusterIP === 'None') {
      const sts = matched.find((w) => w.kind === 'StatefulSet');
      if (sts && sts.spec.serviceName !== svc.metadata.name) {
        push('services', name(svc), false, `headless Service is not the serviceName of ${name(sts)}`);
      }
    }
  }
}

/** The four services honour the config contract: env keys, ports, secret sources, shutdown budget. */
function checkAppContract(objects, ctx, push) {
  const cms = new Map(objects.filter((o) => o.kind === 'ConfigMap').map((o) => [o.metadata?.name, o]));
  const seen = new Set();
  for (const d of objects) {
    const app = appOf(d);
    if (!app) continue;
    seen.add(app);
    const spec = podSpecOf(d);
    const c = spec.containers?.find((x) => x.name === app) ?? spec.containers?.[0];
    const problems = [];
    const env = {};
    for (const ef of c.envFrom ?? []) {
      if (ef.configMapRef) Object.assign(env, cms.get(ef.configMapRef.name)?.data ?? {});
    }
    const secretSourced = {};
    for (const e of c.env ?? []) {
      if (e.value != null) env[e.name] = e.value;
      else if (e.valueFrom?.secretKeyRef) secretSourced[e.name] = [e.valueFrom.secretKeyRef.name, e.valueFrom.secretKeyRef.key];
      else if (e.valueFrom) env[e.name] = '(valueFrom)';
    }
    const missing = envKeys(app).filter((k) => !(k in env) && !(k in secretSourced));
    if (missing.length) problems.push(`missing env ${missing.join(', ')}`);
    const expected = { ...K8S.env.common, ...(SERVICES[app].kafka ? K8S.env.kafka : {}), ...K8S.env[app], GRPC_PORT: String(SERVICES[app].grpcPort), HTTP_PORT: String(SERVICES[app].httpPort) };
    for (const [k, v] of Object.entries(expected)) {
      if (k in env && env[k] !== v) problems.push(`${k}=${env[k]} (contract: ${v})`);
    }
    for (const [k, [secretName, key]] of Object.entries(K8S.secretRefs[app] ?? {})) {
      const got = secretSourced[k];
      // kustomize appends a content hash to generated Secret names.
      if (!got || !(got[0] === secretName || got[0].startsWith(`${secretName}-`)) || got[1] !== key) {
        problems.push(`${k} must come from secretKeyRef ${secretName}/${key}`);
      }
    }
    if (!SERVICES[app].kafka && ('KAFKA_BROKERS' in env || podLabelsOf(d)['order-system.dev/kafka-client'])) {
      problems.push(`${app} does not use Kafka: no KAFKA_BROKERS, no kafka-client label (least privilege)`);
    }
    const ports = Object.fromEntries((c.ports ?? []).map((p) => [p.name, p.containerPort]));
    if (ports.grpc !== SERVICES[app].grpcPort) problems.push(`container port grpc=${ports.grpc} (contract: ${SERVICES[app].grpcPort})`);
    if (!Object.values(ports).includes(SERVICES[app].httpPort)) problems.push(`no container port ${SERVICES[app].httpPort}`);
    // Prometheus finds /metrics through the pod annotations; the port is the HTTP_PORT the service serves it on.
    const annotations = d.spec.template.metadata?.annotations ?? {};
    const scrape = { 'prometheus.io/scrape': 'true', 'prometheus.io/port': String(SERVICES[app].httpPort), 'prometheus.io/path': '/metrics' };
    for (const [k, v] of Object.entries(scrape)) {
      if (annotations[k] !== v) problems.push(`pod annotation ${k}=${annotations[k] ?? '(none)'} (want ${v})`);
    }
    const grace = spec.terminationGracePeriodSeconds;
    const shutdownS = Number(env.SHUTDOWN_TIMEOUT_MS ?? 8000) / 1000;
    const preStop = c.lifecycle?.preStop?.sleep?.seconds ?? 0;
    if (grace !== K8S.terminationGracePeriodSeconds) problems.push(`terminationGracePeriodSeconds=${grace} (want ${K8S.terminationGracePeriodSeconds})`);
    else if (shutdownS + preStop >= grace) problems.push(`preStop ${preStop}s + SHUTDOWN_TIMEOUT ${shutdownS}s does not fit in the ${grace}s grace period`);
    if (!/^([a-z0-9.-]+(:\d+)?\/)?order-system\/[a-z-]+:\d+\.\d+\.\d+/.test(c.image ?? '') || !c.image.includes(`/${app}:`)) {
      problems.push(`image ${c.image} is not order-system/${app}:<semver>`);
    }
    const labels = d.spec.template.metadata?.labels ?? {};
    for (const l of ['app.kubernetes.io/name', 'app.kubernetes.io/part-of', 'app.kubernetes.io/version']) {
      if (!labels[l]) problems.push(`pod template lacks label ${l}`);
    }
    const sa = spec.serviceAccountName;
    if (!sa || sa === 'default') problems.push('no dedicated ServiceAccount');
    push('app-contract', `Deployment/${d.metadata.name}`, problems.length === 0, problems.join('; ') || undefined);
  }
  for (const app of APPS) if (!seen.has(app)) push('app-contract', app, false, `${ctx.name} renders no Deployment for ${app}`);
}

function checkNetworkPolicies(objects, push) {
  const nps = objects.filter((o) => o.kind === 'NetworkPolicy');
  const selectsAll = (np) => Object.keys(np.spec?.podSelector?.matchLabels ?? {}).length === 0 && !(np.spec?.podSelector?.matchExpressions ?? []).length;
  const denyIngress = nps.find((np) => selectsAll(np) && (np.spec.policyTypes ?? []).includes('Ingress') && !(np.spec.ingress ?? []).length);
  push('network-policy', 'default deny ingress', !!denyIngress, denyIngress ? name(denyIngress) : 'no policy selects all pods with policyTypes Ingress and no rules');
  const denyEgress = nps.find((np) => selectsAll(np) && (np.spec.policyTypes ?? []).includes('Egress') && !(np.spec.egress ?? []).length);
  if (denyEgress) {
    const dns = nps.find((np) => selectsAll(np) && (np.spec.egress ?? []).some((r) => (r.ports ?? []).some((p) => Number(p.port) === 53)));
    push('network-policy', 'DNS egress', !!dns, dns ? name(dns) : 'egress is denied by default but no policy allows port 53 for all pods');
  }
  // Only the gateway may accept traffic from anywhere (an ingress rule without `from`).
  const workloads = objects.filter((o) => WORKLOAD_KINDS.has(o.kind));
  for (const np of nps) {
    for (const rule of np.spec?.ingress ?? []) {
      if (rule.from && rule.from.length) continue;
      const exposed = workloads.filter((w) => selectorMatches(np.spec.podSelector, podLabelsOf(w)));
      const others = exposed.filter((w) => appOf(w) !== 'gateway');
      push('network-policy', name(np), others.length === 0, others.length ? `opens ingress from anywhere to ${others.map(name).join(', ')}` : 'open ingress only to the gateway');
    }
  }
  // Every edge the system needs is allowed by some ingress rule.
  const edges = [
    ['gateway', 'inventory', SERVICES.inventory.grpcPort],
    ['gateway', 'order-store', SERVICES['order-store'].grpcPort],
    ['inventory', 'postgres', 5432],
    ['order-store', 'mongodb', 27017],
    ...APPS.filter((a) => SERVICES[a].kafka).map((a) => [a, 'kafka', 9092]),
    ['kafka-topics', 'kafka', 9092],
  ];
  const podByName = (n) => workloads.find((w) => podLabelsOf(w)['app.kubernetes.io/name'] === n);
  for (const [from, to, port] of edges) {
    const src = podByName(from);
    const dst = podByName(to);
    if (!src || !dst) continue;
    const allowsIngress = nps.some((np) => selectorMatches(np.spec.podSelector, podLabelsOf(dst)) && (np.spec.ingress ?? []).some((r) =>
      (!r.ports || r.ports.some((p) => Number(p.port) === port)) &&
      (!r.from || r.from.some((f) => f.podSelector && !f.namespaceSelector && selectorMatches(f.podSelector, podLabelsOf(src))))));
    const egressDenied = !!denyEgress;
    const allowsEgress = !egressDenied || nps.some((np) => selectorMatches(np.spec.podSelector, podLabelsOf(src)) && (np.spec.egress ?? []).some((r) =>
      (!r.ports || r.ports.some((p) => Number(p.port) === port)) &&
      (!r.to || r.to.some((t) => t.podSelector && !t.namespaceSelector && selectorMatches(t.podSelector, podLabelsOf(dst))))));
    const ok = allowsIngress && allowsEgress;
    push('network-policy', `${from} -> ${to}:${port}`, ok, ok ? undefined : `${allowsIngress ? '' : 'no ingress rule'}${!allowsIngress && !allowsEgress ? ', ' : ''}${allowsEgress ? '' : 'no egress rule'}`);
  }
}

function checkLabels(objects, push) {
  for (const o of objects.filter((x) => WORKLOAD_KINDS.has(x.kind) || x.kind === 'Service')) {
    const l = o.metadata?.labels ?? {};
    const missing = ['app.kubernetes.io/name', 'app.kubernetes.io/part-of'].filter((k) => !l[k]);
    push('labels', name(o), missing.length === 0, missing.length ? `missing ${missing.join(', ')}` : undefined);
  }
}

/** kind overlay only: infrastructure, topics, NodePort, side-loaded images. */
function checkKind(objects, ctx, push) {
  for (const n of ['postgres', 'mongodb', 'kafka']) {
    const sts = objects.find((o) => o.kind === 'StatefulSet' && o.metadata?.name === n);
    const ok = !!sts && (sts.spec.volumeClaimTemplates ?? []).length > 0;
    push('kind-infra', `StatefulSet/${n}`, ok, ok ? undefined : 'missing, or without volumeClaimTemplates');
  }
  const job = objects.find((o) => o.kind === 'Job' && /topic/.test(o.metadata?.name ?? ''));
  if (!job) push('kind-infra', 'topics Job', false, 'no Job creating the Kafka topics');
  else {
    const script = JSON.stringify(podSpecOf(job).containers.map((c) => [c.command, c.args]));
    const found = topicsIn(script.replaceAll('\\n', '\n'));
    const problems = topicProblems(found);
    if (!/--if-not-exists/.test(script)) problems.push('topic creation is not idempotent (--if-not-exists)');
    push('kind-infra', name(job), problems.length === 0, problems.join('; ') || undefined);
  }
  const gw = objects.find((o) => o.kind === 'Service' && o.metadata?.name === 'gateway');
  const nodePorts = Object.fromEntries((gw?.spec?.ports ?? []).map((p) => [p.name, p.nodePort]));
  const npOk = gw?.spec?.type === 'NodePort' && nodePorts.grpc === K8S.kindNodePorts.grpc && nodePorts.http === K8S.kindNodePorts.http;
  push('kind-infra', 'Service/gateway NodePort', npOk, npOk ? undefined : `want NodePort grpc=${K8S.kindNodePorts.grpc} http=${K8S.kindNodePorts.http}, got ${gw?.spec?.type} ${JSON.stringify(nodePorts)}`);
  for (const d of objects.filter((o) => appOf(o))) {
    const c = podSpecOf(d).containers[0];
    push('kind-infra', `${name(d)} imagePullPolicy`, c.imagePullPolicy === 'IfNotPresent', c.imagePullPolicy === 'IfNotPresent' ? undefined : `imagePullPolicy ${c.imagePullPolicy} (kind load docker-image needs IfNotPresent)`);
  }
  const ns = objects.find((o) => o.kind === 'Namespace');
  const psa = ns?.metadata?.labels?.['pod-security.kubernetes.io/enforce'];
  push('kind-infra', `Namespace/${ns?.metadata?.name ?? '?'}`, psa === 'restricted', psa === 'restricted' ? 'enforces restricted Pod Security' : 'namespace does not enforce the restricted Pod Security Standard');
}

/** k8s/kind-cluster.yaml maps the gateway NodePorts to the host. */
export function checkKindCluster(text) {
  const subject = 'k8s/kind-cluster.yaml';
  if (text == null) return { subject, ok: false, detail: 'missing: the NodePort path in k8s/README.md needs it' };
  const cfg = parseYaml(text) ?? {};
  const mapped = (cfg.nodes ?? []).flatMap((n) => n.extraPortMappings ?? []).map((m) => Number(m.containerPort));
  const missing = Object.values(K8S.kindNodePorts).filter((p) => !mapped.includes(p));
  return { subject, ok: missing.length === 0, detail: missing.length ? `no extraPortMappings for NodePort ${missing.join(', ')}` : `maps NodePorts ${mapped.join(', ')}` };
}

/** Extract `--topic NAME --partitions N` pairs from a script. */
export function topicsIn(script) {
  const found = {};
  for (const m of script.matchAll(/--topic[= ]+["']?([\w.-]+)["']?\s+--partitions[= ]+(\d+)/g)) found[m[1]] = Number(m[2]);
  return found;
}

export function topicProblems(found) {
  const problems = [];
  for (const [t, p] of Object.entries(TOPICS)) {
    if (!(t in found)) problems.push(`topic ${t} not created`);
    else if (found[t] !== p) problems.push(`topic ${t} has ${found[t]} partitions (contract: ${p})`);
  }
  for (const t of Object.keys(found)) if (!(t in TOPICS)) problems.push(`unexpected topic ${t}`);
  return problems;
}

/**
 * @param {object[]} objects rendered objects
 * @param {{ name: string, overlay?: string }} target
 */
export function checkK8sPolicy(objects, target) {
  const ctx = {
    name: target.name,
    dev: K8S.devOverlays.includes(target.overlay),
    // Overlays are applied on their own; the base is only ever a building block.
    standalone: target.name !== 'base',
  };
  const results = [];
  const push = (check, subject, ok, detail) => results.push({ check, subject, ok, detail });
  checkWorkloads(objects, push);
  checkConfigMapsForSecrets(objects, push);
  checkPdb(objects, push);
  checkSecrets(objects, ctx, push);
  checkReferences(objects, ctx, push);
  checkServices(objects, push);
  checkAppContract(objects, ctx, push);
  checkLabels(objects, push);
  if (ctx.dev || objects.some((o) => o.kind === 'NetworkPolicy')) checkNetworkPolicies(objects, push);
  if (target.overlay === 'kind') checkKind(objects, ctx, push);
  return results;
}
