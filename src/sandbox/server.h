// The sandbox's HTTP front: Twilio's REST API (the subset autovoice uses) and
// the sandbox's own routes, on Boost.Beast, on loopback.
//
//   POST /2010-04-01/Accounts/{AC}/Calls.json          create a call (201)
//   GET  /2010-04-01/Accounts/{AC}/Calls.json          list (To, StartTime>, PageSize, Page)
//   GET  /2010-04-01/Accounts/{AC}/Calls/{CA}.json     fetch
//   POST /2010-04-01/Accounts/{AC}/Messages.json       send an SMS (201)
//     HTTP Basic auth with the account SID and auth token (401, code 20003,
//     otherwise); faults (faults.h) apply to these routes only.
//   GET  /sandbox/calls[?to=+1...]   the record of every call (network.h)
//   GET  /sandbox/calls/{CA}         one call's record
//   GET  /sandbox/messages           the messages sent
//   GET  /sandbox/faults             the faults in force
//   POST /sandbox/faults             change them (a JSON object of members to set)
//   GET  /sandbox/stats              counters
//   GET  /healthz                    {"status": "ok"}
// The sandbox routes need no credentials: the server listens on loopback only.
//
// Every answer is JSON. Requests over 1 MiB get 413; unknown paths 404 with
// Twilio's error JSON; a known path with the wrong method 405.
//
// Threading: the server shares the Network's single-threaded event loop.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include <boost/asio/any_io_executor.hpp>

#include "domain/result.h"
#include "sandbox/network.h"

namespace autovoice::sandbox {

inline constexpr std::size_t kRequestBodyLimit = 1024 * 1024;

class Server {
 public:
  // Binds and starts accepting. `host` must be a loopback address; port 0
  // picks a free port (see port()).
  static Result<std::unique_ptr<Server>> start(boost::asio::any_io_executor executor,
                                               Network& network, const std::string& host,
                                               uint16_t port);
  ~Server();

  uint16_t port() const;
  // Stops accepting; open connections finish their current request.
  void stop();

  struct Impl;

 private:
  explicit Server(std::shared_ptr<Impl> impl);
  std::shared_ptr<Impl> impl_;
};

}  // namespace autovoice::sandbox
