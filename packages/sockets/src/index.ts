export { closeFd, currentNetnsInode, netnsInode, openNetnsFd } from "./netns-fd.js";
export type { ConnectInNetnsOptions, ListenInNetnsOptions, NetnsRef } from "./netns-sockets.js";
export {
  connectInNetns,
  getMark,
  getOriginalDst,
  listenInNetns,
  openListenFd,
  setMark,
} from "./netns-sockets.js";
export type { SeqpacketMessage } from "./seqpacket.js";
export { SEQPACKET_MAX_FDS, SEQPACKET_MAX_MESSAGE, SeqpacketSocket } from "./seqpacket.js";
export { SeqpacketServer } from "./seqpacket-server.js";
export type { SocketsErrorCode } from "./sockets-error.js";
export { SocketsError } from "./sockets-error.js";
