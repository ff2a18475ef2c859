#include "cli/seed.h"

#include <array>
#include <chrono>
#include <random>
#include <string_view>

namespace autovoice {

namespace {

constexpr std::array<std::string_view, 36> kFirstNames = {
    "Maria",  "James",   "Linda",  "Robert", "Patricia", "Michael", "Jennifer", "David",  "Elizabeth",
    "Carlos", "Susan",   "Thomas", "Karen",  "Daniel",   "Nancy",   "Matthew",  "Lisa",   "Anthony",
    "Betty",  "Mark",    "Sandra", "Steven", "Ashley",   "Andrew",  "Kimberly", "Joshua", "Donna",
    "Kevin",  "Michelle", "Brian", "Emily",  "George",   "Dorothy", "Edward",   "Amanda", "Ronald"};
constexpr std::array<std::string_view, 36> kLastNames = {
    "Garcia",   "Smith",   "Johnson", "Williams", "Brown",    "Jones",  "Miller",   "Davis",
    "Rodriguez", "Martinez", "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas",
    "Taylor",   "Moore",   "Jackson", "Martin",   "Lee",      "Perez",  "Thompson", "White",
    "Harris",   "Sanchez", "Clark",   "Ramirez",  "Lewis",    "Robinson", "Walker", "Young",
    "Allen",    "King",    "Wright",  "Scott"};

struct Model {
  std::string_view make;
  std::string_view model;
};
constexpr std::array<Model, 16> kModels = {{{"Honda", "Civic"},      {"Toyota", "Camry"},
                                            {"Ford", "F-150"},       {"Chevrolet", "Silverado"},
                                            {"Toyota", "RAV4"},      {"Honda", "CR-V"},
                                            {"Nissan", "Altima"},    {"Jeep", "Grand Cherokee"},
                                            {"Subaru", "Outback"},   {"Hyundai", "Elantra"},
                                            {"Ford", "Escape"},      {"Kia", "Sorento"},
                                            {"Toyota", "Tacoma"},    {"Volkswagen", "Jetta"},
                                            {"Mazda", "CX-5"},       {"Ram", "1500"}}};

struct Service {
  std::string_view name;
  int minutes;
};
constexpr std::array<Service, 10> kServices = {{{"Oil change", 30},
                                                {"Brake inspection", 60},
                                                {"Tire rotation", 30},
                                                {"State inspection", 45},
                                                {"Check engine light diagnosis", 90},
                                                {"30,000-mile service", 120},
                                                {"Battery replacement", 30},
                                                {"A/C recharge", 60},
                                                {"Transmission fluid service", 60},
                                                {"Wheel alignment", 60}}};

// Appointment start times (local, minutes after midnight) of a shop day.
constexpr std::array<int, 7> kSlots = {8 * 60, 9 * 60 + 30, 10 * 60, 11 * 60, 13 * 60, 14 * 60 + 30, 15 * 60 + 30};
constexpr std::array<std::string_view, 5> kAreaCodes = {"212", "312", "415", "617", "713"};
constexpr std::string_view kVinChars = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789";
constexpr std::size_t kBulkBatch = 50'000;
constexpr std::size_t kAppointmentsPerBulkCustomer = 20;

std::string vin_for(std::mt19937& rng) {
  std::string vin;
  std::uniform_int_distribution<std::size_t> pick(0, kVinChars.size() - 1);
  for (int i = 0; i < 17; ++i) vin += kVinChars[pick(rng)];
  return vin;
}

TimePoint at_local(date::year_month_day day, int minutes, const TimeZone* zone) {
  return resolve_local(date::local_seconds{date::local_days{day}} + std::chrono::minutes{minutes}, zone);
}

}  // namespace

Result<DemoSeedReport> seed_demo(Store& store, const TimeZone* shop_zone, TimePoint now) {
  auto existing = store.list_customers(Page{1, 0});
  if (!existing) return std::move(existing).error();
  if (!existing->empty()) {
    return Error::precondition("the database already has customers; seed --demo loads an empty database "
                               "(point DATABASE_URL at a new file)");
  }
  std::mt19937 rng(20261125);  // fixed: the demo shop is the same every time
  DemoSeedReport report;
  std::vector<Customer> customers;
  std::vector<std::vector<Vehicle>> vehicles;
  for (std::size_t i = 0; i < kFirstNames.size(); ++i) {
    Customer c;
    c.first_name = kFirstNames[i];
    c.last_name = kLastNames[(i * 7) % kLastNames.size()];
    std::string phone = "+1" + std::string(kAreaCodes[i % kAreaCodes.size()]) + "55501" +
                        (i < 10 ? "0" : "") + std::to_string(i);
    if (i == 1) phone = "+442079460958";  // a customer with a UK number (Ofcom drama range)
    auto parsed = PhoneNumber::parse(phone);
    if (!parsed) return std::move(parsed).error();
    c.phone = *parsed;
    std::string email_name = c.first_name + "." + c.last_name;
    for (char& ch : email_name) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    if (i % 3 != 2) c.email = email_name + "@example.com";
    if (i == 2) c.time_zone = "America/Los_Angeles";  // a customer who moved west
    if (i == 3) {
      c.opted_out = true;  // asked not to be called
      c.opted_out_at = now - std::chrono::hours{24 * 20};
    }
    auto stored = store.add_customer(c, now);
    if (!stored) return std::move(stored).error();
    customers.push_back(*stored);
    ++report.customers;

    std::vector<Vehicle> own;
    const int count = i % 5 == 4 ? 2 : 1;
    for (int k = 0; k < count; ++k) {
      Vehicle v;
      v.customer_id = stored->id;
      const Model& m = i == 0 && k == 0 ? kModels[0] : kModels[(i * 3 + static_cast<std::size_t>(k) * 5) % kModels.size()];
      v.make = m.make;
      v.model = m.model;
      v.year = i == 0 && k == 0 ? 2021 : 2008 + static_cast<int>((i * 5 + static_cast<std::size_t>(k)) % 17);
      if (i % 2 == 0) v.vin = vin_for(rng);
      v.plate = std::string(1, static_cast<char>('A' + i % 26)) + std::to_string(1000 + i * 37 % 9000) + "X";
      auto sv = store.add_vehicle(v, now);
      if (!sv) return std::move(sv).error();
      own.push_back(*sv);
      ++report.vehicles;
    }
    vehicles.push_back(std::move(own));
  }

  // Appointments: from 3 days ago to 7 days ahead, a handful a day.
  const date::year_month_day today = local_date(now, shop_zone);
  std::vector<Appointment> rows;
  std::size_t next_customer = 0;
  const date::year_month_day tomorrow{date::sys_days{today} + date::days{1}};
  // Tomorrow's list always includes the special customers, so the reminder
  // sweep shows every kind of decision.
  const std::array<std::size_t, 4> tomorrow_specials = {0, 1, 2, 3};
  for (int offset = -3; offset <= 7; ++offset) {
    const date::year_month_day day{date::sys_days{today} + date::days{offset}};
    const bool is_tomorrow = day == tomorrow;
    const std::size_t per_day = is_tomorrow ? kSlots.size() : 3 + static_cast<std::size_t>(offset + 3) % 3;
    for (std::size_t s = 0; s < per_day; ++s) {
      std::size_t ci = 0;
      if (is_tomorrow && s < tomorrow_specials.size()) {
        ci = tomorrow_specials[s];
      } else {
        ci = 4 + next_customer++ % (customers.size() - 4);
      }
      // The first customer's Civic is always in for an oil change (the test flow's appointment).
      const Service& service =
          ci == 0 ? kServices[0] : kServices[(ci + s + static_cast<std::size_t>(offset + 3)) % kServices.size()];
      Appointment a;
      a.customer_id = customers[ci].id;
      a.vehicle_id = vehicles[ci][s % vehicles[ci].size()].id;
      a.start = at_local(day, kSlots[s], shop_zone);
      a.duration_minutes = service.minutes;
      a.service_type = service.name;
      if (a.start < now) {
        a.status = s % 4 == 3 ? AppointmentStatus::kNoShow : AppointmentStatus::kCompleted;
      } else if (is_tomorrow) {
        a.status = s == per_day - 1 ? AppointmentStatus::kScheduled : AppointmentStatus::kConfirmed;
      } else {
        a.status = s % 3 == 0 ? AppointmentStatus::kScheduled : AppointmentStatus::kConfirmed;
      }
      if (offset == 2 && s == 0) a.status = AppointmentStatus::kCancelled;
      if (s == 1) a.notes = "Customer will wait in the lounge";
      if (is_tomorrow && a.status == AppointmentStatus::kConfirmed) ++report.confirmed_tomorrow;
      rows.push_back(std::move(a));
    }
  }
  auto added = store.add_appointments(rows, now);
  if (!added) return std::move(added).error();
  report.appointments = *added;
  return report;
}

namespace {

// The i-th load-test customer, with the number given, and their one vehicle.
Result<std::pair<CustomerId, VehicleId>> add_numbered_owner(Store& store, std::size_t i, const std::string& number,
                                                             TimePoint now) {
  Customer c;
  c.first_name = kFirstNames[i % kFirstNames.size()];
  c.last_name = kLastNames[(i / kFirstNames.size()) % kLastNames.size()];
  auto phone = PhoneNumber::parse(number);
  if (!phone) return std::move(phone).error();
  c.phone = *phone;
  auto stored = store.add_customer(c, now);
  if (!stored) return std::move(stored).error();
  Vehicle v;
  v.customer_id = stored->id;
  const Model& m = kModels[i % kModels.size()];
  v.make = m.make;
  v.model = m.model;
  v.year = 2005 + static_cast<int>(i % 20);
  auto vehicle = store.add_vehicle(v, now);
  if (!vehicle) return std::move(vehicle).error();
  return std::make_pair(stored->id, vehicle->id);
}

}  // namespace

Result<BulkSeedReport> seed_bulk(Store& store, std::size_t appointments, int days, TimePoint start,
                                 unsigned seed,
                                 const std::function<void(std::size_t, std::size_t)>& progress) {
  if (days <= 0) return Error::invalid("days", "days must be at least 1");
  std::mt19937_64 rng(seed);
  BulkSeedReport report;
  const std::size_t customer_count = std::max<std::size_t>(1, appointments / kAppointmentsPerBulkCustomer);
  std::vector<std::pair<CustomerId, VehicleId>> owners;
  owners.reserve(customer_count);
  for (std::size_t i = 0; i < customer_count; ++i) {
    const std::string digits = std::to_string(10'000'000 + (seed * 7919 + i) % 90'000'000);
    auto owner = add_numbered_owner(store, i, "+1555" + digits.substr(1), start);
    if (!owner) return std::move(owner).error();
    owners.push_back(*owner);
  }
  report.customers = customer_count;

  const auto span_seconds = static_cast<std::int64_t>(days) * 24 * 3600;
  std::uniform_int_distribution<std::int64_t> offset(0, span_seconds / 900 - 1);  // quarter hours
  std::uniform_int_distribution<std::size_t> owner(0, owners.size() - 1);
  std::uniform_int_distribution<int> status(0, 9);
  const auto began = std::chrono::steady_clock::now();
  std::vector<Appointment> batch;
  batch.reserve(std::min(appointments, kBulkBatch));
  std::size_t done = 0;
  while (done < appointments) {
    batch.clear();
    const std::size_t n = std::min(kBulkBatch, appointments - done);
    for (std::size_t i = 0; i < n; ++i) {
      Appointment a;
      const auto& [customer_id, vehicle_id] = owners[owner(rng)];
      a.customer_id = customer_id;
      a.vehicle_id = vehicle_id;
      a.start = start + std::chrono::seconds{offset(rng) * 900};
      a.duration_minutes = 60;
      a.service_type = kServices[i % kServices.size()].name;
      const int s = status(rng);
      a.status = s < 2 ? AppointmentStatus::kConfirmed
                       : (s < 8 ? AppointmentStatus::kScheduled : AppointmentStatus::kCompleted);
      batch.push_back(std::move(a));
    }
    auto added = store.add_appointments(batch, start);
    if (!added) return std::move(added).error();
    done += *added;
    if (progress) progress(done, appointments);
  }
  report.appointments = done;
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count();
  report.appointments_per_second = seconds > 0 ? static_cast<double>(done) / seconds : 0;
  return report;
}

Result<BulkSeedReport> seed_reminder_load(Store& store, std::size_t count, date::year_month_day day,
                                          const TimeZone* zone, TimePoint now,
                                          const std::function<void(std::size_t, std::size_t)>& progress) {
  constexpr std::size_t kMaxCount = 1'000'000;
  constexpr std::size_t kProgressEvery = 500;
  constexpr int kSlots = 36;  // quarter hours from 09:00 to 17:45
  if (count == 0 || count > kMaxCount) return Error::invalid("count", "count must be from 1 to 1000000");
  const auto began = std::chrono::steady_clock::now();
  const date::local_days local{day};
  std::vector<Appointment> rows;
  rows.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    auto owner = add_numbered_owner(store, i, "+1212" + std::to_string(2'000'000 + i), now);
    if (!owner) return std::move(owner).error();
    Appointment a;
    a.customer_id = owner->first;
    a.vehicle_id = owner->second;
    const auto slot = std::chrono::minutes{9 * 60 + 15 * static_cast<int>(i % kSlots)};
    a.start = resolve_local(date::local_seconds{local} + slot, zone);
    a.service_type = kServices[i % kServices.size()].name;
    a.status = AppointmentStatus::kConfirmed;
    rows.push_back(std::move(a));
    if (progress && (i + 1) % kProgressEvery == 0 && i + 1 < count) progress(i + 1, count);
  }
  auto added = store.add_appointments(rows, now);
  if (!added) return std::move(added).error();
  if (progress) progress(count, count);
  BulkSeedReport report;
  report.customers = count;
  report.appointments = *added;
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count();
  report.appointments_per_second = seconds > 0 ? static_cast<double>(*added) / seconds : 0;
  return report;
}

}  // namespace autovoice
