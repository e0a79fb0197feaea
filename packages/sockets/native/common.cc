#include "common.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <string.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>

namespace ambit {

const char* ErrnoName(int err) {
  const char* n = strerrorname_np(err);
  return n != nullptr ? n : "EUNKNOWN";
}

void ThrowErrno(Napi::Env env, int err, const char* syscall, const std::string& path) {
  std::string msg = std::string(syscall) + " failed: " + strerror(err);
  if (!path.empty()) msg += " (" + path + ")";
  Napi::Error e = Napi::Error::New(env, msg);
  e.Set("errno", Napi::String::New(env, ErrnoName(err)));
  e.Set("syscall", Napi::String::New(env, syscall));
  if (!path.empty()) e.Set("path", Napi::String::New(env, path));
  throw e;
}

Fd::~Fd() { Close(); }

void Fd::Close() {
  if (fd_ >= 0) close(fd_);
  fd_ = -1;
}

int NetnsGuard::Enter(int target_fd, const char** syscall) {
  orig_ = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  if (orig_ < 0) {
    *syscall = "open(/proc/thread-self/ns/net)";
    return errno;
  }
  if (setns(target_fd, CLONE_NEWNET) != 0) {
    *syscall = "setns";
    return errno;  // the thread did not move; nothing to undo
  }
  entered_ = true;
  return 0;
}

NetnsGuard::~NetnsGuard() {
  if (entered_ && setns(orig_, CLONE_NEWNET) != 0) {
    int err = errno;
    fprintf(stderr, "@ambit/sockets: FATAL: cannot return thread to its network namespace: %s\n", strerror(err));
    abort();
  }
  if (orig_ >= 0) close(orig_);
}

NetnsSpec ParseNetns(const Napi::Value& v) {
  NetnsSpec s;
  if (v.IsString()) {
    s.path = v.As<Napi::String>().Utf8Value();
    s.present = true;
  } else if (v.IsNumber()) {
    s.fd = v.As<Napi::Number>().Int32Value();
    s.present = true;
  }
  return s;
}

int OpenNetns(Napi::Env env, const NetnsSpec& spec, Fd* owned) {
  if (!spec.path.empty()) {
    int fd = open(spec.path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) ThrowErrno(env, errno, "open_netns", spec.path);
    owned->Reset(fd);
    return fd;
  }
  return spec.fd;
}

bool ParseAddr(const std::string& host, int port, sockaddr_storage* out, socklen_t* len) {
  memset(out, 0, sizeof(*out));
  if (port < 0 || port > 65535) return false;
  auto* v4 = reinterpret_cast<sockaddr_in*>(out);
  if (inet_pton(AF_INET, host.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(static_cast<uint16_t>(port));
    *len = sizeof(sockaddr_in);
    return true;
  }
  auto* v6 = reinterpret_cast<sockaddr_in6*>(out);
  if (inet_pton(AF_INET6, host.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(static_cast<uint16_t>(port));
    *len = sizeof(sockaddr_in6);
    return true;
  }
  return false;
}

Napi::Object AddrToJs(Napi::Env env, const sockaddr_storage& ss) {
  char buf[INET6_ADDRSTRLEN] = {0};
  int port = 0;
  if (ss.ss_family == AF_INET) {
    auto* a = reinterpret_cast<const sockaddr_in*>(&ss);
    inet_ntop(AF_INET, &a->sin_addr, buf, sizeof(buf));
    port = ntohs(a->sin_port);
  } else {
    auto* a = reinterpret_cast<const sockaddr_in6*>(&ss);
    inet_ntop(AF_INET6, &a->sin6_addr, buf, sizeof(buf));
    port = ntohs(a->sin6_port);
  }
  Napi::Object o = Napi::Object::New(env);
  o.Set("ip", Napi::String::New(env, buf));
  o.Set("port", Napi::Number::New(env, port));
  return o;
}

}  // namespace ambit

static Napi::Object Init(Napi::Env env, Napi::Object exports) {
  ambit::InitSockets(env, exports);
  ambit::InitSeqpacket(env, exports);
  ambit::InitPoller(env, exports);
  return exports;
}

NODE_API_MODULE(ambit_sockets, Init)
