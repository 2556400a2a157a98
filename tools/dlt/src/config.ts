import { kafka, parseConfig } from '@order-system/config';

export function dltConfig(env: Record<string, string | undefined> = process.env) {
  return parseConfig(env, { ...kafka });
}
