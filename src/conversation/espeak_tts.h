// EspeakTts: text-to-speech with espeak-ng, in process and offline.
//
// espeak-ng keeps its state (voice, rate, pitch, output buffers) in process
// globals. So the library is initialised once per process, on the first
// create(), and never shut down; and every synthesis in the process, whatever
// the EspeakTts object, runs under one process-wide mutex, which applies the
// object's voice, rate and pitch before speaking. Several EspeakTts objects
// with different options can therefore be used at once, but synthesis is
// serial: one prompt at a time per process. The conversion of espeak-ng's
// output (22050 Hz 16-bit PCM) to call audio, resampling to 8000 Hz with
// telephony::resample_to_call_rate() and mu-law encoding, runs outside the
// mutex.
//
// Text is plain UTF-8 text: SSML and espeak phoneme input are off, so "<",
// "&" and "[[" are read as text, never parsed.
//
// Thread safety: safe for concurrent use without external synchronisation.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "conversation/tts.h"
#include "domain/result.h"

namespace autovoice::conversation {

inline constexpr int kEspeakMinRateWpm = 80;
inline constexpr int kEspeakMaxRateWpm = 450;
inline constexpr int kEspeakDefaultRateWpm = 175;
inline constexpr int kEspeakMinPitch = 0;
inline constexpr int kEspeakMaxPitch = 100;
inline constexpr int kEspeakDefaultPitch = 50;
// Longer text is refused: a prompt this long (several minutes of speech)
// would hold the process-wide synthesis mutex for too long.
inline constexpr std::size_t kEspeakMaxTextBytes = 4096;

struct EspeakOptions {
  // An espeak-ng voice: a voice name ("en-us", "English (America)"), an
  // identifier ("gmw/en-US") or a language tag of an installed voice
  // ("en-gb", "de"); case-insensitive.
  std::string voice = "en-us";
  int rate_wpm = kEspeakDefaultRateWpm;  // words per minute, [80, 450]
  int pitch = kEspeakDefaultPitch;       // 0 (lowest) to 100, 50 is the voice's own
};

class EspeakTts final : public Tts {
 public:
  // Initialises espeak-ng for the process if not yet done, then checks the
  // options. Errors: kInvalidArgument naming the field ("voice", "rate_wpm",
  // "pitch") and the value; kUnavailable when espeak-ng cannot start (its data
  // files, espeak-ng-data, are missing).
  static Result<std::unique_ptr<EspeakTts>> create(EspeakOptions options = {});

  EspeakTts(const EspeakTts&) = delete;
  EspeakTts& operator=(const EspeakTts&) = delete;

  // Speaks `text` with this object's options; see Tts::synthesize. Besides
  // check_tts_text(), kInvalidArgument (field "text") for text longer than
  // kEspeakMaxTextBytes and for text that produces no speech (e.g. "...").
  Result<Audio> synthesize(std::string_view text) override;

  const EspeakOptions& options() const { return options_; }
  // The espeak-ng voice the options' voice resolved to: the voice itself when espeak-ng
  // knows it by that name, else the identifier of the voice for that language
  // (e.g. "gmw/en" for "en-gb").
  const std::string& voice_id() const { return voice_id_; }

 private:
  EspeakTts(EspeakOptions options, std::string voice_id);

  const EspeakOptions options_;
  const std::string voice_id_;
};

}  // namespace autovoice::conversation
