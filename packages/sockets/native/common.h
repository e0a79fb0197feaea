// Shared helpers of the @ambit/sockets addon: errno-named JS errors, the netns guard, address parsing.
#pragma once

#include <napi.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <string>

namespace ambit {

// Throws a JS Error whose `errno` is the symbolic name ("EPERM"), never a bare number, plus the
// failing `syscall` and an optional `path` (the netns or unix socket path) for the TS wrapper.
[[noreturn]] void ThrowErrno(Napi::Env env, int err, const char* syscall, const std::string& path = "");

// Symbolic name of an errno value ("ECONNREFUSED"); "EUNKNOWN" if glibc has no name for it.
const char* ErrnoName(int err);

// RAII fd: closes on scope exit unless Release()d. Keeps failure paths from leaking descriptors.
class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  ~Fd();
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  void Reset(int fd) {
    Close();
    fd_ = fd;
  }
  int Release() {
    int f = fd_;
    fd_ = -1;
    return f;
  }

 private:
  void Close();
  int fd_;
};

// Enters a network namespace for the lifetime of the object and always returns the calling thread
// to the namespace it started in. The original namespace is opened (via /proc/thread-self) before
// any switch; if switching back fails the process aborts, because a thread left in a foreign
// namespace would silently open every later socket in the wrong place.
class NetnsGuard {
 public:
  NetnsGuard() = default;
  ~NetnsGuard();
  NetnsGuard(const NetnsGuard&) = delete;
  NetnsGuard& operator=(const NetnsGuard&) = delete;
  // Returns 0 or an errno; `syscall` names the step that failed.
  int Enter(int target_fd, const char** syscall);

 private:
  int orig_ = -1;
  bool entered_ = false;
};

// Where a namespace comes from: a path (opened here) or a caller-owned fd; or none (stay put).
struct NetnsSpec {
  std::string path;
  int fd = -1;
  bool present = false;
};
NetnsSpec ParseNetns(const Napi::Value& v);

// Opens the namespace fd of a spec (path → new fd, fd → borrowed). Throws typed errors.
int OpenNetns(Napi::Env env, const NetnsSpec& spec, Fd* owned);

// Parses an IPv4/IPv6 literal + port into a sockaddr. Returns false on a bad literal.
bool ParseAddr(const std::string& host, int port, sockaddr_storage* out, socklen_t* len);

// Formats a sockaddr_in/in6 as {ip, port}.
Napi::Object AddrToJs(Napi::Env env, const sockaddr_storage& ss);

void InitSockets(Napi::Env env, Napi::Object exports);
void InitSeqpacket(Napi::Env env, Napi::Object exports);
void InitPoller(Napi::Env env, Napi::Object exports);

}  // namespace ambit
