// Result: names of the error codes (util layer).
#include "util/result.h"

namespace phantom {

const char* errc_name(Errc code) {
  switch (code) {
    case Errc::io: return "i/o error";
    case Errc::no_space: return "no space";
    case Errc::corrupt: return "corrupt";
    case Errc::unsupported: return "unsupported";
    case Errc::invalid_argument: return "invalid argument";
    case Errc::not_found: return "not found";
    case Errc::exists: return "exists";
    case Errc::busy: return "busy";
    case Errc::failed_state: return "failed state";
    case Errc::denied: return "denied";
  }
  return "unknown error";
}

}  // namespace phantom
