// GET /healthz: the process is up. GET /readyz: the database answers and its
// schema is this binary's. GET /metrics: Prometheus text.
#include <boost/asio/awaitable.hpp>

#include "server/db_pool.h"
#include "server/handlers/handlers.h"
#include "server/metrics.h"
#include "store/store.h"

namespace autovoice::server {

namespace asio = boost::asio;
namespace http = boost::beast::http;
namespace json = boost::json;

std::vector<RouteSpec> ops_routes(Services& services) {
  std::vector<RouteSpec> routes;
  routes.push_back(RouteSpec{http::verb::get, "/healthz", Guard::kPublic,
                             [](Exchange&) -> asio::awaitable<Reply> {
                               co_return json_reply(http::status::ok, json::object{{"status", "ok"}});
                             },
                             {}});
  routes.push_back(RouteSpec{
      http::verb::get, "/readyz", Guard::kPublic,
      [&services](Exchange&) -> asio::awaitable<Reply> {
        auto ready = co_await services.db.run([&services] { return require_current_schema(services.store); });
        if (!ready) co_return ApiError{Problem::kUnavailable, "database not ready: " + ready.error().message, {}};
        co_return json_reply(http::status::ok, json::object{{"status", "ready"}, {"schema_version", *ready}});
      },
      {}});
  routes.push_back(RouteSpec{
      http::verb::get, "/metrics", Guard::kPublic,
      [&services](Exchange&) -> asio::awaitable<Reply> {
        auto counts = co_await services.db.run([&services] { return services.store.call_log_counts(); });
        ScrapeValues values;
        if (counts) values.calls = std::move(*counts);
        values.db_pool = services.db.use();
        values.resident_memory_bytes = read_resident_memory_bytes();
        values.process_start = services.process_start;
        Response res{http::status::ok, 11};
        res.set(http::field::content_type, "text/plain; version=0.0.4; charset=utf-8");
        res.body() = services.metrics->render(values);
        co_return res;
      },
      {}});
  return routes;
}

}  // namespace autovoice::server
