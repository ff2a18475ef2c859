// The CRM REST API, under /api/v1/, authenticated with the API key:
//
//   GET    /customers                  list (limit, offset)
//   POST   /customers                  create (201)
//   GET    /customers/{id}             read
//   PATCH  /customers/{id}             change the members given (opted_out too)
//   DELETE /customers/{id}             delete, with their vehicles and appointments (204)
//   ... the same for /vehicles (list filter: customer_id; no delete while
//   appointments refer to the vehicle: 409) and /appointments (filters: from,
//   to, status, customer_id);
//   GET    /calls                      call logs, newest first (customer_id, appointment_id)
//   GET    /calls/{call_sid}           one call log
//
// Bodies and queries are read by crm_json.h; every bad field is reported in
// one 422. Store errors become answers through errors.h.
#include <charconv>

#include <boost/asio/awaitable.hpp>
#include <boost/json/parse.hpp>

#include "server/crm_json.h"
#include "server/db_pool.h"
#include "server/handlers/handlers.h"
#include "store/store.h"

namespace autovoice::server {

namespace {

namespace asio = boost::asio;
namespace http = boost::beast::http;
namespace json = boost::json;
namespace tel = telephony;

using Awaitable = asio::awaitable<Reply>;

// The JSON body of a POST or PATCH: 400 when it is not JSON or not an object.
Result<json::value, ApiError> parse_body(const Exchange& ex) {
  boost::system::error_code ec;
  json::value body = json::parse(ex.request.body(), ec);
  if (ec) return ApiError{Problem::kBadRequest, "the request body is not valid JSON: " + ec.message(), {}};
  if (!body.is_object()) return ApiError{Problem::kBadRequest, "the request body must be a JSON object", {}};
  return body;
}

// A Parsed failure as an answer: 400 for the body as a whole, else 422.
ApiError input_error(FieldErrors errors) {
  if (errors.size() == 1 && errors.front().field.empty()) {
    return ApiError{Problem::kBadRequest, errors.front().message, {}};
  }
  return validation_error(std::move(errors));
}

Result<tel::FormParams, ApiError> parse_query(const Exchange& ex) {
  auto query = tel::decode_form(ex.query);
  if (!query) return ApiError{Problem::kBadRequest, "malformed query string: " + query.error().message, {}};
  return std::move(*query);
}

// The {id} of a path; a malformed id names no record: 404.
Result<std::int64_t, ApiError> path_id(const Exchange& ex, std::string_view what) {
  const std::string& text = ex.params.at(0);
  std::int64_t id = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
  if (ec != std::errc() || end != text.data() + text.size() || id <= 0) {
    return ApiError{Problem::kNotFound, "no " + std::string(what) + " '" + text.substr(0, 40) + "'", {}};
  }
  return id;
}

// A stored record (or the store's error) as an answer.
template <typename T>
Reply record_reply(const Result<T>& r, http::status status = http::status::ok) {
  if (!r) return api_error(r.error());
  return json_reply(status, to_json(*r));
}

template <typename T>
Reply list_reply(const Result<std::vector<T>>& rows, const Page& page) {
  if (!rows) return api_error(rows.error());
  json::array data;
  data.reserve(rows->size());
  for (const T& row : *rows) data.push_back(to_json(row));
  return json_reply(http::status::ok, list_json(std::move(data), page));
}

Reply deleted_reply(const Status& s) {
  if (!s) return api_error(s.error());
  return empty_reply(http::status::no_content);
}

void add(std::vector<RouteSpec>& routes, http::verb method, std::string pattern, Handler handler) {
  routes.push_back(RouteSpec{method, std::move(pattern), Guard::kApiKey, std::move(handler), {}});
}

// --- customers ------------------------------------------------------------------------

void customer_routes(Services& s, std::vector<RouteSpec>& routes) {
  add(routes, http::verb::get, "/api/v1/customers", [&s](Exchange& ex) -> Awaitable {
    auto query = parse_query(ex);
    if (!query) co_return query.error();
    auto page = page_from_query(*query);
    if (!page) co_return input_error(std::move(page).error());
    auto rows = co_await s.db.run([&s, p = *page] { return s.store.list_customers(p); });
    co_return list_reply(rows, *page);
  });
  add(routes, http::verb::post, "/api/v1/customers", [&s](Exchange& ex) -> Awaitable {
    auto body = parse_body(ex);
    if (!body) co_return body.error();
    auto input = customer_from_json(*body, Mode::kCreate, Customer{});
    if (!input) co_return input_error(std::move(input).error());
    const TimePoint now = s.clock.now_seconds();
    Customer c = input->customer;
    if (c.opted_out) c.opted_out_at = now;
    auto stored = co_await s.db.run([&s, &c, now] { return s.store.add_customer(c, now); });
    co_return record_reply(stored, http::status::created);
  });
  add(routes, http::verb::get, "/api/v1/customers/{id}", [&s](Exchange& ex) -> Awaitable {
    auto id = path_id(ex, "customer");
    if (!id) co_return id.error();
    co_return record_reply(co_await s.db.run([&s, id = *id] { return s.store.customer(id); }));
  });
  add(routes, http::verb::patch, "/api/v1/customers/{id}", [&s](Exchange& ex) -> Awaitable {
    auto id = path_id(ex, "customer");
    if (!id) co_return id.error();
    auto body = parse_body(ex);
    if (!body) co_return body.error();
    const TimePoint now = s.clock.now_seconds();
    auto result = co_await s.db.run([&s, &body, id = *id, now]() -> Result<Customer, ApiError> {
      auto current = s.store.customer(id);
      if (!current) return api_error(current.error());
      auto input = customer_from_json(*body, Mode::kPatch, *current);
      if (!input) return input_error(std::move(input).error());
      auto updated = s.store.update_customer(input->customer);
      if (!updated) return api_error(updated.error());
      if (input->opted_out && *input->opted_out != current->opted_out) {
        auto opted = s.store.set_customer_opt_out(id, *input->opted_out, now);
        if (!opted) return api_error(opted.error());
        return std::move(*opted);
      }
      return std::move(*updated);
    });
    if (!result) co_return result.error();
    co_return json_reply(http::status::ok, to_json(*result));
  });
  add(routes, http::verb::delete_, "/api/v1/customers/{id}", [&s](Exchange& ex) -> Awaitable {
    auto id = path_id(ex, "customer");
    if (!id) co_return id.error();
    co_return deleted_reply(co_await s.db.run([&s, id = *id] { return s.store.delete_customer(id); }));
  });
}

// --- vehicles -------------------------------------------------------------------------

void vehicle_routes(Services& s, std::vector<RouteSpec>& routes) {
  add(routes, http::verb::get, "/api/v1/vehicles", [&s](Exchange& ex) -> Awaitable {
    auto query = parse_query(ex);
    if (!query) co_return query.error();
    auto owner = customer_filter_from(*query);
    if (!owner) co_return input_error(std::move(owner).error());
    auto page = page_from_query(*query, {"customer_id"});
    if (!page) co_return input_error(std::move(page).error());
    auto rows = co_await s.db.run([&s, o = *owner, p = *page] { return s.store.list_vehicles(o, p); });
    co_return list_reply(rows, *page);
  });
  add(routes, http::verb::post, "/api/v1/vehicles", [&s](Exchange& ex) -> Awaitable {
    auto body = parse_body(ex);
    if (!body) co_return body.error();
    auto v = vehicle_from_json(*body, Mode::kCreate, Vehicle{});
    if (!v) co_return input_error(std::move(v).error());
    const TimePoint now = s.clock.now_seconds();
    auto stored = co_await s.db.run([&s, &v, now] { return s.store.add_vehicle(*v, now); });
    co_return record_reply(stored, http::status::created);
  });
  add(routes, http::verb::get, "/api/v1/vehicles/{id}", [&s](Exchange& ex) -> Awaitable {
    auto id = path_id(ex, "vehicle");
    if (!id) co_return id.error();
    co_return record_reply(co_await s.db.run([&s, id = *id] { return s.store.vehicle(id); }));
  });
  add(routes, http::verb::patch, "/api/v1/vehicles/{id}", [&s](Exchange& ex) -> Awaitable {
    auto id = path_id(ex, "vehicle");
    if (!id) co_return id.error();
    auto body = parse_body(ex);
    if (!body) co_return body.error();
    auto result = co_await s.db.run([&s, &body, id = *id]() -> Result<Vehicle, ApiError> {
      auto current = s.store.vehicle(id);
      if (!current) return api_error(current.error());
      auto v = vehicle_from_json(*body, Mode::kPatch, *current);
      if (!v) return input_error(std::move(v).error());
      auto updated = s.store.update_vehicle(*v);
      if (!updated) return api_error(updated.error());
      return std::move(*updated);
    });
    if (!result) co_return result.error();
    co_return json_reply(http::status::ok, to_json(*result));
  });
  add(routes, http::verb::delete_, "/api/v1/vehicles/{id}", [&s](Exchange& ex) -> Awaitable {
    auto id = path_id(ex, "vehicle");
    if (!id) co_return id.error();
    co_return deleted_reply(co_await s.db.run([&s, id = *id] { return s.store.delete_vehicle(id); }));
  });
}

// --- appointments ---------------------------------------------------------------------

void appointment_routes(Services& s, std::vector<RouteSpec>& routes) {
  add(routes, http::verb::get, "/api/v1/appointments", [&s](Exchange& ex) -> Awaitable {
    auto query = parse_query(ex);
    if (!query) co_return query.error();
    auto q = appointment_query_from(*query, s.shop_zone);
    if (!q) co_return input_error(std::move(q).error());
    auto rows = co_await s.db.run([&s, &q] { return s.store.list_appointments(*q); });
    co_return list_reply(rows, q->page);
  });
  add(routes, http::verb::post, "/api/v1/appointments", [&s](Exchange& ex) -> Awaitable {
    auto body = parse_body(ex);
    if (!body) co_return body.error();
    auto a = appointment_from_json(*body, Mode::kCreate, Appointment{});
    if (!a) co_return input_error(std::move(a).error());
    const TimePoint now = s.clock.now_seconds();
    auto stored = co_await s.db.run([&s, &a, now] { return s.store.add_appointment(*a, now); });
    co_return record_reply(stored, http::status::created);
  });
  add(routes, http::verb::get, "/api/v1/appointments/{id}", [&s](Exchange& ex) -> Awaitable {
    auto id = path_id(ex, "appointment");
    if (!id) co_return id.error();
    co_return record_reply(co_await s.db.run([&s, id = *id] { return s.store.appointment(id); }));
  });
  add(routes, http::verb::patch, "/api/v1/appointments/{id}", [&s](Exchange& ex) -> Awaitable {
    auto id = path_id(ex, "appointment");
    if (!id) co_return id.error();
    auto body = parse_body(ex);
    if (!body) co_return body.error();
    const TimePoint now = s.clock.now_seconds();
    auto result = co_await s.db.run([&s, &body, id = *id, now]() -> Result<Appointment, ApiError> {
      auto current = s.store.appointment(id);
      if (!current) return api_error(current.error());
      auto a = appointment_from_json(*body, Mode::kPatch, *current);
      if (!a) return input_error(std::move(a).error());
      auto updated = s.store.update_appointment(*a, now);
      if (!updated) return api_error(updated.error());
      return std::move(*updated);
    });
    if (!result) co_return result.error();
    co_return json_reply(http::status::ok, to_json(*result));
  });
  add(routes, http::verb::delete_, "/api/v1/appointments/{id}", [&s](Exchange& ex) -> Awaitable {
    auto id = path_id(ex, "appointment");
    if (!id) co_return id.error();
    co_return deleted_reply(co_await s.db.run([&s, id = *id] { return s.store.delete_appointment(id); }));
  });
}

// --- call logs ------------------------------------------------------------------------

void call_routes(Services& s, std::vector<RouteSpec>& routes) {
  add(routes, http::verb::get, "/api/v1/calls", [&s](Exchange& ex) -> Awaitable {
    auto query = parse_query(ex);
    if (!query) co_return query.error();
    auto q = call_log_query_from(*query);
    if (!q) co_return input_error(std::move(q).error());
    auto rows = co_await s.db.run([&s, &q] { return s.store.list_call_logs(*q); });
    co_return list_reply(rows, q->page);
  });
  add(routes, http::verb::get, "/api/v1/calls/{sid}", [&s](Exchange& ex) -> Awaitable {
    const std::string& sid = ex.params.at(0);
    co_return record_reply(co_await s.db.run([&s, &sid] { return s.store.call_log_by_sid(sid); }));
  });
}

}  // namespace

std::vector<RouteSpec> crm_routes(Services& services) {
  std::vector<RouteSpec> routes;
  customer_routes(services, routes);
  vehicle_routes(services, routes);
  appointment_routes(services, routes);
  call_routes(services, routes);
  return routes;
}

}  // namespace autovoice::server
