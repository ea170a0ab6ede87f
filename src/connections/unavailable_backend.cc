// A prefix that this build knows but cannot serve yet (connections layer): connect fails with ENOSYS
// and lastError() says why, instead of the original's bare ENOMEM for an unknown prefix.
#include "connections/backends.h"
#include "connections/hub.h"

namespace phantom::connections {
namespace {

class UnavailableBackend final : public Backend {
 public:
  UnavailableBackend(std::string_view prefix, std::string_view what) : prefix_(prefix), what_(what) {}
  std::string_view prefix() const override { return prefix_; }
  OpenResult open(Hub&, ConnectionView, Link&, std::string_view, bool) override {
    return {p_ENOSYS, fmt::format("{} are not available yet in this version of Phantom", what_)};
  }

 private:
  std::string prefix_, what_;
};

}  // namespace

std::unique_ptr<Backend> make_unavailable_backend(std::string_view prefix, std::string_view what) {
  return std::make_unique<UnavailableBackend>(prefix, what);
}

}  // namespace phantom::connections
