import { kafka, parseConfig, str } from '@order-system/config';
import { toolEnv } from '@order-system/local-stack';

/** Kafka, as the operator's `dlt` principal (the local stack's, unless the environment names another). */
export function dltConfig(env: NodeJS.ProcessEnv = toolEnv('dlt', process.env)) {
  return parseConfig(env, { ...kafka, tlsCaFile: str('TLS_CA_FILE', '') });
}
