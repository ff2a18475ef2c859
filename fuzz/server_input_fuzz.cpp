// libFuzzer target: what the server reads from the outside, on arbitrary
// bytes. The first byte picks the reader: a status callback's form, a CRM
// body (customer, vehicle, appointment; create and patch), a CRM query string,
// or a request path for the router. Readers must return a value or errors
// that each name a field and say something; never crash or hang.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include <boost/json/parse.hpp>

#include "server/crm_json.h"
#include "server/handlers/webhooks.h"
#include "server/router.h"
#include "telephony/form.h"

namespace {

namespace srv = autovoice::server;
namespace tel = autovoice::telephony;

void check(bool condition) {
  if (!condition) std::abort();
}

template <typename T>
void check_parsed(const srv::Parsed<T>& parsed) {
  if (parsed.ok()) return;
  check(!parsed.error().empty());
  for (const auto& e : parsed.error()) check(!e.message.empty());
}

void crm_body(std::string_view text, int which) {
  boost::system::error_code ec;
  const boost::json::value body = boost::json::parse(text, ec);
  if (ec) return;
  for (srv::Mode mode : {srv::Mode::kCreate, srv::Mode::kPatch}) {
    switch (which) {
      case 0: check_parsed(srv::customer_from_json(body, mode, autovoice::Customer{})); break;
      case 1: check_parsed(srv::vehicle_from_json(body, mode, autovoice::Vehicle{})); break;
      default: check_parsed(srv::appointment_from_json(body, mode, autovoice::Appointment{})); break;
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 6) {
    case 0: {
      auto form = tel::decode_form(text);
      if (!form) return 0;
      auto update = srv::status_update_from(*form);
      if (update) {
        check(update->call_sid.size() == 34);
      } else {
        check(!update.error().empty());
      }
      return 0;
    }
    case 1:
    case 2:
    case 3:
      crm_body(text, data[0] % 6 - 1);
      return 0;
    case 4: {
      auto query = tel::decode_form(text);
      if (!query) return 0;
      static const auto* zone = *autovoice::find_time_zone("America/New_York");
      check_parsed(srv::appointment_query_from(*query, zone));
      check_parsed(srv::call_log_query_from(*query));
      check_parsed(srv::customer_filter_from(*query));
      check_parsed(srv::page_from_query(*query));
      return 0;
    }
    default: {
      static const srv::Router router = [] {
        srv::Router r;
        r.add(boost::beast::http::verb::get, "/api/v1/customers/{id}");
        r.add(boost::beast::http::verb::post, "/api/v1/webhooks/twilio/status");
        return r;
      }();
      const auto match = router.match(boost::beast::http::verb::get, text);
      if (match.kind == srv::Router::Match::Kind::kFound) check(match.params.size() == 1 && !match.params[0].empty());
      return 0;
    }
  }
}
