// libFuzzer target: the sandbox's two JSON inputs, a callee file
// (parse_callees) and a faults object (merge_faults_json, POST /sandbox/faults).
// A failure must be kInvalidArgument with a message and a field; accepted
// faults must be within their documented ranges and survive faults_json ->
// merge_faults_json unchanged.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include <boost/json/serialize.hpp>

#include "sandbox/callee.h"
#include "sandbox/faults.h"

namespace {

void check(bool condition) {
  if (!condition) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace sb = autovoice::sandbox;
  const std::string_view text(reinterpret_cast<const char*>(data), size);

  const auto callees = sb::parse_callees(text);
  if (!callees) {
    check(callees.error().code == autovoice::ErrorCode::kInvalidArgument);
    check(!callees.error().message.empty());
  } else {
    for (const auto& [number, behaviour] : callees->numbers) {
      check(!number.empty() && number[0] == '+');
      check(behaviour.answer_after.count() >= 0);
      for (const auto& key : behaviour.keys) check(!key.digits.empty());
      for (const auto& say : behaviour.says) check(!say.text.empty());
    }
  }

  const auto faults = sb::merge_faults_json(sb::Faults{}, text);
  if (!faults) {
    check(faults.error().code == autovoice::ErrorCode::kInvalidArgument);
    check(!faults.error().message.empty());
    check(!faults.error().field.empty());
    return 0;
  }
  check(sb::validate(*faults).ok());
  const auto again =
      sb::merge_faults_json(sb::Faults{}, boost::json::serialize(sb::faults_json(*faults)));
  check(again.ok());
  check(*again == *faults);
  return 0;
}
