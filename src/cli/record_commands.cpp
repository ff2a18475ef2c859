// customers, vehicles, appointments, calls: add and list records from the shell.
#include <map>
#include <memory>

#include "cli/command.h"
#include "cli/output.h"

namespace autovoice::cli {

namespace {

Page page_of(int limit, int offset) { return Page{limit, offset}; }

void add_page_options(CLI::App* cmd, int& limit, int& offset) {
  cmd->add_option("--limit", limit, "At most this many rows (1-10000)")->capture_default_str();
  cmd->add_option("--offset", offset, "Skip this many rows first")->capture_default_str();
}

const TimeZone* shop_zone(Context& ctx) {
  return value_or_fail(find_time_zone(ctx.settings().shop_timezone, "SHOP_TIMEZONE"));
}

std::string full_name(const Customer& c) {
  return c.last_name.empty() ? c.first_name : c.first_name + " " + c.last_name;
}

// --- customers -------------------------------------------------------------------

void print_customers(Context& ctx, const std::vector<Customer>& customers, bool json) {
  if (json) return print_json(ctx.out, to_json_array(customers));
  Table table({"ID", "NAME", "PHONE", "EMAIL", "TIME ZONE", "OPTED OUT"});
  for (const auto& c : customers) {
    table.add({std::to_string(c.id), full_name(c), c.phone.str(), c.email,
               c.time_zone.empty() ? "(shop)" : c.time_zone,
               c.opted_out_at ? "yes, " + format_utc(*c.opted_out_at) : (c.opted_out ? "yes" : "no")});
  }
  table.print(ctx.out);
}

void add_customers(CLI::App& app, Context& ctx) {
  auto* customers = app.add_subcommand("customers", "Add, list and opt out customers");
  customers->require_subcommand(1);

  struct AddOptions {
    std::string first_name, last_name, phone, email, time_zone;
    bool opted_out = false;
    bool json = false;
  };
  auto add = std::make_shared<AddOptions>();
  auto* add_cmd = customers->add_subcommand("add", "Add a customer");
  add_cmd->add_option("--first-name", add->first_name, "First name")->required();
  add_cmd->add_option("--last-name", add->last_name, "Last name");
  add_cmd->add_option("--phone", add->phone, "Phone number in E.164 form, e.g. +15551234567")->required();
  add_cmd->add_option("--email", add->email, "Email address");
  add_cmd->add_option("--tz", add->time_zone, "The customer's IANA time zone (default: the shop's)");
  add_cmd->add_flag("--opted-out", add->opted_out, "The customer asked not to be called");
  add_cmd->add_flag("--json", add->json, "Print JSON");
  add_cmd->callback([&ctx, add] {
    Customer c;
    c.first_name = add->first_name;
    c.last_name = add->last_name;
    c.phone = value_or_fail(PhoneNumber::parse(add->phone));
    c.email = add->email;
    c.time_zone = add->time_zone;
    c.opted_out = add->opted_out;
    if (c.opted_out) c.opted_out_at = ctx.clock().now_seconds();
    check_or_fail(validate(c));
    print_customers(ctx, {value_or_fail(ctx.store().add_customer(c, ctx.clock().now_seconds()))}, add->json);
  });

  struct ListOptions {
    int limit = 100, offset = 0;
    bool json = false;
  };
  auto list = std::make_shared<ListOptions>();
  auto* list_cmd = customers->add_subcommand("list", "List customers");
  add_page_options(list_cmd, list->limit, list->offset);
  list_cmd->add_flag("--json", list->json, "Print JSON");
  list_cmd->callback([&ctx, list] {
    print_customers(ctx, value_or_fail(ctx.store().list_customers(page_of(list->limit, list->offset))),
                    list->json);
  });

  struct OptOutOptions {
    CustomerId id = 0;
    bool undo = false;
    bool json = false;
  };
  auto opt = std::make_shared<OptOutOptions>();
  auto* opt_cmd = customers->add_subcommand("opt-out", "Stop calling and texting a customer");
  opt_cmd->add_option("id", opt->id, "Customer id")->required();
  opt_cmd->add_flag("--undo", opt->undo, "Opt the customer back in");
  opt_cmd->add_flag("--json", opt->json, "Print JSON");
  opt_cmd->callback([&ctx, opt] {
    auto c = value_or_fail(ctx.store().set_customer_opt_out(opt->id, !opt->undo, ctx.clock().now_seconds()));
    print_customers(ctx, {c}, opt->json);
  });
}

// --- vehicles ---------------------------------------------------------------------

void print_vehicles(Context& ctx, const std::vector<Vehicle>& vehicles, bool json) {
  if (json) return print_json(ctx.out, to_json_array(vehicles));
  Table table({"ID", "CUSTOMER", "VEHICLE", "VIN", "PLATE"});
  for (const auto& v : vehicles) {
    table.add({std::to_string(v.id), std::to_string(v.customer_id), v.describe(), v.vin, v.plate});
  }
  table.print(ctx.out);
}

void add_vehicles(CLI::App& app, Context& ctx) {
  auto* vehicles = app.add_subcommand("vehicles", "Add and list vehicles");
  vehicles->require_subcommand(1);

  struct AddOptions {
    CustomerId customer = 0;
    int year = 0;
    std::string make, model, vin, plate;
    bool json = false;
  };
  auto add = std::make_shared<AddOptions>();
  auto* add_cmd = vehicles->add_subcommand("add", "Add a vehicle to a customer");
  add_cmd->add_option("--customer", add->customer, "Owner's customer id")->required();
  add_cmd->add_option("--year", add->year, "Model year")->required();
  add_cmd->add_option("--make", add->make, "Make, e.g. Honda")->required();
  add_cmd->add_option("--model", add->model, "Model, e.g. Civic")->required();
  add_cmd->add_option("--vin", add->vin, "17-character VIN");
  add_cmd->add_option("--plate", add->plate, "License plate");
  add_cmd->add_flag("--json", add->json, "Print JSON");
  add_cmd->callback([&ctx, add] {
    Vehicle v;
    v.customer_id = add->customer;
    v.year = add->year;
    v.make = add->make;
    v.model = add->model;
    v.vin = add->vin;
    v.plate = add->plate;
    check_or_fail(validate(v));
    print_vehicles(ctx, {value_or_fail(ctx.store().add_vehicle(v, ctx.clock().now_seconds()))}, add->json);
  });

  struct ListOptions {
    std::optional<CustomerId> customer;
    int limit = 100, offset = 0;
    bool json = false;
  };
  auto list = std::make_shared<ListOptions>();
  auto* list_cmd = vehicles->add_subcommand("list", "List vehicles");
  list_cmd->add_option("--customer", list->customer, "Only this customer's vehicles");
  add_page_options(list_cmd, list->limit, list->offset);
  list_cmd->add_flag("--json", list->json, "Print JSON");
  list_cmd->callback([&ctx, list] {
    if (list->customer) (void)value_or_fail(ctx.store().customer(*list->customer));
    print_vehicles(ctx, value_or_fail(ctx.store().list_vehicles(list->customer, page_of(list->limit, list->offset))),
                   list->json);
  });
}

// --- appointments -------------------------------------------------------------------

void print_appointments(Context& ctx, const std::vector<Appointment>& appointments, bool json) {
  if (json) return print_json(ctx.out, to_json_array(appointments));
  const TimeZone* zone = shop_zone(ctx);
  std::map<CustomerId, Customer> customers;
  std::map<VehicleId, Vehicle> vehicles;
  Table table({"ID", "START (" + zone->name() + ")", "MIN", "STATUS", "CUSTOMER", "PHONE", "VEHICLE", "SERVICE"});
  for (const auto& a : appointments) {
    if (!customers.contains(a.customer_id)) customers[a.customer_id] = value_or_fail(ctx.store().customer(a.customer_id));
    if (!vehicles.contains(a.vehicle_id)) vehicles[a.vehicle_id] = value_or_fail(ctx.store().vehicle(a.vehicle_id));
    const Customer& c = customers[a.customer_id];
    const date::zoned_seconds local{zone, a.start};
    table.add({std::to_string(a.id), date::format("%a %F %H:%M", local), std::to_string(a.duration_minutes),
               std::string(to_string(a.status)), full_name(c) + (c.opted_out ? " (opted out)" : ""),
               c.phone.str(), vehicles[a.vehicle_id].describe(), a.service_type});
  }
  table.print(ctx.out);
}

// "today", "tomorrow" or YYYY-MM-DD, as a local day in the shop's zone.
Interval day_in_shop_zone(Context& ctx, const std::string& text) {
  const TimeZone* zone = shop_zone(ctx);
  const auto today = local_date(ctx.clock().now_seconds(), zone);
  if (text == "today") return local_day(today, zone);
  if (text == "tomorrow") return local_day(date::year_month_day{date::sys_days{today} + date::days{1}}, zone);
  return local_day(value_or_fail(parse_date(text, "date")), zone);
}

void add_appointments(CLI::App& app, Context& ctx) {
  auto* appointments = app.add_subcommand("appointments", "Add, list and change appointments");
  appointments->require_subcommand(1);

  struct AddOptions {
    CustomerId customer = 0;
    VehicleId vehicle = 0;
    std::string start, service, status = "SCHEDULED", notes;
    int duration = 60;
    bool json = false;
  };
  auto add = std::make_shared<AddOptions>();
  auto* add_cmd = appointments->add_subcommand("add", "Book an appointment");
  add_cmd->add_option("--customer", add->customer, "Customer id")->required();
  add_cmd->add_option("--vehicle", add->vehicle, "Vehicle id (one of the customer's)")->required();
  add_cmd->add_option("--start", add->start,
                      "Start, local to the shop (\"2026-11-26 10:00\") or with an offset (\"...Z\", \"...-05:00\")")
      ->required();
  add_cmd->add_option("--duration", add->duration, "Minutes")->capture_default_str();
  add_cmd->add_option("--service", add->service, "Service, e.g. \"Oil change\"")->required();
  add_cmd->add_option("--status", add->status, "SCHEDULED, CONFIRMED, CANCELLED, COMPLETED or NO_SHOW")
      ->capture_default_str();
  add_cmd->add_option("--notes", add->notes, "Notes for the shop");
  add_cmd->add_flag("--json", add->json, "Print JSON");
  add_cmd->callback([&ctx, add] {
    Appointment a;
    a.customer_id = add->customer;
    a.vehicle_id = add->vehicle;
    a.start = value_or_fail(parse_datetime(add->start, shop_zone(ctx), "start"));
    a.duration_minutes = add->duration;
    a.service_type = add->service;
    a.status = value_or_fail(parse_appointment_status(add->status));
    a.notes = add->notes;
    check_or_fail(validate(a));
    print_appointments(ctx, {value_or_fail(ctx.store().add_appointment(a, ctx.clock().now_seconds()))},
                       add->json);
  });

  struct ListOptions {
    std::string date, from, to, status;
    std::optional<CustomerId> customer;
    int limit = 100, offset = 0;
    bool json = false;
  };
  auto list = std::make_shared<ListOptions>();
  auto* list_cmd = appointments->add_subcommand("list", "List appointments, by start time");
  list_cmd->add_option("--date", list->date, "One local day in the shop's zone: today, tomorrow or YYYY-MM-DD");
  list_cmd->add_option("--from", list->from, "Starting at or after this time (shop-local unless an offset is given)");
  list_cmd->add_option("--to", list->to, "Starting before this time");
  list_cmd->add_option("--status", list->status, "Only this status");
  list_cmd->add_option("--customer", list->customer, "Only this customer's");
  add_page_options(list_cmd, list->limit, list->offset);
  list_cmd->add_flag("--json", list->json, "Print JSON");
  list_cmd->callback([&ctx, list] {
    AppointmentQuery q;
    if (!list->date.empty()) {
      if (!list->from.empty() || !list->to.empty()) fail_usage("--date cannot be combined with --from/--to");
      const Interval day = day_in_shop_zone(ctx, list->date);
      q.from = day.begin;
      q.to = day.end;
    }
    if (!list->from.empty()) q.from = value_or_fail(parse_datetime(list->from, shop_zone(ctx), "from"));
    if (!list->to.empty()) q.to = value_or_fail(parse_datetime(list->to, shop_zone(ctx), "to"));
    if (!list->status.empty()) q.status = value_or_fail(parse_appointment_status(list->status));
    if (list->customer) {
      (void)value_or_fail(ctx.store().customer(*list->customer));
      q.customer_id = list->customer;
    }
    q.page = page_of(list->limit, list->offset);
    print_appointments(ctx, value_or_fail(ctx.store().list_appointments(q)), list->json);
  });

  struct StatusOptions {
    AppointmentId id = 0;
    std::string status;
    bool json = false;
  };
  auto set = std::make_shared<StatusOptions>();
  auto* set_cmd = appointments->add_subcommand("set-status", "Change an appointment's status");
  set_cmd->add_option("id", set->id, "Appointment id")->required();
  set_cmd->add_option("status", set->status, "SCHEDULED, CONFIRMED, CANCELLED, COMPLETED or NO_SHOW")->required();
  set_cmd->add_flag("--json", set->json, "Print JSON");
  set_cmd->callback([&ctx, set] {
    const auto status = value_or_fail(parse_appointment_status(set->status));
    print_appointments(ctx, {value_or_fail(ctx.store().set_appointment_status(set->id, status, ctx.clock().now_seconds()))},
                       set->json);
  });
}

// --- calls --------------------------------------------------------------------------

void add_calls(CLI::App& app, Context& ctx) {
  auto* calls = app.add_subcommand("calls", "The log of every call");
  calls->require_subcommand(1);
  struct ListOptions {
    std::optional<CustomerId> customer;
    std::optional<AppointmentId> appointment;
    int limit = 100, offset = 0;
    bool json = false;
  };
  auto list = std::make_shared<ListOptions>();
  auto* list_cmd = calls->add_subcommand("list", "List calls, newest first");
  list_cmd->add_option("--customer", list->customer, "Only this customer's calls");
  list_cmd->add_option("--appointment", list->appointment, "Only this appointment's calls");
  add_page_options(list_cmd, list->limit, list->offset);
  list_cmd->add_flag("--json", list->json, "Print JSON");
  list_cmd->callback([&ctx, list] {
    CallLogQuery q{list->customer, list->appointment, page_of(list->limit, list->offset)};
    const auto logs = value_or_fail(ctx.store().list_call_logs(q));
    if (list->json) return print_json(ctx.out, to_json_array(logs));
    const TimeZone* zone = shop_zone(ctx);
    Table table({"CREATED (" + zone->name() + ")", "CALL SID", "DIR", "STATUS", "TO", "APPT", "SECONDS",
                 "ANSWERED BY", "OUTCOME", "INTENT"});
    for (const auto& c : logs) {
      table.add({date::format("%F %H:%M:%S", date::zoned_seconds{zone, c.created_at}), c.call_sid,
                 std::string(to_string(c.direction)), std::string(to_string(c.status)), c.to,
                 c.appointment_id ? std::to_string(*c.appointment_id) : "",
                 c.duration_seconds ? std::to_string(*c.duration_seconds) : "", c.answered_by, c.outcome,
                 c.intent});
    }
    table.print(ctx.out);
  });
}

void add_reminders(CLI::App& app, Context& ctx) {
  auto* reminders = app.add_subcommand("reminders", "The reminder job's record: one row per appointment and start time");
  reminders->require_subcommand(1);
  struct ListOptions {
    std::string date, state;
    std::optional<AppointmentId> appointment;
    int limit = 100, offset = 0;
    bool json = false;
  };
  auto list = std::make_shared<ListOptions>();
  auto* list_cmd = reminders->add_subcommand("list", "List reminders, by appointment start");
  list_cmd->add_option("--date", list->date, "Appointments on one local day in the shop's zone: today, tomorrow or YYYY-MM-DD");
  list_cmd->add_option("--state", list->state,
                       "Only this state: pending, dialling, calling, done, failed, skipped, dropped");
  list_cmd->add_option("--appointment", list->appointment, "Only this appointment's reminders");
  add_page_options(list_cmd, list->limit, list->offset);
  list_cmd->add_flag("--json", list->json, "Print JSON");
  list_cmd->callback([&ctx, list] {
    ReminderQuery q;
    if (!list->date.empty()) {
      const Interval day = day_in_shop_zone(ctx, list->date);
      q.from = day.begin;
      q.to = day.end;
    }
    if (!list->state.empty()) q.state = value_or_fail(parse_reminder_state(list->state));
    q.appointment_id = list->appointment;
    q.page = page_of(list->limit, list->offset);
    const auto rows = value_or_fail(ctx.store().list_reminders(q));
    if (list->json) return print_json(ctx.out, to_json_array(rows));
    const TimeZone* zone = shop_zone(ctx);
    Table table({"ID", "APPT", "STARTS (" + zone->name() + ")", "STATE", "CHANNEL", "ATTEMPTS", "DUE", "REASON",
                 "CALL SID"});
    for (const auto& r : rows) {
      table.add({std::to_string(r.id), std::to_string(r.appointment_id),
                 date::format("%F %H:%M", date::zoned_seconds{zone, r.appointment_start}),
                 std::string(to_string(r.state)), std::string(to_string(r.channel)), std::to_string(r.attempts),
                 r.state == ReminderState::kPending ? date::format("%F %H:%M", date::zoned_seconds{zone, r.due_at}) : "",
                 r.reason, r.call_sid});
    }
    table.print(ctx.out);
  });
}

}  // namespace

Interval shop_day(Context& ctx, const std::string& text) { return day_in_shop_zone(ctx, text); }

void add_record_commands(CLI::App& app, Context& ctx) {
  add_customers(app, ctx);
  add_vehicles(app, ctx);
  add_appointments(app, ctx);
  add_calls(app, ctx);
  add_reminders(app, ctx);
}

}  // namespace autovoice::cli
