export { ALGORITHMS, CATALOG_ADMIN, ORDERS_ADMIN, TokenVerifier, unauthenticated, type Caller, type VerifierOptions } from './verifier.js';
export { devTokenConfig, ensureDevKeys, signDevToken, type DevKeys } from './dev-keys.js';
