// The generated contracts of proto/ (see tools/codegen/generate.sh).
export * from './gen/index.js';
export { descriptorSetBase64 } from './gen/descriptor-set.js';
