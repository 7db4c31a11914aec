// UvHandle<T>: move-only owner of a heap-allocated libuv handle (STYLE.md §4).
// The uv_*_t is freed only in its close callback, so the owner may be destroyed while libuv is
// still closing it. Destroying the owner clears handle->data first: callbacks that libuv still
// delivers during the close (cancelled writes) see data == nullptr and must do nothing.
// Runs on the loop thread that created the handle.
#pragma once

#include <uv.h>

#include <utility>

namespace tern::uv {

template <class T>
class UvHandle {
 public:
  UvHandle() = default;
  // Takes an initialised handle allocated with `new T`.
  explicit UvHandle(T* raw) : raw_(raw) {}
  ~UvHandle() { reset(); }

  UvHandle(UvHandle&& other) noexcept : raw_(std::exchange(other.raw_, nullptr)) {}
  UvHandle& operator=(UvHandle&& other) noexcept {
    if (this != &other) {
      reset();
      raw_ = std::exchange(other.raw_, nullptr);
    }
    return *this;
  }
  UvHandle(const UvHandle&) = delete;
  UvHandle& operator=(const UvHandle&) = delete;

  T* get() const { return raw_; }
  uv_handle_t* handle() const { return reinterpret_cast<uv_handle_t*>(raw_); }
  uv_stream_t* stream() const { return reinterpret_cast<uv_stream_t*>(raw_); }
  explicit operator bool() const { return raw_ != nullptr; }

  void reset() {
    if (raw_ == nullptr) return;
    T* h = std::exchange(raw_, nullptr);
    h->data = nullptr;
    auto* base = reinterpret_cast<uv_handle_t*>(h);
    if (!uv_is_closing(base)) uv_close(base, &UvHandle::free_on_close);
  }

 private:
  static void free_on_close(uv_handle_t* h) { delete reinterpret_cast<T*>(h); }
  T* raw_ = nullptr;
};

}  // namespace tern::uv
