#include "conversation/espeak_tts.h"

#include <espeak-ng/espeak_ng.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdint>
#include <cstdlib>
#include <mutex>
#include <span>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "telephony/mulaw.h"

namespace autovoice::conversation {
namespace {

// A sample below this magnitude (about -54 dBFS) counts as silence when
// deciding whether synthesis produced any speech.
constexpr int kSilenceAmplitude = 64;

std::string status_message(espeak_ng_STATUS status) {
  std::array<char, 512> buffer{};
  espeak_ng_GetStatusCodeMessage(status, buffer.data(), buffer.size());
  return {buffer.data()};
}

// The process-wide espeak-ng state. Created on first use and never destroyed:
// espeak-ng is not shut down while other threads might still speak.
class Engine {
 public:
  static Engine& instance() {
    static auto* const engine = new Engine();  // NOLINT(cppcoreguidelines-owning-memory)
    return *engine;
  }

  // ok, or why espeak-ng could not start.
  const Status& started() const { return started_; }
  int sample_rate() const { return sample_rate_; }

  // The voice to select for `voice`, or kInvalidArgument naming it.
  Result<std::string> resolve_voice(const std::string& voice) {
    std::lock_guard lock(mu_);
    current_voice_.clear();  // whatever happens below, the next synthesis selects its voice
    if (espeak_ng_SetVoiceByName(voice.c_str()) == ENS_OK) return voice;
    const espeak_VOICE** voices = espeak_ListVoices(nullptr);
    for (std::size_t i = 0; voices != nullptr && voices[i] != nullptr; ++i) {
      // `languages` is a list of (priority byte, NUL-terminated tag), ended by a 0 byte.
      for (const char* entry = voices[i]->languages; entry != nullptr && *entry != '\0';) {
        const std::string_view tag(entry + 1);
        if (equal_ignoring_case(tag, voice) && voices[i]->identifier != nullptr &&
            espeak_ng_SetVoiceByName(voices[i]->identifier) == ENS_OK) {
          return std::string(voices[i]->identifier);
        }
        entry += 1 + tag.size() + 1;
      }
    }
    return Error::invalid(
        "voice", "unknown espeak-ng voice \"" + voice +
                     "\" (e.g. \"en-us\", \"en-gb\", \"de\"; `espeak-ng --voices` lists them)");
  }

  // Speaks `text` into 16-bit PCM at sample_rate().
  Result<std::vector<int16_t>> speak(const std::string& voice_id, const EspeakOptions& options,
                                     const std::string& text) {
    std::lock_guard lock(mu_);
    if (current_voice_ != voice_id) {
      const espeak_ng_STATUS status = espeak_ng_SetVoiceByName(voice_id.c_str());
      if (status != ENS_OK) {
        current_voice_.clear();
        return Error::internal("espeak-ng: selecting voice \"" + voice_id +
                               "\": " + status_message(status));
      }
      current_voice_ = voice_id;
    }
    // Punctuation is left at espeak-ng's default: not announced.
    for (const auto& [parameter, name, value] : {std::tuple{espeakRATE, "rate", options.rate_wpm},
                                                 std::tuple{espeakPITCH, "pitch", options.pitch}}) {
      const espeak_ng_STATUS status = espeak_ng_SetParameter(parameter, value, 0);
      if (status != ENS_OK) {
        return Error::internal(std::string("espeak-ng: setting the ") + name + " to " +
                               std::to_string(value) + ": " + status_message(status));
      }
    }

    std::vector<int16_t> samples;
    samples.reserve(text.size() * static_cast<std::size_t>(sample_rate_) /
                    12);  // ~80 ms a character
    collector_ = &samples;
    // Plain UTF-8 text: no espeakSSML, no espeakPHONEMES.
    const espeak_ng_STATUS status = espeak_ng_Synthesize(
        text.c_str(), text.size() + 1, 0, POS_CHARACTER, 0, espeakCHARS_UTF8, nullptr, nullptr);
    collector_ = nullptr;
    if (status != ENS_OK)
      return Error::internal("espeak-ng: synthesis failed: " + status_message(status));
    return samples;
  }

 private:
  Engine() {
    espeak_ng_InitializePath(nullptr);
    espeak_ng_ERROR_CONTEXT context = nullptr;
    espeak_ng_STATUS status = espeak_ng_Initialize(&context);
    espeak_ng_ClearErrorContext(&context);
    if (status != ENS_OK) {
      started_ = Error::unavailable("espeak-ng could not start (is espeak-ng-data installed?): " +
                                    status_message(status));
      return;
    }
    status = espeak_ng_InitializeOutput(ENOUTPUT_MODE_SYNCHRONOUS, 0, nullptr);
    if (status != ENS_OK) {
      started_ = Error::unavailable("espeak-ng could not set up synchronous output: " +
                                    status_message(status));
      return;
    }
    sample_rate_ = espeak_ng_GetSampleRate();
    espeak_SetSynthCallback(&Engine::on_samples);
  }

  static bool equal_ignoring_case(std::string_view a, std::string_view b) {
    return std::ranges::equal(a, b, [](char x, char y) {
      return std::tolower(static_cast<unsigned char>(x)) ==
             std::tolower(static_cast<unsigned char>(y));
    });
  }

  // espeak-ng calls this from inside espeak_ng_Synthesize(), on the calling
  // thread, so mu_ is held. `wav` is null at the end; a count of 0 is not the end.
  static int on_samples(short* wav, int count, espeak_EVENT* /*events*/) {
    std::vector<int16_t>* out = instance().collector_;
    if (wav != nullptr && count > 0 && out != nullptr) out->insert(out->end(), wav, wav + count);
    return 0;  // continue
  }

  Status started_;
  int sample_rate_ = 0;
  std::mutex mu_;
  std::string current_voice_;                  // GUARDED_BY(mu_); "" when unknown
  std::vector<int16_t>* collector_ = nullptr;  // GUARDED_BY(mu_); set during a synthesis
};

bool has_speech(std::span<const int16_t> pcm) {
  return std::ranges::any_of(pcm, [](int16_t s) { return std::abs(int{s}) >= kSilenceAmplitude; });
}

}  // namespace

Result<std::unique_ptr<EspeakTts>> EspeakTts::create(EspeakOptions options) {
  if (options.rate_wpm < kEspeakMinRateWpm || options.rate_wpm > kEspeakMaxRateWpm) {
    return Error::invalid("rate_wpm", "speaking rate " + std::to_string(options.rate_wpm) +
                                          " words per minute is outside [80, 450]");
  }
  if (options.pitch < kEspeakMinPitch || options.pitch > kEspeakMaxPitch) {
    return Error::invalid("pitch",
                          "pitch " + std::to_string(options.pitch) + " is outside [0, 100]");
  }
  Engine& engine = Engine::instance();
  if (!engine.started().ok()) return engine.started().error();
  auto voice_id = engine.resolve_voice(options.voice);
  if (!voice_id) return std::move(voice_id).error();
  return std::unique_ptr<EspeakTts>(new EspeakTts(std::move(options), std::move(*voice_id)));
}

EspeakTts::EspeakTts(EspeakOptions options, std::string voice_id)
    : options_(std::move(options)), voice_id_(std::move(voice_id)) {}

Result<Audio> EspeakTts::synthesize(std::string_view text) {
  if (Status s = check_tts_text(text); !s) return std::move(s).error();
  if (text.size() > kEspeakMaxTextBytes) {
    return Error::invalid("text", "text to speak is " + std::to_string(text.size()) +
                                      " bytes; the limit is " +
                                      std::to_string(kEspeakMaxTextBytes));
  }
  Engine& engine = Engine::instance();
  auto pcm = engine.speak(voice_id_, options_, std::string(text));
  if (!pcm) return std::move(pcm).error();
  if (!has_speech(*pcm)) {
    return Error::invalid("text",
                          "text to speak produced no speech: \"" + std::string(text) + "\"");
  }
  auto call_rate = telephony::resample_to_call_rate(*pcm, engine.sample_rate());
  if (!call_rate) return std::move(call_rate).error();
  return Audio{telephony::mulaw_encode(*call_rate)};
}

}  // namespace autovoice::conversation
