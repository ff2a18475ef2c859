// StoreWrapper: a Store that forwards every call to another. Tests subclass
// it and override the calls they want to fail or observe (as LevelDB's
// EnvWrapper does for the file system). Thread safety: that of the target.
#pragma once

#include "store/store.h"

namespace autovoice {

class StoreWrapper : public Store {
 public:
  // REQUIRES: target outlives the wrapper.
  explicit StoreWrapper(Store& target) : target_(target) {}
  Store& target() { return target_; }

  Result<MigrationReport> migrate() override { return target_.migrate(); }
  Result<int> schema_version() override { return target_.schema_version(); }
  Result<Customer> add_customer(const Customer& c, TimePoint now) override {
    return target_.add_customer(c, now);
  }
  Result<Customer> customer(CustomerId id) override { return target_.customer(id); }
  Result<std::optional<Customer>> customer_by_phone(const PhoneNumber& phone) override {
    return target_.customer_by_phone(phone);
  }
  Result<std::vector<Customer>> list_customers(Page page) override {
    return target_.list_customers(page);
  }
  Result<Customer> set_customer_opt_out(CustomerId id, bool opted_out, TimePoint at) override {
    return target_.set_customer_opt_out(id, opted_out, at);
  }
  Result<Customer> update_customer(const Customer& c) override { return target_.update_customer(c); }
  Status delete_customer(CustomerId id) override { return target_.delete_customer(id); }
  Result<Vehicle> add_vehicle(const Vehicle& v, TimePoint now) override {
    return target_.add_vehicle(v, now);
  }
  Result<Vehicle> vehicle(VehicleId id) override { return target_.vehicle(id); }
  Result<std::vector<Vehicle>> list_vehicles(std::optional<CustomerId> customer_id,
                                             Page page) override {
    return target_.list_vehicles(customer_id, page);
  }
  Result<Vehicle> update_vehicle(const Vehicle& v) override { return target_.update_vehicle(v); }
  Status delete_vehicle(VehicleId id) override { return target_.delete_vehicle(id); }
  Result<Appointment> add_appointment(const Appointment& a, TimePoint now) override {
    return target_.add_appointment(a, now);
  }
  Result<std::size_t> add_appointments(std::span<const Appointment> rows, TimePoint now) override {
    return target_.add_appointments(rows, now);
  }
  Result<Appointment> appointment(AppointmentId id) override { return target_.appointment(id); }
  Result<std::vector<Appointment>> list_appointments(const AppointmentQuery& q) override {
    return target_.list_appointments(q);
  }
  Result<std::vector<Appointment>> appointments_starting(AppointmentStatus status, TimePoint from,
                                                         TimePoint to) override {
    return target_.appointments_starting(status, from, to);
  }
  Result<Appointment> set_appointment_status(AppointmentId id, AppointmentStatus status,
                                             TimePoint now) override {
    return target_.set_appointment_status(id, status, now);
  }
  Result<Appointment> update_appointment(const Appointment& a, TimePoint now) override {
    return target_.update_appointment(a, now);
  }
  Status delete_appointment(AppointmentId id) override { return target_.delete_appointment(id); }
  Result<CallLog> add_call_log(const CallLog& c, TimePoint now) override {
    return target_.add_call_log(c, now);
  }
  Result<CallLog> call_log_by_sid(std::string_view call_sid) override {
    return target_.call_log_by_sid(call_sid);
  }
  Result<std::vector<CallLog>> list_call_logs(const CallLogQuery& q) override {
    return target_.list_call_logs(q);
  }
  Result<CallStatusApplied> apply_call_status(const CallStatusUpdate& u, TimePoint now) override {
    return target_.apply_call_status(u, now);
  }
  Result<CallLogCounts> call_log_counts() override { return target_.call_log_counts(); }
  Result<std::vector<PlannedReminder>> plan_reminders(std::span<const ReminderPlan> plans,
                                                      TimePoint now) override {
    return target_.plan_reminders(plans, now);
  }
  Result<std::vector<Reminder>> drop_stale_reminders(TimePoint now) override {
    return target_.drop_stale_reminders(now);
  }
  Result<std::vector<ReminderClaim>> claim_due_reminders(std::string_view worker, TimePoint now,
                                                         std::chrono::seconds lease, int limit) override {
    return target_.claim_due_reminders(worker, now, lease, limit);
  }
  Result<std::vector<ReminderClaim>> take_over_stale_claims(std::string_view worker, TimePoint now,
                                                            std::chrono::seconds lease,
                                                            std::optional<TimePoint> claimed_before) override {
    return target_.take_over_stale_claims(worker, now, lease, claimed_before);
  }
  Result<Reminder> record_reminder_attempt(const ReminderAttempt& attempt, TimePoint now) override {
    return target_.record_reminder_attempt(attempt, now);
  }
  Result<Reminder> transition_reminder(const ReminderTransition& t, TimePoint now) override {
    return target_.transition_reminder(t, now);
  }
  Result<std::vector<AwaitedCall>> calls_to_follow_up(TimePoint waiting_since, int limit) override {
    return target_.calls_to_follow_up(waiting_since, limit);
  }
  Result<Reminder> reminder(ReminderId id) override { return target_.reminder(id); }
  Result<std::vector<Reminder>> list_reminders(const ReminderQuery& q) override {
    return target_.list_reminders(q);
  }
  Result<std::optional<TimePoint>> last_finished_fire(std::string_view job) override {
    return target_.last_finished_fire(job);
  }
  Result<FireClaim> claim_fire(std::string_view job, TimePoint fire_time, std::string_view worker,
                               TimePoint now, std::chrono::seconds lease) override {
    return target_.claim_fire(job, fire_time, worker, now, lease);
  }
  Status renew_fire(std::string_view job, TimePoint fire_time, std::string_view worker,
                    TimePoint now, std::chrono::seconds lease) override {
    return target_.renew_fire(job, fire_time, worker, now, lease);
  }
  Status finish_fire(std::string_view job, TimePoint fire_time, std::string_view worker,
                     FireOutcome outcome, std::string_view detail, TimePoint now) override {
    return target_.finish_fire(job, fire_time, worker, outcome, detail, now);
  }
  Result<std::unique_ptr<WorkerLock>> lock_worker(std::string_view worker) override {
    return target_.lock_worker(worker);
  }

 private:
  Store& target_;
};

}  // namespace autovoice
