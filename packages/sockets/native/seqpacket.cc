// Unix SOCK_SEQPACKET sockets with SCM_RIGHTS. Every call is non-blocking: "would block" comes back
// as -1 / false / null and the TS wrapper waits for readiness with a Poller (uv_poll).
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <vector>

#include "common.h"

namespace ambit {
namespace {

constexpr size_t kMaxMessage = 64 * 1024;
constexpr size_t kMaxFds = 16;

sockaddr_un UnixAddr(Napi::Env env, const std::string& path) {
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof(a.sun_path)) ThrowErrno(env, ENAMETOOLONG, "unix_path", path);
  memcpy(a.sun_path, path.data(), path.size());
  return a;
}

int SeqSocket(Napi::Env env) {
  int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) ThrowErrno(env, errno, "socket(AF_UNIX)");
  return fd;
}

// seqpacketListen(path, backlog) -> fd
Napi::Value Listen(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string path = info[0].As<Napi::String>().Utf8Value();
  sockaddr_un a = UnixAddr(env, path);
  Fd fd(SeqSocket(env));
  if (bind(fd.get(), reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0) ThrowErrno(env, errno, "bind", path);
  if (listen(fd.get(), info[1].As<Napi::Number>().Int32Value()) != 0) ThrowErrno(env, errno, "listen", path);
  return Napi::Number::New(env, fd.Release());
}

// seqpacketConnect(path) -> fd. Unix connects complete at once or fail (EAGAIN: backlog full).
Napi::Value Connect(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string path = info[0].As<Napi::String>().Utf8Value();
  sockaddr_un a = UnixAddr(env, path);
  Fd fd(SeqSocket(env));
  if (connect(fd.get(), reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0) ThrowErrno(env, errno, "connect", path);
  return Napi::Number::New(env, fd.Release());
}

// seqpacketAccept(fd) -> new fd, or -1 when no connection is pending.
Napi::Value Accept(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = accept4(info[0].As<Napi::Number>().Int32Value(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
  if (fd < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ECONNABORTED) return Napi::Number::New(env, -1);
    ThrowErrno(env, errno, "accept4");
  }
  return Napi::Number::New(env, fd);
}

// seqpacketSend(fd, data: Uint8Array, fds: number[]) -> true when sent, false when it would block.
Napi::Value Send(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = info[0].As<Napi::Number>().Int32Value();
  Napi::Uint8Array data = info[1].As<Napi::Uint8Array>();
  Napi::Array fds = info[2].As<Napi::Array>();
  if (data.ByteLength() > kMaxMessage || fds.Length() > kMaxFds) ThrowErrno(env, EMSGSIZE, "sendmsg");
  iovec iov{data.Data(), data.ByteLength()};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  alignas(cmsghdr) char ctrl[CMSG_SPACE(sizeof(int) * kMaxFds)];
  if (fds.Length() > 0) {
    size_t n = fds.Length();
    msg.msg_control = ctrl;
    msg.msg_controllen = CMSG_SPACE(sizeof(int) * n);
    memset(ctrl, 0, sizeof(ctrl));
    cmsghdr* c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int) * n);
    int* out = reinterpret_cast<int*>(CMSG_DATA(c));
    for (uint32_t i = 0; i < n; i++) out[i] = fds.Get(i).As<Napi::Number>().Int32Value();
  }
  ssize_t rc = sendmsg(fd, &msg, MSG_DONTWAIT | MSG_NOSIGNAL);
  if (rc < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK) return Napi::Boolean::New(env, false);
    ThrowErrno(env, errno, "sendmsg");
  }
  return Napi::Boolean::New(env, true);
}

// seqpacketRecv(fd) -> null when nothing is queued, else {data, fds, eof}. Received fds are
// close-on-exec. A truncated message or control block is an error (received fds are closed).
Napi::Value Recv(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = info[0].As<Napi::Number>().Int32Value();
  std::vector<char> buf(kMaxMessage);
  iovec iov{buf.data(), buf.size()};
  alignas(cmsghdr) char ctrl[CMSG_SPACE(sizeof(int) * kMaxFds)];
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = ctrl;
  msg.msg_controllen = sizeof(ctrl);
  ssize_t n = recvmsg(fd, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
  if (n < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK) return env.Null();
    ThrowErrno(env, errno, "recvmsg");
  }
  std::vector<int> got;
  for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
    size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    const int* in = reinterpret_cast<const int*>(CMSG_DATA(c));
    for (size_t i = 0; i < count; i++) got.push_back(in[i]);
  }
  if ((msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) != 0) {
    for (int f : got) close(f);
    ThrowErrno(env, EMSGSIZE, (msg.msg_flags & MSG_TRUNC) != 0 ? "recvmsg(truncated data)" : "recvmsg(truncated fds)");
  }
  Napi::Object out = Napi::Object::New(env);
  out.Set("data", Napi::Buffer<char>::Copy(env, buf.data(), static_cast<size_t>(n)));
  Napi::Array fds = Napi::Array::New(env, got.size());
  for (uint32_t i = 0; i < got.size(); i++) fds.Set(i, Napi::Number::New(env, got[i]));
  out.Set("fds", fds);
  out.Set("eof", Napi::Boolean::New(env, n == 0 && got.empty()));
  return out;
}

}  // namespace

void InitSeqpacket(Napi::Env env, Napi::Object exports) {
  exports.Set("seqpacketListen", Napi::Function::New(env, Listen));
  exports.Set("seqpacketConnect", Napi::Function::New(env, Connect));
  exports.Set("seqpacketAccept", Napi::Function::New(env, Accept));
  exports.Set("seqpacketSend", Napi::Function::New(env, Send));
  exports.Set("seqpacketRecv", Napi::Function::New(env, Recv));
}

}  // namespace ambit
