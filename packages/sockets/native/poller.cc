// Poller: a uv_poll_t on a non-blocking fd, so readiness is delivered by the Node event loop
// (no blocking call on the main thread, no threadpool thread parked in poll()).
#include <uv.h>

#include "common.h"

namespace ambit {
namespace {

class Poller : public Napi::ObjectWrap<Poller> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "Poller",
                       {InstanceMethod("start", &Poller::Start), InstanceMethod("stop", &Poller::Stop),
                        InstanceMethod("close", &Poller::Close), InstanceMethod("ref", &Poller::RefLoop),
                        InstanceMethod("unref", &Poller::UnrefLoop)});
  }

  // new Poller(fd, callback(errName: string, events: number))
  explicit Poller(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Poller>(info), ctx_(info.Env(), "ambit.poller") {
    Napi::Env env = info.Env();
    int fd = info[0].As<Napi::Number>().Int32Value();
    cb_ = Napi::Persistent(info[1].As<Napi::Function>());
    uv_loop_t* loop = nullptr;
    if (napi_get_uv_event_loop(env, &loop) != napi_ok) throw Napi::Error::New(env, "no uv loop");
    handle_ = new uv_poll_t;
    int rc = uv_poll_init(loop, handle_, fd);
    if (rc != 0) {
      delete handle_;
      handle_ = nullptr;
      ThrowErrno(env, -rc, "uv_poll_init");
    }
    handle_->data = this;
  }

  ~Poller() override { CloseHandle(); }

 private:
  static void OnPoll(uv_poll_t* h, int status, int events) {
    auto* self = static_cast<Poller*>(h->data);
    if (self == nullptr) return;
    Napi::Env env = self->Env();
    Napi::HandleScope scope(env);
    try {
      self->cb_.MakeCallback(self->Value(),
                             {Napi::String::New(env, status < 0 ? uv_err_name(status) : ""),
                              Napi::Number::New(env, events)},
                             self->ctx_);
    } catch (const Napi::Error& e) {
      napi_fatal_exception(env, e.Value());
    }
  }

  // start(events): 1 = readable, 2 = writable (UV_READABLE / UV_WRITABLE).
  Napi::Value Start(const Napi::CallbackInfo& info) {
    if (handle_ == nullptr) throw Napi::Error::New(info.Env(), "poller closed");
    int rc = uv_poll_start(handle_, info[0].As<Napi::Number>().Int32Value(), OnPoll);
    if (rc != 0) ThrowErrno(info.Env(), -rc, "uv_poll_start");
    if (!active_) {
      Ref();  // keep the JS object (and its callback) alive while the loop may call back
      active_ = true;
    }
    return info.Env().Undefined();
  }

  Napi::Value Stop(const Napi::CallbackInfo& info) {
    StopHandle();
    return info.Env().Undefined();
  }

  Napi::Value Close(const Napi::CallbackInfo& info) {
    CloseHandle();
    return info.Env().Undefined();
  }

  Napi::Value RefLoop(const Napi::CallbackInfo& info) {
    if (handle_ != nullptr) uv_ref(reinterpret_cast<uv_handle_t*>(handle_));
    return info.Env().Undefined();
  }

  Napi::Value UnrefLoop(const Napi::CallbackInfo& info) {
    if (handle_ != nullptr) uv_unref(reinterpret_cast<uv_handle_t*>(handle_));
    return info.Env().Undefined();
  }

  void StopHandle() {
    if (handle_ != nullptr) uv_poll_stop(handle_);
    if (active_) {
      active_ = false;
      Unref();
    }
  }

  // uv_close removes the fd from epoll at once (so the fd can be handed to a net.Socket right
  // after); the handle memory is freed in the close callback. The fd itself is not closed.
  void CloseHandle() {
    StopHandle();
    if (handle_ == nullptr) return;
    handle_->data = nullptr;
    uv_close(reinterpret_cast<uv_handle_t*>(handle_), [](uv_handle_t* h) { delete reinterpret_cast<uv_poll_t*>(h); });
    handle_ = nullptr;
  }

  Napi::FunctionReference cb_;
  Napi::AsyncContext ctx_;
  uv_poll_t* handle_ = nullptr;
  bool active_ = false;
};

}  // namespace

void InitPoller(Napi::Env env, Napi::Object exports) { exports.Set("Poller", Poller::Define(env)); }

}  // namespace ambit
