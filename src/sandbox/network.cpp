#include "sandbox/network.h"

#include <algorithm>
#include <cmath>
#include <optional>
#include <random>
#include <sstream>
#include <variant>

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/json/serialize.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/url.hpp>

#include "conversation/tts.h"
#include "sandbox/http_client.h"
#include "sandbox/lifecycle.h"
#include "sandbox/media_session.h"
#include "telephony/form.h"
#include "telephony/signature.h"
#include "telephony/twiml_reader.h"

namespace autovoice::sandbox {

namespace asio = boost::asio;
namespace json = boost::json;
using std::chrono::milliseconds;
using steady = std::chrono::steady_clock;
using telephony::FormParam;
using telephony::FormParams;

namespace {

// How long the network's spoken parts take, in network time.
constexpr milliseconds kSayPerWord{400};  // about 150 words a minute
constexpr milliseconds kMinSay{800};
constexpr milliseconds kPlayPerLoop{2000};  // audio files are not fetched
constexpr milliseconds kApplicationErrorMessage{3000};  // "An application error has occurred"
constexpr milliseconds kKeyGap{200};   // between the digits of one "digits" entry
constexpr milliseconds kKeyWait{500};  // the 'w' digit
constexpr int kDefaultGatherTimeoutS = 5;
constexpr int kMaxLoops = 100;  // loop="0" (forever) is capped
constexpr std::size_t kRecordedBodyLimit = 2000;
constexpr milliseconds kVoicemailMaxLength{120'000};  // a machine stops recording
constexpr milliseconds kMessageSentAfter{200};
constexpr milliseconds kMessageDeliveredAfter{1000};

TimePoint wall_now() {
  return std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
}

milliseconds say_duration(std::string_view text) {
  int words = 0;
  bool in_word = false;
  for (char c : text) {
    const bool space = c == ' ' || c == '\t' || c == '\n' || c == '\r';
    if (!space && !in_word) ++words;
    in_word = !space;
  }
  return std::max(kMinSay, kSayPerWord * words);
}

int loops(std::optional<int> loop) {
  if (!loop) return 1;
  if (*loop == 0) return kMaxLoops;
  return std::min(*loop, kMaxLoops);
}

std::string truncated(std::string_view text) {
  if (text.size() <= kRecordedBodyLimit) return std::string(text);
  return std::string(text.substr(0, kRecordedBodyLimit)) + "...";
}

json::object params_json(const FormParams& params) {
  json::object out;
  for (const auto& p : params) out[p.name] = p.value;
  return out;
}

// `ref` resolved against the document it appeared in, as a browser would.
std::string resolve_url(std::string_view base, std::string_view ref) {
  if (ref.empty()) return std::string(base);
  auto base_url = boost::urls::parse_absolute_uri(base);
  auto ref_url = boost::urls::parse_uri_reference(ref);
  if (!base_url || !ref_url) return std::string(ref);
  boost::urls::url out;
  if (auto r = boost::urls::resolve(*base_url, *ref_url, out); !r) return std::string(ref);
  return std::string(out.buffer());
}

std::string upper_method(std::string_view method, std::string_view fallback) {
  std::string out(method.empty() ? fallback : method);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

// ---------------------------------------------------------------------------
// Speech synthesis, off the event loop.

struct Network::Synth {
  explicit Synth(conversation::Tts* engine) : tts(engine) {}
  conversation::Tts* tts;
  asio::thread_pool pool{1};
};

void Network::synthesize(const std::string& text,
                         std::function<void(std::shared_ptr<const std::vector<uint8_t>>)> done) {
  if (!synth_->tts) {
    done(nullptr);
    return;
  }
  // Caching a phrase is the Tts's business (the CLI hands in a CachingTts).
  asio::post(synth_->pool, [text, done = std::move(done), ex = executor_,
                            tts = synth_->tts]() mutable {
    auto audio = tts->synthesize(text);
    std::shared_ptr<const std::vector<uint8_t>> bytes;
    if (audio) bytes = std::make_shared<const std::vector<uint8_t>>(std::move(audio->mulaw));
    asio::post(ex, [bytes, done = std::move(done)] { done(bytes); });
  });
}

steady::duration Network::real_duration(milliseconds network_time) const {
  return std::chrono::duration_cast<steady::duration>(std::chrono::duration<double, std::milli>(
      static_cast<double>(network_time.count()) / options_.speed));
}

// ---------------------------------------------------------------------------
// One call.

struct Network::Call : std::enable_shared_from_this<Network::Call> {
  enum class Input { kNone, kGather, kStream };

  struct PendingCallback {
    StatusEvent event;
    int sequence = 0;
  };

  struct Gather {
    telephony::GatherVerb verb;
    std::size_t child = 0;
    bool children_done = false;
    std::string digits;
    std::string finished_on_key;
    std::optional<Utterance> speech;
  };

  Call(Network& network, CallRecord rec, CalleeBehaviour behaviour)
      : net(&network),
        record(std::move(rec)),
        callee(std::move(behaviour)),
        created(steady::now()),
        lifecycle_timer(network.executor_),
        verb_timer(network.executor_) {}

  Network* net;  // null once the network is gone
  CallRecord record;
  CalleeBehaviour callee;
  steady::time_point created;
  CallPlan plan;
  std::size_t next_event = 0;
  bool answered = false;
  bool ended = false;
  asio::steady_timer lifecycle_timer;
  asio::steady_timer verb_timer;
  std::vector<std::unique_ptr<asio::steady_timer>> input_timers;

  // Status callbacks: one in flight, in order.
  std::deque<PendingCallback> callbacks;
  std::optional<PendingCallback> held_back;
  bool callback_in_flight = false;
  int sequence = 0;

  // The TwiML application.
  std::string document_url;
  std::vector<telephony::Verb> verbs;
  std::size_t pc = 0;
  Input input = Input::kNone;
  std::optional<Gather> gather;
  std::shared_ptr<MediaSession> stream;
  std::string connect_action;
  std::string connect_method;
  std::vector<std::shared_ptr<const std::vector<uint8_t>>> speech_audio;  // per utterance
  std::vector<bool> speech_due;  // said before its audio was ready

  // The record.
  json::array events;
  uint64_t frames_sent = 0;
  uint64_t media_received = 0;
  uint64_t marks_answered = 0;

  // --- time -----------------------------------------------------------------
  milliseconds now_offset() const {
    const auto real = steady::now() - created;
    return std::chrono::duration_cast<milliseconds>(real * net->options_.speed);
  }
  steady::time_point real_at(milliseconds offset) const { return created + net->real_duration(offset); }

  // --- record ---------------------------------------------------------------
  void note(json::object entry) {
    entry.emplace("t_ms", now_offset().count());
    if (net->options_.record_sink) {
      json::object line = entry;
      line.emplace("call_sid", record.sid);
      net->write_line(line);
    }
    events.emplace_back(std::move(entry));
  }

  // Consecutive media frames in one direction become one entry.
  void note_media(std::string_view direction, uint64_t frames) {
    if (!events.empty()) {
      auto& last = events.back().as_object();
      auto* event = last.if_contains("event");
      auto* dir = last.if_contains("direction");
      if (event && dir && event->as_string() == "media" && dir->as_string() == direction) {
        last["frames"] = last["frames"].as_int64() + static_cast<int64_t>(frames);
        return;
      }
    }
    note({{"event", "media"}, {"direction", direction}, {"frames", static_cast<int64_t>(frames)}});
  }

  // --- lifecycle ------------------------------------------------------------
  void start(steady::time_point dial_at) {
    plan = plan_call(record.request, callee);
    const auto queued = std::chrono::duration_cast<milliseconds>((dial_at - created) *
                                                                 net->options_.speed);
    const milliseconds shift = std::max(milliseconds{0}, queued);
    for (auto& e : plan.events) e.offset += shift;
    if (plan.answered_at) *plan.answered_at += shift;
    if (shift > milliseconds{0}) note({{"event", "queued"}, {"for_ms", shift.count()}});
    schedule_next_event();
  }

  void schedule_next_event() {
    if (ended || next_event >= plan.events.size()) return;
    lifecycle_timer.expires_at(real_at(plan.events[next_event].offset));
    lifecycle_timer.async_wait([self = shared_from_this()](boost::system::error_code ec) {
      if (ec || !self->net || self->ended) return;
      self->on_event(self->plan.events[self->next_event++]);
      self->schedule_next_event();
    });
  }

  void on_event(const StatusEvent& event) {
    if (is_final_status(event.status)) {
      if (event.status == "completed") note({{"event", "callee_hangup"}});
      end(event);
      return;
    }
    apply_event(record, event);
    note({{"event", "status"}, {"status", event.status}});
    queue_callback(event);
    if (event.status == "in-progress") on_answer();
  }

  // The call ends with `final_event` (a final status).
  void end(const StatusEvent& final_event) {
    if (ended) return;
    ended = true;
    lifecycle_timer.cancel();
    verb_timer.cancel();
    for (auto& t : input_timers) t->cancel();
    if (stream) stream->hangup();
    apply_event(record, final_event);
    note({{"event", "status"}, {"status", final_event.status}});
    queue_callback(final_event);
    if (net->stats_.calls_active > 0) --net->stats_.calls_active;
  }

  // The application ended the call (hang-up, end of document, error).
  void application_ended(std::string_view why) {
    if (ended) return;
    note({{"event", "hangup"}, {"by", "application"}, {"reason", why}});
    end(completion_event(plan, std::max(now_offset(), *plan.answered_at)));
  }

  // --- status callbacks ------------------------------------------------------
  // Status callbacks go out one at a time, in order, unless the reorder fault
  // holds one back until the call's next callback (or its end).
  void queue_callback(const StatusEvent& event) {
    const bool final = is_final_status(event.status);
    if (is_posted(record.request, event)) {
      PendingCallback cb{event, sequence++};
      FaultDice& dice = net->dice_;
      const Faults& faults = net->options_.faults;
      if (!final && !held_back && dice.chance(faults.reorder_rate)) {
        held_back = cb;
        return;
      }
      callbacks.push_back(cb);
      if (dice.chance(faults.duplicate_rate)) callbacks.push_back(cb);
    }
    if (held_back) {
      callbacks.push_back(*held_back);
      held_back.reset();
    }
    pump_callbacks();
  }

  void pump_callbacks() {
    if (callback_in_flight || callbacks.empty() || !net) return;
    PendingCallback cb = callbacks.front();
    callbacks.pop_front();
    callback_in_flight = true;
    const FormParams params = status_callback_params(record, cb.event, cb.sequence,
                                                     net->options_.account);
    send_webhook("status_callback", record.request.status_callback,
                 record.request.status_callback_method, params,
                 [self = shared_from_this()](const Result<HttpReply>&) {
                   self->callback_in_flight = false;
                   self->pump_callbacks();
                 });
  }

  // --- webhooks --------------------------------------------------------------
  // Sends a signed webhook and records it; `done` runs with the reply.
  void send_webhook(std::string_view kind, const std::string& url, std::string_view method_in,
                    const FormParams& params,
                    std::function<void(const Result<HttpReply>&)> done) {
    const std::string method = upper_method(method_in, "POST");
    HttpRequest request;
    request.method = method;
    request.timeout = net->options_.faults.webhook_timeout;
    std::string signed_url = url;
    std::string signature;
    const std::string& token = net->options_.account.auth_token;
    if (method == "GET") {
      const std::string query = telephony::encode_form(params);
      if (!query.empty()) {
        signed_url += (url.find('?') == std::string::npos ? "?" : "&");
        signed_url += query;
      }
      signature = telephony::compute_signature(token, signed_url, {});
    } else {
      request.body = telephony::encode_form(params);
      request.content_type = "application/x-www-form-urlencoded";
      signature = telephony::compute_signature(token, url, params);
    }
    request.url = signed_url;
    request.headers.emplace_back(std::string(telephony::kSignatureHeader), signature);
    request.headers.emplace_back("I-Twilio-Idempotency-Token", net->next_sid("").substr(0, 36));
    ++net->stats_.webhooks_sent;
    const milliseconds sent_at = now_offset();
    std::string kind_text(kind);
    async_fetch(net->executor_, std::move(request),
                [self = shared_from_this(), kind_text, url = signed_url, method, params, signature,
                 sent_at, done = std::move(done)](Result<HttpReply> reply) {
                  if (!self->net) return;
                  json::object entry{{"event", "webhook"},
                                     {"kind", kind_text},
                                     {"url", url},
                                     {"method", method},
                                     {"params", params_json(params)},
                                     {"signature", signature},
                                     {"sent_ms", sent_at.count()}};
                  if (reply) {
                    entry["status"] = reply->status;
                    entry["elapsed_ms"] = static_cast<double>(reply->elapsed.count()) / 1000.0;
                    entry["body"] = truncated(reply->body);
                    if (reply->status < 200 || reply->status > 299) ++self->net->stats_.webhooks_failed;
                  } else {
                    entry["status"] = nullptr;
                    entry["error"] = reply.error().message;
                    ++self->net->stats_.webhooks_failed;
                  }
                  self->note(std::move(entry));
                  done(reply);
                });
  }

  // Fetches TwiML and runs it; failures end the call as Twilio does.
  void fetch_twiml(std::string_view kind, const std::string& url, std::string_view method,
                   const FormParams& extra) {
    const FormParams params = voice_request_params(record, net->options_.account, extra);
    send_webhook(kind, url, method, params,
                 [self = shared_from_this(), url](const Result<HttpReply>& reply) {
                   if (self->ended) return;
                   if (!reply) {
                     self->application_error(11205, "HTTP connection failure: " +
                                                        reply.error().message);
                     return;
                   }
                   if (reply->status < 200 || reply->status > 299) {
                     self->application_error(11200, "HTTP retrieval failure: status " +
                                                        std::to_string(reply->status));
                     return;
                   }
                   auto document = telephony::parse_twiml(reply->body);
                   if (!document) {
                     self->application_error(12100, "Document parse failure: " +
                                                        document.error().message);
                     return;
                   }
                   self->document_url = url;
                   self->verbs = std::move(document->verbs);
                   self->pc = 0;
                   self->run_next_verb();
                 });
  }

  void application_error(int code, const std::string& message) {
    note({{"event", "error"}, {"code", code}, {"message", message}});
    input = Input::kNone;
    wait(kApplicationErrorMessage, [](Call& self) { self.application_ended("application error"); });
  }

  // --- the TwiML interpreter ---------------------------------------------------
  void on_answer() {
    answered = true;
    const milliseconds answer_at = *plan.answered_at;
    if (callee.answer == Answer::kVoicemail && !callee.hangup_after) {
      // A machine records for a while, then hangs up by itself.
      plan.events.push_back(completion_event(plan, answer_at + kVoicemailMaxLength));
      schedule_next_event();
    }
    schedule_callee_input(answer_at);
    fetch_twiml("voice_url", record.request.url, record.request.method, {});
  }

  void schedule_callee_input(milliseconds answer_at) {
    if (callee.silent) return;
    for (const KeyPress& press : callee.keys) {
      milliseconds at = answer_at + press.at;
      for (char digit : press.digits) {
        if (digit == 'w') {
          at += kKeyWait;
          continue;
        }
        at_offset(at, [digit](Call& self) { self.on_key(std::string(1, digit)); });
        at += kKeyGap;
      }
    }
    speech_audio.resize(callee.says.size());
    speech_due.assign(callee.says.size(), false);
    for (std::size_t i = 0; i < callee.says.size(); ++i) {
      net->synthesize(callee.says[i].text,
                      [self = shared_from_this(), i](std::shared_ptr<const std::vector<uint8_t>> a) {
                        self->speech_audio[i] = std::move(a);
                        if (self->speech_due[i]) self->play_speech(i);
                      });
      at_offset(answer_at + callee.says[i].at, [i](Call& self) { self.on_utterance(i); });
    }
  }

  // Runs `fn` at network offset `at` (unless the call has ended).
  void at_offset(milliseconds at, std::function<void(Call&)> fn) {
    auto timer = std::make_unique<asio::steady_timer>(net->executor_, real_at(at));
    timer->async_wait([self = shared_from_this(), fn = std::move(fn)](boost::system::error_code ec) {
      if (ec || !self->net || self->ended) return;
      fn(*self);
    });
    input_timers.push_back(std::move(timer));
  }

  // Runs `fn` after `d` of network time on the verb timer.
  void wait(milliseconds d, std::function<void(Call&)> fn) {
    verb_timer.expires_after(net->real_duration(d));
    verb_timer.async_wait([self = shared_from_this(), fn = std::move(fn)](boost::system::error_code ec) {
      if (ec || !self->net || self->ended) return;
      fn(*self);
    });
  }

  void run_next_verb() {
    if (ended) return;
    input = Input::kNone;
    if (pc >= verbs.size()) {
      application_ended("end of document");
      return;
    }
    const telephony::Verb verb = verbs[pc++];
    std::visit([this](const auto& v) { run(v); }, verb);
  }

  void run(const telephony::SayVerb& say) {
    note({{"event", "say"}, {"text", say.text}});
    wait(say_duration(say.text) * loops(say.options.loop), [](Call& self) { self.run_next_verb(); });
  }
  void run(const telephony::PlayVerb& play) {
    note({{"event", "play"}, {"url", play.url}});
    wait(kPlayPerLoop * loops(play.options.loop), [](Call& self) { self.run_next_verb(); });
  }
  void run(const telephony::PauseVerb& pause) {
    const int seconds = pause.length_seconds.value_or(telephony::kTwimlDefaultPauseSeconds);
    note({{"event", "pause"}, {"seconds", seconds}});
    wait(milliseconds{seconds * 1000}, [](Call& self) { self.run_next_verb(); });
  }
  void run(const telephony::HangupVerb&) { application_ended("hangup"); }
  void run(const telephony::RejectVerb&) { application_ended("reject"); }
  void run(const telephony::RedirectVerb& redirect) {
    note({{"event", "redirect"}, {"url", redirect.url}});
    fetch_twiml("redirect", resolve_url(document_url, redirect.url),
                upper_method(redirect.method, "POST"), {});
  }

  // <Gather>: nested verbs play while input is collected; input ends them.
  void run(const telephony::GatherVerb& verb) {
    note({{"event", "gather"}, {"input", verb.options.input.empty() ? "dtmf" : verb.options.input}});
    gather = Gather{verb};
    input = Input::kGather;
    play_gather_child();
  }

  bool gather_accepts(std::string_view kind) const {
    const std::string& in = gather->verb.options.input;
    if (in.empty()) return kind == "dtmf";
    return in.find(kind) != std::string::npos;
  }

  void play_gather_child() {
    if (gather->child >= gather->verb.children.size()) {
      gather->children_done = true;
      restart_gather_timeout();
      return;
    }
    const auto& child = gather->verb.children[gather->child++];
    milliseconds d{0};
    if (const auto* say = std::get_if<telephony::SayVerb>(&child)) {
      note({{"event", "say"}, {"text", say->text}});
      d = say_duration(say->text) * loops(say->options.loop);
    } else if (const auto* play = std::get_if<telephony::PlayVerb>(&child)) {
      note({{"event", "play"}, {"url", play->url}});
      d = kPlayPerLoop * loops(play->options.loop);
    } else if (const auto* pause = std::get_if<telephony::PauseVerb>(&child)) {
      const int seconds = pause->length_seconds.value_or(telephony::kTwimlDefaultPauseSeconds);
      note({{"event", "pause"}, {"seconds", seconds}});
      d = milliseconds{seconds * 1000};
    }
    wait(d, [](Call& self) { self.play_gather_child(); });
  }

  void restart_gather_timeout() {
    const int seconds = gather->verb.options.timeout.value_or(kDefaultGatherTimeoutS);
    wait(milliseconds{seconds * 1000}, [](Call& self) { self.finish_gather(); });
  }

  void gather_key(const std::string& digit) {
    const std::string finish_key = gather->verb.options.finish_on_key.value_or(std::string("#"));
    if (!finish_key.empty() && digit == finish_key) {
      gather->finished_on_key = digit;
      finish_gather();
      return;
    }
    gather->digits += digit;
    if (gather->verb.options.num_digits &&
        static_cast<int>(gather->digits.size()) >= *gather->verb.options.num_digits) {
      finish_gather();
      return;
    }
    // Barge-in: a key stops the prompt; the timeout runs from the last key.
    gather->children_done = true;
    restart_gather_timeout();
  }

  void finish_gather() {
    verb_timer.cancel();
    Gather g = std::move(*gather);
    gather.reset();
    input = Input::kNone;
    FormParams extra;
    if (g.speech) {
      std::ostringstream confidence;
      confidence << g.speech->confidence;
      extra = {{"Confidence", confidence.str()}, {"SpeechResult", g.speech->text}};
    } else if (!g.digits.empty()) {
      extra = {{"Digits", g.digits}};
      if (!g.finished_on_key.empty()) extra.push_back({"FinishedOnKey", g.finished_on_key});
    } else {
      note({{"event", "gather_timeout"}});
      if (!g.verb.options.action_on_empty_result.value_or(false)) {
        run_next_verb();  // no input: Twilio goes on with the next verb
        return;
      }
    }
    const std::string action = resolve_url(document_url, g.verb.options.action);
    fetch_twiml("gather_action", action, upper_method(g.verb.options.method, "POST"), extra);
  }

  // <Connect><Stream>: the media stream runs until the application closes it.
  void run(const telephony::ConnectVerb& connect) {
    MediaSessionConfig config;
    config.url = connect.stream.url;
    config.signature = telephony::compute_signature(net->options_.account.auth_token,
                                                    connect.stream.url, {});
    config.account_sid = net->options_.account.sid;
    config.call_sid = record.sid;
    config.stream_sid = net->next_sid("MZ");
    config.custom_parameters = connect.stream.parameters;
    config.speed = net->options_.speed;
    connect_action = connect.options.action;
    connect_method = connect.options.method;
    json::object params;
    for (const auto& [name, value] : connect.stream.parameters) params[name] = value;
    note({{"event", "stream"}, {"url", connect.stream.url}, {"stream_sid", config.stream_sid},
          {"parameters", std::move(params)}});
    input = Input::kStream;
    std::weak_ptr<Call> weak = weak_from_this();
    auto session = MediaSession::start(net->executor_, std::move(config),
                                       [weak](const MediaEvent& event) {
                                         if (auto self = weak.lock(); self && self->net) {
                                           self->on_stream_event(event);
                                         }
                                       });
    if (!session) {
      // Twilio logs a stream error and goes on with the document.
      note({{"event", "error"}, {"code", 31920}, {"message", session.error().message}});
      input = Input::kNone;
      run_next_verb();
      return;
    }
    stream = std::move(*session);
    // Speech said before the stream opened is lost, as on a real line.
  }

  void on_stream_event(const MediaEvent& event) {
    switch (event.kind) {
      case MediaEventKind::kOpened:
        note({{"event", "stream_open"}});
        return;
      case MediaEventKind::kSent:
        if (event.name == "media") {
          frames_sent += event.count;
          net->stats_.media_frames_sent += event.count;
          note_media("to_app", event.count);
          return;
        }
        note({{"event", event.name}, {"direction", "to_app"}, {"detail", event.details}});
        return;
      case MediaEventKind::kReceived:
        if (event.name == "media") {
          ++media_received;
          ++net->stats_.media_messages_received;
          note_media("from_app", 1);
          return;
        }
        note({{"event", event.name}, {"direction", "from_app"}, {"detail", event.details}});
        return;
      case MediaEventKind::kIgnored:
        note({{"event", "ignored"}, {"direction", "from_app"}, {"detail", event.details}});
        return;
      case MediaEventKind::kAudioPlayed:
        note({{"event", "audio_played"}, {"ms", static_cast<int64_t>(event.count / 8)}});
        return;
      case MediaEventKind::kAudioCleared:
        note({{"event", "audio_cleared"}, {"ms", static_cast<int64_t>(event.count / 8)}});
        return;
      case MediaEventKind::kClosed:
        on_stream_closed(std::string(media_session_end_name(event.end)), std::string(event.details));
        return;
    }
  }

  void on_stream_closed(const std::string& end, const std::string& details) {
    if (stream) {
      const auto st = stream->stats();
      marks_answered += st.marks_answered;
      net->stats_.max_frame_lateness = std::max(net->stats_.max_frame_lateness, st.max_send_lateness);
    }
    stream.reset();
    note({{"event", "stream_closed"}, {"end", end}, {"detail", details}});
    if (ended) return;
    input = Input::kNone;
    if (!connect_action.empty()) {
      fetch_twiml("connect_action", resolve_url(document_url, connect_action),
                  upper_method(connect_method, "POST"), {});
    } else {
      run_next_verb();
    }
  }

  // --- the callee's input -------------------------------------------------------
  void on_key(const std::string& digit) {
    const char* to = input == Input::kGather ? "gather" : input == Input::kStream ? "stream" : "none";
    note({{"event", "key"}, {"digit", digit}, {"heard_by", to}});
    if (input == Input::kGather && gather && gather_accepts("dtmf")) {
      gather_key(digit);
    } else if (input == Input::kStream && stream) {
      (void)stream->send_dtmf(digit);  // digits come from a validated callee file
    }
  }

  void on_utterance(std::size_t i) {
    const Utterance& u = callee.says[i];
    const char* to = input == Input::kGather ? "gather" : input == Input::kStream ? "stream" : "none";
    note({{"event", "speech"}, {"text", u.text}, {"heard_by", to}});
    if (input == Input::kGather && gather && gather_accepts("speech")) {
      gather->speech = u;
      finish_gather();
    } else if (input == Input::kStream && stream) {
      if (speech_audio[i]) {
        play_speech(i);
      } else {
        speech_due[i] = true;  // played when synthesis finishes
      }
    }
  }

  void play_speech(std::size_t i) {
    speech_due[i] = false;
    if (ended || !stream || !speech_audio[i]) return;
    stream->play_audio(*speech_audio[i]);
  }

  // --- the record -----------------------------------------------------------
  json::object record_json() const {
    json::object out;
    out["sid"] = record.sid;
    out["to"] = record.request.to;
    out["from"] = record.request.from;
    out["status"] = record.status;
    out["answered_by"] = record.answered_by.empty() ? json::value(nullptr)
                                                    : json::value(record.answered_by);
    out["duration"] = record.duration_s ? json::value(*record.duration_s) : json::value(nullptr);
    out["date_created"] = format_rfc2822(record.date_created);
    json::array events_list;
    for (const auto& e : record.request.status_callback_events) events_list.emplace_back(e);
    out["request"] = json::object{{"url", record.request.url},
                                  {"method", record.request.method},
                                  {"status_callback", record.request.status_callback},
                                  {"status_callback_method", record.request.status_callback_method},
                                  {"status_callback_events", std::move(events_list)},
                                  {"machine_detection", record.request.machine_detection},
                                  {"timeout", record.request.timeout_s}};
    out["callee"] = answer_name(callee.answer);
    out["media"] = json::object{{"frames_sent", frames_sent},
                                {"messages_received", media_received},
                                {"marks_answered", marks_answered}};
    out["events"] = events;
    return out;
  }
};

// ---------------------------------------------------------------------------
// One message.

struct Network::Message : std::enable_shared_from_this<Network::Message> {
  Message(Network& network, MessageRecord rec) : net(&network), record(std::move(rec)), timer(network.executor_) {}
  Network* net;
  MessageRecord record;
  asio::steady_timer timer;
  json::array events;

  void start() { step("sent", kMessageSentAfter); }

  void step(std::string status, milliseconds after) {
    timer.expires_after(net->real_duration(after));
    timer.async_wait([self = shared_from_this(), status](boost::system::error_code ec) {
      if (ec || !self->net) return;
      self->record.status = status;
      self->record.date_updated = self->record.date_created;
      if (status == "sent") self->record.date_sent = self->record.date_created;
      self->events.push_back(json::object{{"event", "status"}, {"status", status}});
      self->callback(status);
      if (status == "sent") self->step("delivered", kMessageDeliveredAfter - kMessageSentAfter);
    });
  }

  void callback(const std::string& status) {
    if (record.request.status_callback.empty()) return;
    const FormParams params = message_callback_params(record, status, net->options_.account);
    HttpRequest request;
    request.method = "POST";
    request.url = record.request.status_callback;
    request.body = telephony::encode_form(params);
    request.content_type = "application/x-www-form-urlencoded";
    request.timeout = net->options_.faults.webhook_timeout;
    request.headers.emplace_back(
        std::string(telephony::kSignatureHeader),
        telephony::compute_signature(net->options_.account.auth_token, request.url, params));
    ++net->stats_.webhooks_sent;
    async_fetch(net->executor_, std::move(request),
                [self = shared_from_this(), status](Result<HttpReply> reply) {
                  if (!self->net) return;
                  json::object entry{{"event", "webhook"}, {"kind", "message_status"},
                                     {"status_sent", status}};
                  if (reply) {
                    entry["status"] = reply->status;
                  } else {
                    entry["status"] = nullptr;
                    entry["error"] = reply.error().message;
                    ++self->net->stats_.webhooks_failed;
                  }
                  self->events.push_back(std::move(entry));
                });
  }
};

// ---------------------------------------------------------------------------

Network::Network(asio::any_io_executor executor, NetworkOptions options)
    : executor_(std::move(executor)),
      options_(std::move(options)),
      dice_(options_.seed),
      synth_(std::make_unique<Synth>(options_.tts)) {
  std::random_device entropy;
  sid_salt_ = (static_cast<uint64_t>(entropy()) << 32) ^ entropy() ^ options_.seed;
}

Network::~Network() {
  shutdown();
  for (auto& call : calls_) call->net = nullptr;
  for (auto& message : messages_) {
    message->timer.cancel();
    message->net = nullptr;
  }
  synth_->pool.join();
}

std::string Network::next_sid(std::string_view prefix) {
  return new_sid(prefix, sid_salt_ + (++sid_counter_) * 0x9E3779B97F4A7C15ULL);
}

void Network::write_line(const json::object& entry) {
  if (!options_.record_sink) return;
  *options_.record_sink << json::serialize(entry) << '\n';
  options_.record_sink->flush();
}

std::optional<ApiError> Network::refuse_call(const CallCreate& request) {
  if (behaviour_for(options_.callees, request.to).answer != Answer::kInvalid) return std::nullopt;
  ++stats_.calls_rejected;
  ApiError error = unassigned_number_error(request.to);
  write_line({{"event", "call_rejected"}, {"to", request.to}, {"code", error.code}});
  return error;
}

const CallRecord& Network::create_call(CallCreate request) {
  CallRecord record;
  record.sid = next_sid("CA");
  record.request = std::move(request);
  record.date_created = wall_now();
  record.date_updated = record.date_created;
  const CalleeBehaviour& behaviour = behaviour_for(options_.callees, record.request.to);
  auto call = std::make_shared<Call>(*this, std::move(record), behaviour);
  call_index_.emplace(call->record.sid, calls_.size());
  calls_.push_back(call);
  ++stats_.calls_created;
  ++stats_.calls_active;
  call->note({{"event", "created"}, {"to", call->record.request.to},
              {"from", call->record.request.from}, {"url", call->record.request.url}});
  if (shutting_down_) {
    call->end({milliseconds{0}, "canceled", {}, 0});
    return call->record;
  }
  const auto now = steady::now();
  const auto dial_at = steady::time_point(std::chrono::duration_cast<steady::duration>(
      dial_queue_.reserve(now.time_since_epoch(), options_.faults.calls_per_second)));
  call->start(dial_at);
  return call->record;
}

const MessageRecord& Network::create_message(MessageCreate request) {
  MessageRecord record;
  record.sid = next_sid("SM");
  record.request = std::move(request);
  record.date_created = wall_now();
  record.date_updated = record.date_created;
  auto message = std::make_shared<Message>(*this, std::move(record));
  messages_.push_back(message);
  ++stats_.messages_created;
  if (options_.record_sink) {
    write_line({{"event", "message_created"}, {"message_sid", message->record.sid},
                {"to", message->record.request.to}, {"body", message->record.request.body}});
  }
  message->start();
  return message->record;
}

const CallRecord* Network::find_call(std::string_view sid) const {
  auto it = call_index_.find(sid);
  return it == call_index_.end() ? nullptr : &calls_[it->second]->record;
}

std::vector<CallRecord> Network::call_records() const {
  std::vector<CallRecord> out;
  out.reserve(calls_.size());
  for (const auto& call : calls_) out.push_back(call->record);
  return out;
}

json::array Network::record_json(std::string_view to) const {
  json::array out;
  for (const auto& call : calls_) {
    if (!to.empty() && call->record.request.to != to) continue;
    out.emplace_back(call->record_json());
  }
  return out;
}

std::optional<json::object> Network::call_record_json(std::string_view sid) const {
  auto it = call_index_.find(sid);
  if (it == call_index_.end()) return std::nullopt;
  return calls_[it->second]->record_json();
}

json::array Network::messages_json() const {
  json::array out;
  for (const auto& m : messages_) {
    json::object entry = message_json(m->record, options_.account);
    entry["events"] = m->events;
    out.emplace_back(std::move(entry));
  }
  return out;
}

NetworkStats Network::stats() const {
  NetworkStats s = stats_;
  const auto now = steady::now().time_since_epoch();
  s.calls_queued = static_cast<uint64_t>(dial_queue_.waiting(now, options_.faults.calls_per_second));
  for (const auto& call : calls_) {
    if (call->stream) {
      s.max_frame_lateness = std::max(s.max_frame_lateness, call->stream->stats().max_send_lateness);
    }
  }
  return s;
}

json::object Network::stats_json() const {
  const NetworkStats s = stats();
  return {{"calls_created", s.calls_created},
          {"calls_rejected", s.calls_rejected},
          {"calls_active", s.calls_active},
          {"calls_queued", s.calls_queued},
          {"messages_created", s.messages_created},
          {"webhooks_sent", s.webhooks_sent},
          {"webhooks_failed", s.webhooks_failed},
          {"media_frames_sent", s.media_frames_sent},
          {"media_messages_received", s.media_messages_received},
          {"max_frame_lateness_ms", static_cast<double>(s.max_frame_lateness.count()) / 1000.0}};
}

void Network::shutdown() {
  shutting_down_ = true;
  for (auto& call : calls_) {
    if (call->ended || !call->net) continue;
    if (call->answered && call->plan.answered_at) {
      call->application_ended("sandbox shutting down");
    } else {
      call->end({call->now_offset(), "canceled", {}, 0});
    }
  }
}

bool Network::idle() const {
  for (const auto& call : calls_) {
    if (!call->ended || call->callback_in_flight || !call->callbacks.empty()) return false;
  }
  return true;
}

void Network::record_api(std::string_view method, std::string_view target, int status,
                         std::string_view fault) {
  if (!options_.record_sink) return;
  json::object line{{"event", "api"}, {"method", method}, {"target", target}, {"status", status}};
  if (!fault.empty()) line["fault"] = fault;
  write_line(line);
}

}  // namespace autovoice::sandbox
