// Server: autovoice's HTTP and WebSocket server on Boost.Beast — the carrier's
// voice webhooks and media streams, its status callbacks, the CRM REST API,
// health and metrics (the routes are listed in handlers/handlers.h).
//
// Threading: `threads` event-loop threads share one io_context; each
// connection is one coroutine on its own strand, one request in flight.
// Database work never runs on those threads: handlers hand it to the DbPool.
//
// Every request is checked before its handler runs: the body limit (413),
// the route (404, 405), the guard (401 for the API key, 403 for the carrier's
// signature, with nothing changed). A client that takes longer than
// `timeout` to send a request is disconnected (408 when it had started one).
// An exception escaping a handler is logged and answered 500; the server
// never stops on input.
#pragma once

#include <cstdint>
#include <memory>

#include "domain/clock.h"
#include "domain/result.h"
#include "server/http.h"

namespace autovoice {
class Store;
}

namespace autovoice::server {

class Metrics;

class Server {
 public:
  // Binds config.host:config.port and starts serving. Fails (kUnavailable)
  // when the address cannot be bound, kInvalidArgument for a bad host or an
  // unknown SHOP time zone. `store` and `clock` must outlive the server.
  static Result<std::unique_ptr<Server>> start(ServerConfig config, Store& store, Clock& clock);
  ~Server();  // shutdown()
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  uint16_t port() const;
  Metrics& metrics();

  // Graceful stop: stops accepting, lets requests in flight finish and be
  // answered, closes idle connections and every media stream (close code
  // 1001, going away), then joins the threads. Whatever is still running
  // after config.shutdown_grace is cut off. Idempotent. Call it from any
  // thread but the server's own.
  void shutdown();

  struct Impl;

 private:
  explicit Server(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace autovoice::server
