// TCP sockets created inside a network namespace, socket options, SO_ORIGINAL_DST.
#include <errno.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common.h"

// From <linux/netfilter_ipv4.h> / <linux/netfilter_ipv6/ip6_tables.h>, which clash with glibc's
// <netinet/in.h> when included together.
#ifndef SO_ORIGINAL_DST
#define SO_ORIGINAL_DST 80
#endif
#ifndef IP6T_SO_ORIGINAL_DST
#define IP6T_SO_ORIGINAL_DST 80
#endif

namespace ambit {
namespace {

// Creates a non-blocking socket inside `spec`'s namespace (or here when absent). The guard returns
// the thread before anything can throw; the socket keeps the namespace it was created in.
int SocketIn(Napi::Env env, const NetnsSpec& spec, int family) {
  const int type = SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC;
  if (!spec.present) {
    int fd = socket(family, type, 0);
    if (fd < 0) ThrowErrno(env, errno, "socket");
    return fd;
  }
  Fd owned;
  int nsfd = OpenNetns(env, spec, &owned);
  int err = 0;
  const char* syscall = "socket";
  int fd = -1;
  {
    NetnsGuard guard;
    err = guard.Enter(nsfd, &syscall);
    if (err == 0) {
      fd = socket(family, type, 0);
      if (fd < 0) err = errno;
    }
  }  // thread is back in its own namespace here
  if (err != 0) ThrowErrno(env, err, syscall, spec.path.empty() ? "netns fd" : spec.path);
  return fd;
}

void SetInt(Napi::Env env, int fd, int level, int opt, int value, const char* name) {
  if (setsockopt(fd, level, opt, &value, sizeof(value)) != 0) ThrowErrno(env, errno, name);
}

// Marks are u32 in the kernel; JS passes 0..0xffffffff, setsockopt takes the same bits as an int.
int MarkArg(const Napi::Value& v) { return static_cast<int>(v.As<Napi::Number>().Uint32Value()); }

void SetTransparent(Napi::Env env, int fd, int family) {
  if (family == AF_INET) {
    SetInt(env, fd, SOL_IP, IP_TRANSPARENT, 1, "setsockopt(IP_TRANSPARENT)");
  } else {
    SetInt(env, fd, SOL_IPV6, IPV6_TRANSPARENT, 1, "setsockopt(IPV6_TRANSPARENT)");
  }
}

sockaddr_storage AddrArg(Napi::Env env, const Napi::Value& host, const Napi::Value& port, socklen_t* len) {
  sockaddr_storage ss;
  std::string h = host.As<Napi::String>().Utf8Value();
  if (!ParseAddr(h, port.As<Napi::Number>().Int32Value(), &ss, len)) ThrowErrno(env, EINVAL, "parse_address", h);
  return ss;
}

// openListenFd(netns, host, port, reusePort, transparent, mark|null, backlog) -> fd
Napi::Value OpenListenFd(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  socklen_t len = 0;
  sockaddr_storage ss = AddrArg(env, info[1], info[2], &len);
  Fd fd(SocketIn(env, ParseNetns(info[0]), ss.ss_family));
  SetInt(env, fd.get(), SOL_SOCKET, SO_REUSEADDR, 1, "setsockopt(SO_REUSEADDR)");
  if (info[3].As<Napi::Boolean>()) SetInt(env, fd.get(), SOL_SOCKET, SO_REUSEPORT, 1, "setsockopt(SO_REUSEPORT)");
  if (info[4].As<Napi::Boolean>()) SetTransparent(env, fd.get(), ss.ss_family);
  if (info[5].IsNumber()) SetInt(env, fd.get(), SOL_SOCKET, SO_MARK, MarkArg(info[5]), "setsockopt(SO_MARK)");
  if (bind(fd.get(), reinterpret_cast<sockaddr*>(&ss), len) != 0) ThrowErrno(env, errno, "bind");
  if (listen(fd.get(), info[6].As<Napi::Number>().Int32Value()) != 0) ThrowErrno(env, errno, "listen");
  return Napi::Number::New(env, fd.Release());
}

// openConnectFd(netns, host, port, mark|null, srcIp|null, srcPort) -> [fd, connectedAlready]
Napi::Value OpenConnectFd(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  socklen_t len = 0;
  sockaddr_storage dst = AddrArg(env, info[1], info[2], &len);
  Fd fd(SocketIn(env, ParseNetns(info[0]), dst.ss_family));
  if (info[3].IsNumber()) SetInt(env, fd.get(), SOL_SOCKET, SO_MARK, MarkArg(info[3]), "setsockopt(SO_MARK)");
  if (info[4].IsString()) {
    socklen_t slen = 0;
    sockaddr_storage src = AddrArg(env, info[4], info[5], &slen);
    if (src.ss_family != dst.ss_family) ThrowErrno(env, EAFNOSUPPORT, "bind", "source and destination family differ");
    SetTransparent(env, fd.get(), src.ss_family);
    // A fixed source port may still be in TIME_WAIT from a previous spoofed connection.
    SetInt(env, fd.get(), SOL_SOCKET, SO_REUSEADDR, 1, "setsockopt(SO_REUSEADDR)");
    if (bind(fd.get(), reinterpret_cast<sockaddr*>(&src), slen) != 0) ThrowErrno(env, errno, "bind");
  }
  bool connected = true;
  if (connect(fd.get(), reinterpret_cast<sockaddr*>(&dst), len) != 0) {
    if (errno != EINPROGRESS) ThrowErrno(env, errno, "connect");
    connected = false;
  }
  Napi::Array out = Napi::Array::New(env, 2);
  out.Set(0u, Napi::Number::New(env, fd.Release()));
  out.Set(1u, Napi::Boolean::New(env, connected));
  return out;
}

// socketError(fd) -> "" or the errno name of a finished non-blocking connect.
Napi::Value SocketError(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int err = 0;
  socklen_t len = sizeof(err);
  if (getsockopt(info[0].As<Napi::Number>().Int32Value(), SOL_SOCKET, SO_ERROR, &err, &len) != 0) {
    ThrowErrno(env, errno, "getsockopt(SO_ERROR)");
  }
  return Napi::String::New(env, err == 0 ? "" : ErrnoName(err));
}

Napi::Value SetMark(const Napi::CallbackInfo& info) {
  SetInt(info.Env(), info[0].As<Napi::Number>().Int32Value(), SOL_SOCKET, SO_MARK, MarkArg(info[1]),
         "setsockopt(SO_MARK)");
  return info.Env().Undefined();
}

Napi::Value GetMark(const Napi::CallbackInfo& info) {
  int mark = 0;
  socklen_t len = sizeof(mark);
  if (getsockopt(info[0].As<Napi::Number>().Int32Value(), SOL_SOCKET, SO_MARK, &mark, &len) != 0) {
    ThrowErrno(info.Env(), errno, "getsockopt(SO_MARK)");
  }
  return Napi::Number::New(info.Env(), static_cast<uint32_t>(mark));
}

// getOriginalDst(fd) -> {ip, port}: the destination before NAT (REDIRECT/DNAT) rewrote it.
Napi::Value GetOriginalDst(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = info[0].As<Napi::Number>().Int32Value();
  sockaddr_storage local;
  socklen_t len = sizeof(local);
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&local), &len) != 0) ThrowErrno(env, errno, "getsockname");
  sockaddr_storage orig{};
  len = sizeof(orig);
  bool mapped = local.ss_family == AF_INET6 &&
                IN6_IS_ADDR_V4MAPPED(&reinterpret_cast<sockaddr_in6*>(&local)->sin6_addr);
  int rc;
  if (local.ss_family == AF_INET || mapped) {
    len = sizeof(sockaddr_in);
    rc = getsockopt(fd, SOL_IP, SO_ORIGINAL_DST, &orig, &len);
  } else {
    len = sizeof(sockaddr_in6);
    rc = getsockopt(fd, SOL_IPV6, IP6T_SO_ORIGINAL_DST, &orig, &len);
  }
  if (rc != 0) ThrowErrno(env, errno, "getsockopt(SO_ORIGINAL_DST)");
  return AddrToJs(env, orig);
}

Napi::Value OpenNetnsFd(const Napi::CallbackInfo& info) {
  NetnsSpec spec;
  spec.path = info[0].As<Napi::String>().Utf8Value();
  spec.present = true;
  Fd owned;
  OpenNetns(info.Env(), spec, &owned);
  return Napi::Number::New(info.Env(), owned.Release());
}

Napi::Value CloseFd(const Napi::CallbackInfo& info) {
  if (close(info[0].As<Napi::Number>().Int32Value()) != 0) ThrowErrno(info.Env(), errno, "close");
  return info.Env().Undefined();
}

// Inode of the calling thread's network namespace (what /proc/thread-self/ns/net points at).
Napi::Value CurrentNetnsInode(const Napi::CallbackInfo& info) {
  struct stat st;
  if (stat("/proc/thread-self/ns/net", &st) != 0) ThrowErrno(info.Env(), errno, "stat", "/proc/thread-self/ns/net");
  return Napi::BigInt::New(info.Env(), static_cast<uint64_t>(st.st_ino));
}

// Inode of the namespace behind a path or fd (to compare with CurrentNetnsInode).
Napi::Value NetnsInode(const Napi::CallbackInfo& info) {
  struct stat st;
  int rc = info[0].IsNumber() ? fstat(info[0].As<Napi::Number>().Int32Value(), &st)
                              : stat(info[0].As<Napi::String>().Utf8Value().c_str(), &st);
  if (rc != 0) ThrowErrno(info.Env(), errno, "stat");
  return Napi::BigInt::New(info.Env(), static_cast<uint64_t>(st.st_ino));
}

}  // namespace

void InitSockets(Napi::Env env, Napi::Object exports) {
  exports.Set("openListenFd", Napi::Function::New(env, OpenListenFd));
  exports.Set("openConnectFd", Napi::Function::New(env, OpenConnectFd));
  exports.Set("socketError", Napi::Function::New(env, SocketError));
  exports.Set("setMark", Napi::Function::New(env, SetMark));
  exports.Set("getMark", Napi::Function::New(env, GetMark));
  exports.Set("getOriginalDst", Napi::Function::New(env, GetOriginalDst));
  exports.Set("openNetnsFd", Napi::Function::New(env, OpenNetnsFd));
  exports.Set("closeFd", Napi::Function::New(env, CloseFd));
  exports.Set("currentNetnsInode", Napi::Function::New(env, CurrentNetnsInode));
  exports.Set("netnsInode", Napi::Function::New(env, NetnsInode));
}

}  // namespace ambit
