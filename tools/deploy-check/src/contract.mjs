// The deployment contract the checks enforce: the services' environment variables and ports,
// the Kafka topics, and what each runtime (compose, kind) must wire them to.
// Keep in step with the services' src/config.ts.

export const APPS = ['gateway', 'inventory', 'payment', 'order-store'];

/** Environment variables every service reads, with their defaults. */
export const COMMON_ENV = {
  LOG_LEVEL: 'info',
  BIND_HOST: '0.0.0.0',
  SHUTDOWN_TIMEOUT_MS: '8000',
};

/** Read by the services that use Kafka (`kafka: true` below). The gateway does not use Kafka. */
export const KAFKA_ENV = { KAFKA_BROKERS: 'localhost:9092' };

/**
 * Per service: ports, service-specific variables (defaults), and secret-bearing variables.
 * httpPort serves GET /metrics (the pods' prometheus.io/port); the gateway's also serves REST and Connect.
 */
export const SERVICES = {
  gateway: {
    grpcPort: 50051,
    httpPort: 8080,
    kafka: false,
    env: { INVENTORY_ADDR: 'localhost:50052', ORDER_STORE_ADDR: 'localhost:50054' },
    secretEnv: [],
  },
  inventory: {
    grpcPort: 50052,
    kafka: true,
    httpPort: 8082,
    env: {
      POSTGRES_HOST: 'localhost',
      POSTGRES_PORT: '5432',
      POSTGRES_USER: 'postgres',
      POSTGRES_PASSWORD: 'postgres123',
      POSTGRES_DB: 'ecommerce_inventory',
      RESERVATION_TTL_MS: '300000',
    },
    secretEnv: ['POSTGRES_USER', 'POSTGRES_PASSWORD'],
  },
  payment: {
    grpcPort: 50053,
    kafka: true,
    httpPort: 8083,
    env: { PAYMENT_FAILURE_RATE: '0.2' },
    secretEnv: [],
  },
  'order-store': {
    grpcPort: 50054,
    kafka: true,
    httpPort: 8084,
    env: { MONGODB_URI: 'mongodb://localhost:27017/?retryWrites=false', MONGODB_DB: 'ecommerce_orders' },
    secretEnv: ['MONGODB_URI'],
  },
};

export const TOPICS = {
  'order-events': 3,
  'payment-events': 3,
  'order-events.dlt': 1,
  'payment-events.dlt': 1,
};

/** All variable names a service must receive. */
export function envKeys(app) {
  return [
    ...Object.keys(COMMON_ENV),
    ...(SERVICES[app].kafka ? Object.keys(KAFKA_ENV) : []),
    'GRPC_PORT',
    'HTTP_PORT',
    ...Object.keys(SERVICES[app].env),
  ];
}

/** docker-compose.yml: expected values after interpolation with an empty environment. */
export const COMPOSE = {
  infra: {
    postgres: { image: /^postgres:15(\.|$|-)/, port: 5432 },
    mongo: { image: /^mongo:7(\.|$|-)/, port: 27017 },
    kafka: { image: /^apache\/kafka:4\.\d+\.\d+$/, port: 9092 },
  },
  credentials: {
    postgres: { user: 'postgres', password: 'postgres123', db: 'ecommerce_inventory' },
    mongo: { user: 'admin', password: 'admin123', db: 'ecommerce_orders' },
  },
  env: {
    common: { LOG_LEVEL: 'info', BIND_HOST: '0.0.0.0', SHUTDOWN_TIMEOUT_MS: '8000' },
    kafka: { KAFKA_BROKERS: 'kafka:29092' },
    gateway: { INVENTORY_ADDR: 'inventory:50052', ORDER_STORE_ADDR: 'order-store:50054' },
    inventory: {
      POSTGRES_HOST: 'postgres',
      POSTGRES_PORT: '5432',
      POSTGRES_USER: 'postgres',
      POSTGRES_PASSWORD: 'postgres123',
      POSTGRES_DB: 'ecommerce_inventory',
      RESERVATION_TTL_MS: '300000',
    },
    payment: { PAYMENT_FAILURE_RATE: '0.2' },
    'order-store': { MONGODB_URI: 'mongodb://admin:admin123@mongo:27017/?authSource=admin', MONGODB_DB: 'ecommerce_orders' },
  },
  /** service -> { dependency: required condition } */
  dependsOn: {
    'kafka-init': { kafka: 'service_healthy' },
    inventory: { postgres: 'service_healthy', 'kafka-init': 'service_completed_successfully' },
    'order-store': { mongo: 'service_healthy', 'kafka-init': 'service_completed_successfully' },
    payment: { 'kafka-init': 'service_completed_successfully' },
    gateway: { inventory: ['service_healthy', 'service_started'], 'order-store': ['service_healthy', 'service_started'] },
  },
  /** Raw (pre-interpolation) values that must come from the environment with a default. */
  interpolated: {
    postgres: ['POSTGRES_PASSWORD'],
    mongo: ['MONGO_INITDB_ROOT_PASSWORD'],
    inventory: ['POSTGRES_PASSWORD'],
    'order-store': ['MONGODB_URI'],
  },
};

/** Kubernetes: in-cluster values the base ConfigMaps must carry. */
export const K8S = {
  env: {
    common: { LOG_LEVEL: 'info', BIND_HOST: '0.0.0.0', SHUTDOWN_TIMEOUT_MS: '8000' },
    kafka: { KAFKA_BROKERS: 'kafka:9092' },
    gateway: { INVENTORY_ADDR: 'inventory:50052', ORDER_STORE_ADDR: 'order-store:50054' },
    inventory: { POSTGRES_HOST: 'postgres', POSTGRES_PORT: '5432', POSTGRES_DB: 'ecommerce_inventory', RESERVATION_TTL_MS: '300000' },
    payment: { PAYMENT_FAILURE_RATE: '0.2' },
    'order-store': { MONGODB_DB: 'ecommerce_orders' },
  },
  /** Secret references the base makes; overlays must provide the Secrets. */
  secretRefs: {
    inventory: { POSTGRES_USER: ['postgres-credentials', 'username'], POSTGRES_PASSWORD: ['postgres-credentials', 'password'] },
    'order-store': { MONGODB_URI: ['mongodb-credentials', 'uri'] },
  },
  terminationGracePeriodSeconds: 15,
  /** Overlays allowed to render Secrets (each must carry the dev-only label). */
  devOverlays: ['kind'],
  devOnlyLabel: ['order-system.dev/dev-only', 'true'],
  /** kind: host port mappings in k8s/kind-cluster.yaml must reach these NodePorts. */
  kindNodePorts: { grpc: 30051, http: 30080 },
};

/** What the Rego policies (../policy) see as data.contract, with each service's in-cluster env. */
export function policyData() {
  const k8sEnv = Object.fromEntries(APPS.map((app) => [app, {
    ...K8S.env.common,
    ...(SERVICES[app].kafka ? K8S.env.kafka : {}),
    ...K8S.env[app],
    GRPC_PORT: String(SERVICES[app].grpcPort),
    HTTP_PORT: String(SERVICES[app].httpPort),
  }]));
  const keys = Object.fromEntries(APPS.map((app) => [app, envKeys(app)]));
  return { apps: APPS, services: SERVICES, topics: TOPICS, k8s: K8S, envKeys: keys, k8sEnv };
}
