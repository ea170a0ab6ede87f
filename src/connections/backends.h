// The backends this build has, in the order their prefixes are tried (connections layer).
#pragma once

#include <memory>
#include <vector>

#include "connections/backend.h"

namespace phantom::connections {

std::unique_ptr<Backend> make_timer_backend();        // tmr: (timer_backend.cc)
std::unique_ptr<Backend> make_statistics_backend();   // stt: (statistics_backend.cc)
std::unique_ptr<Backend> make_file_backend();         // fio: (file_backend.cc)
std::unique_ptr<Backend> make_tcp_backend();          // tcp: (tcp_backend.cc)
std::unique_ptr<Backend> make_udp_backend();          // udp: (udp_backend.cc)
std::unique_ptr<Backend> make_url_backend();          // url: (url_backend.cc)
std::unique_ptr<Backend> make_web_backend();          // web: (web_backend.cc)
std::unique_ptr<Backend> make_fault_injection_backend();  // flt:, only with --test-faults (fault_injection_backend.cc)
void install_http_natives(vm::Vm& vm);               // .internal.tcp.curl [24] (url_backend.cc)
// A prefix known but not served: connect answers ENOSYS with a message (unavailable_backend.cc).
std::unique_ptr<Backend> make_unavailable_backend(std::string_view prefix, std::string_view what);

inline std::vector<std::unique_ptr<Backend>> make_backends() {
  std::vector<std::unique_ptr<Backend>> all;
  all.push_back(make_timer_backend());
  all.push_back(make_statistics_backend());
  all.push_back(make_file_backend());
  all.push_back(make_udp_backend());
  all.push_back(make_url_backend());
  all.push_back(make_web_backend());
  all.push_back(make_tcp_backend());
  return all;
}

}  // namespace phantom::connections
