/** Placeholder until this package's issue lands; see ARCHITECTURE.md. */
export const PACKAGE = "@ambit/sockets";
