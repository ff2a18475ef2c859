// The CRM REST API's JSON (/api/v1/customers, /vehicles, /appointments,
// /calls): records to JSON, request bodies and query strings to records and
// queries. A pure codec: no storage, no clock, no HTTP; the CRM handlers call
// it and turn its FieldErrors into a 422 (or, for a body that is not a JSON
// object, a 400) through the server's one error table.
//
// Reading outside input reports EVERY bad field, not just the first: a
// FieldError per field, whose message names the value (JSON-quoted and cut to
// 40 characters) and what is expected, e.g.
//   {"phone", "phone number '555-0100' must start with '+' and the country code (E.164, ...)"}
//   {"year", "year must be an integer, got \"2021\""}
// The domain's parsers and validate() supply the record rules; this file adds
// only what the API itself fixes (JSON types, unknown and read-only members,
// maximum lengths, id and number ranges).
//
// All functions are pure and safe to call from any thread.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include "domain/result.h"
#include "domain/time.h"
#include "domain/types.h"
#include "server/errors.h"  // FieldError, FieldErrors
#include "store/store.h"
#include "telephony/form.h"

namespace autovoice::server {

template <typename T>
using Parsed = Result<T, FieldErrors>;

// --- records to JSON --------------------------------------------------------------
// Times are UTC "2026-11-26T15:00:00Z"; phone numbers in full E.164 (the API is
// authenticated; logs never print these bodies); empty text as "".
//
// id, first_name, last_name, phone, email, time_zone, opted_out,
// opted_out_at (or null), created_at.
boost::json::object to_json(const Customer& c);
// id, customer_id, year, make, model, vin, plate, description ("2021 Honda
// Civic"), created_at.
boost::json::object to_json(const Vehicle& v);
// id, customer_id, vehicle_id, start, duration_minutes, service_type, status
// ("CONFIRMED"), notes, created_at, updated_at.
boost::json::object to_json(const Appointment& a);
// Every field; direction "outbound", status "in-progress"; absent optionals
// (customer_id, appointment_id, started_at, ended_at, duration_seconds,
// error_code) as null.
boost::json::object to_json(const CallLog& c);
boost::json::object to_json(const Reminder& r);

// --- request bodies to records ---------------------------------------------------------
// kCreate (POST): every required member must be present; `base` is ignored and
// absent optional members take the record's defaults.
// kPatch (PATCH): the result is `base` with only the members present changed.
//
// The body must be a JSON object; anything else gives the single FieldError
// {"", "request body must be a JSON object, got ..."}. Otherwise every one of
// these is reported, each under its member's name:
//   - a member the record does not have: "unknown field ...";
//   - a read-only member (id, created_at, updated_at, description,
//     opted_out_at; customer_id in kPatch, since ownership does not move):
//     "... is read-only";
//   - a required member missing in kCreate: "... is required";
//   - a wrong JSON type: "... must be a string, got 42" (integers may be
//     written 2021 or 2021.0; null is accepted only where it means "empty",
//     i.e. for optional text: last_name, email, time_zone, vin, plate, notes);
//   - a bad value: too long (lengths count Unicode characters), a control
//     character (notes may hold tabs and line breaks), a number out of range,
//     an invalid phone number, time zone, status or time;
//   - whatever the domain's validate() then finds in the resulting record
//     (blank names, e-mail shape, VIN, ...), one error per field.
// Text is kept exactly as given (not trimmed).

// A customer as read from a body. `opted_out` is the body's opted_out member
// when present (either mode); the handler must act on it, because the time
// is the server's: customer.opted_out is set to it and, when false,
// customer.opted_out_at is cleared; when true and the customer was not opted
// out, opted_out_at stays empty for the handler to stamp (on create, set it
// to now before Store::add_customer; on patch, call
// Store::set_customer_opt_out, since update_customer keeps the opt-out).
struct CustomerInput {
  Customer customer;
  std::optional<bool> opted_out;
};

enum class Mode { kCreate, kPatch };

// Members: first_name (required, <= 100), last_name (<= 100), phone
// (required, E.164), email (<= 254), time_zone (IANA name; "" = the shop's),
// opted_out (true/false).
Parsed<CustomerInput> customer_from_json(const boost::json::value& body, Mode mode,
                                         const Customer& base);
// Members: customer_id (required; kCreate only), year (required, 1900..2100),
// make and model (required, <= 50), vin (17 characters or ""), plate (<= 16).
Parsed<Vehicle> vehicle_from_json(const boost::json::value& body, Mode mode, const Vehicle& base);
// Members: customer_id (required; kCreate only), vehicle_id (required),
// start (required; RFC 3339 with "Z" or an offset such as "-05:00"; a time
// without one is ambiguous and rejected; ".000" fractions, as JavaScript
// writes them, are accepted, other fractions are not), duration_minutes
// (1..1440, default 60), service_type (required, <= 100), status (any case,
// default SCHEDULED), notes (<= 2000).
Parsed<Appointment> appointment_from_json(const boost::json::value& body, Mode mode,
                                          const Appointment& base);

// --- query strings ------------------------------------------------------------------
// Each function takes the query of one list endpoint (telephony::decode_form
// of the text after '?') and reports, each under the parameter's name: a
// parameter the endpoint does not take, a parameter given more than once, and
// every bad value. Numbers are plain decimal integers.
//
// limit: 1..500, default 50. offset: 0 or more, default 0.
inline constexpr int kDefaultLimit = 50;
inline constexpr int kMaxLimit = 500;

// GET /customers: limit and offset. A caller that reads other parameters of
// the same query itself names them in `also_known`, so that they are not
// reported as unknown (e.g. page_from_query(q, {"customer_id"}) for vehicles,
// after customer_filter_from(q) has checked the whole query).
Parsed<Page> page_from_query(const telephony::FormParams& query,
                             std::initializer_list<std::string_view> also_known = {});
// GET /appointments: from and to (start >= from, start < to), status,
// customer_id, limit, offset. A time with "Z" or an offset is absolute; one
// without is local to `shop_zone`; a date alone ("2026-03-08") means local
// midnight there (on a day whose midnight a DST change skips, the first
// instant of the day). `to` before `from` is an error. With a null
// `shop_zone` only absolute times are accepted.
Parsed<AppointmentQuery> appointment_query_from(const telephony::FormParams& query,
                                                const TimeZone* shop_zone);
// GET /vehicles: the optional customer_id filter. Checks the endpoint's whole
// query (customer_id, limit, offset), so every error is reported here; the
// page then comes from page_from_query(query, {"customer_id"}).
Parsed<std::optional<CustomerId>> customer_filter_from(const telephony::FormParams& query);
// GET /calls: customer_id, appointment_id, limit, offset.
Parsed<CallLogQuery> call_log_query_from(const telephony::FormParams& query);

// --- responses ---------------------------------------------------------------------
// {"data": [...], "limit": L, "offset": O, "next_offset": O+L, or null when
// fewer than L rows came back (the last page)}.
boost::json::object list_json(boost::json::array data, const Page& page);


}  // namespace autovoice::server
