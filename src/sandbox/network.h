// The sandbox's phone network: what happens to a call after Calls.json
// created it, and to a message after Messages.json did.
//
// For a call: it waits its turn in the calls-per-second queue, then follows
// the scripted callee's timeline (lifecycle.h), POSTing signed status
// callbacks. When the callee answers, it fetches TwiML from the call's Url
// (a signed webhook) and carries it out: <Say>, <Play> and <Pause> take their
// time; <Gather> collects the callee's key presses or speech and posts them to
// its action; <Connect><Stream> opens the media stream (media_session.h) and
// streams the callee's audio, key presses and speech into it; <Redirect> is
// followed; <Hangup> and the end of the document end the call. The callee may
// hang up first; then a running stream gets `stop` and the rest of the
// application is abandoned. A failed webhook ends the call as Twilio does
// (after "an application error has occurred"), and is recorded.
//
// Time: `speed` runs the whole network that many times faster (rings,
// answers, prompts, pauses, the media stream's 20 ms frames). Times reported
// to applications (Timestamp, CallDuration, start and end times) are in the
// network's own time: the call's creation plus the simulated offset.
//
// The record: every call created, every status change, every webhook sent
// (URL, method, parameters, signature, answer status and body, time taken),
// every media-stream message in either direction (consecutive media frames
// coalesced into one entry with a count), every key press and utterance of
// the callee. Served as JSON by record_json() (GET /sandbox/calls) and, when
// a sink is given, written as JSON lines as it happens.
//
// Threading: a Network lives on one executor whose io_context is run by ONE
// thread; every member function must be called on that thread. Speech
// synthesis runs on a private thread and posts its result back.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include "sandbox/callee.h"
#include "sandbox/faults.h"
#include "sandbox/rest.h"

namespace autovoice::conversation {
class Tts;
}

namespace autovoice::sandbox {

struct NetworkOptions {
  Account account;
  Callees callees;
  double speed = 1.0;           // >= 1
  uint64_t seed = 1;            // SIDs and fault dice
  Faults faults;
  std::ostream* record_sink = nullptr;  // JSON lines; not owned; null = none
  // The callee's voice; null = speech is silent audio. Called on a private
  // thread for every phrase said: give a caching Tts to synthesise each once.
  conversation::Tts* tts = nullptr;
};

// Counters for GET /sandbox/stats and the benchmarks.
struct NetworkStats {
  uint64_t calls_created = 0;
  uint64_t calls_rejected = 0;  // create requests refused for their number (callee "invalid")
  uint64_t calls_active = 0;
  uint64_t calls_queued = 0;  // waiting for their calls-per-second turn
  uint64_t messages_created = 0;
  uint64_t webhooks_sent = 0;
  uint64_t webhooks_failed = 0;  // no answer, timeout, or a status other than 2xx
  uint64_t media_frames_sent = 0;
  uint64_t media_messages_received = 0;
  std::chrono::microseconds max_frame_lateness{0};  // of frames sent, vs their schedule
};

class Network {
 public:
  Network(boost::asio::any_io_executor executor, NetworkOptions options);
  ~Network();
  Network(const Network&) = delete;
  Network& operator=(const Network&) = delete;

  const Account& account() const { return options_.account; }
  Faults& faults() { return options_.faults; }
  FaultDice& dice() { return dice_; }
  double speed() const { return options_.speed; }

  // The refusal of a create request whose To is a callee "invalid" (Twilio's
  // 21211 for a number not in service), counted in calls_rejected and
  // recorded; nullopt for any other number. Call it before create_call.
  std::optional<ApiError> refuse_call(const CallCreate& request);
  // Creates the call (status queued) and starts its life. Returns its record.
  const CallRecord& create_call(CallCreate request);
  const MessageRecord& create_message(MessageCreate request);

  // nullptr when no call has that SID.
  const CallRecord* find_call(std::string_view sid) const;
  // Every call, in creation order.
  std::vector<CallRecord> call_records() const;

  // GET /sandbox/calls: the record of every call (or those to `to`), in
  // creation order: {"sid", "to", "from", "status", "answered_by", "duration",
  // "request": {...}, "events": [...]}.
  boost::json::array record_json(std::string_view to = {}) const;
  // GET /sandbox/calls/{sid}; nullopt when unknown.
  std::optional<boost::json::object> call_record_json(std::string_view sid) const;
  // GET /sandbox/messages.
  boost::json::array messages_json() const;

  NetworkStats stats() const;
  boost::json::object stats_json() const;

  // Ends every call now (streams get `stop`; final callbacks are still sent)
  // and stops starting new ones.
  void shutdown();
  // Calls whose final status callback has not been answered yet.
  bool idle() const;

  // Records an API request (for the record's "api" list and the JSON lines).
  void record_api(std::string_view method, std::string_view target, int status,
                  std::string_view fault);

  struct Call;      // one call's state (network.cpp)
  struct Message;   // one message's state

 private:
  std::string next_sid(std::string_view prefix);
  void write_line(const boost::json::object& entry);
  // How long `network_time` lasts on the wall clock at this speed.
  std::chrono::steady_clock::duration real_duration(std::chrono::milliseconds network_time) const;
  void synthesize(const std::string& text,
                  std::function<void(std::shared_ptr<const std::vector<uint8_t>>)> done);

  boost::asio::any_io_executor executor_;
  NetworkOptions options_;
  FaultDice dice_;
  DialQueue dial_queue_;
  uint64_t sid_counter_ = 0;
  uint64_t sid_salt_ = 0;
  bool shutting_down_ = false;
  std::vector<std::shared_ptr<Call>> calls_;
  std::map<std::string, std::size_t, std::less<>> call_index_;
  std::vector<std::shared_ptr<Message>> messages_;
  NetworkStats stats_;
  struct Synth;  // the speech-synthesis thread
  std::unique_ptr<Synth> synth_;
};

}  // namespace autovoice::sandbox
