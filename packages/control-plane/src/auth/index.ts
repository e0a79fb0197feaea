export type { AuthErrorCode } from "./auth-error.js";
export { AuthError } from "./auth-error.js";
export { createLocalNodeAuthenticator, LocalNodeAuthenticator } from "./local-node-authenticator.js";
export type { NodeAuthenticator, NodeCaller } from "./node-authenticator.js";
export type { NodeCredential, NodeCredentialRecord } from "./node-credential-store.js";
export {
  createNodeCredential,
  hashToken,
  nodeCredentialDir,
  nodeCredentialPath,
  removeNodeCredential,
} from "./node-credential-store.js";
