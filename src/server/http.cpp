#include "server/http.h"

#include <boost/json/serialize.hpp>

namespace autovoice::server {

namespace http = boost::beast::http;

Response json_reply(http::status status, const boost::json::value& body) {
  Response res{status, 11};
  res.set(http::field::content_type, "application/json");
  res.body() = boost::json::serialize(body);
  return res;
}

Response twiml_reply(std::string xml) {
  Response res{http::status::ok, 11};
  res.set(http::field::content_type, "text/xml; charset=utf-8");
  res.body() = std::move(xml);
  return res;
}

Response empty_reply(http::status status) { return Response{status, 11}; }

}  // namespace autovoice::server
