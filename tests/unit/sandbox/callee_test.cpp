// Scripted callee files: parsing, defaults, lookup and every error path (each
// error names the JSON path at fault).
#include "sandbox/callee.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace autovoice::sandbox {
namespace {

using namespace std::chrono_literals;

TEST(CalleeTest, ParsesEveryMemberOfABehaviour) {
  auto callees = parse_callees(R"({
    "default": {"answer": "no-answer"},
    "numbers": {"+15550100001": {
      "answer": "human", "answer_after_s": 2.5, "hangup_after_s": 30,
      "keys": [{"at_s": 2.5, "digits": "1"}, {"at_s": 4, "digits": "9#"}],
      "say": [{"at_s": 1, "text": "yes that works", "confidence": 0.75},
              {"at_s": 6, "text": "bye"}],
      "silent": false}}})");
  ASSERT_TRUE(callees.ok()) << callees.error().message;
  const CalleeBehaviour& b = behaviour_for(*callees, "+15550100001");
  EXPECT_EQ(b.answer, Answer::kHuman);
  EXPECT_EQ(b.answer_after, 2500ms);
  EXPECT_EQ(b.hangup_after, std::optional<std::chrono::milliseconds>(30000ms));
  EXPECT_EQ(b.keys, (std::vector<KeyPress>{{2500ms, "1"}, {4000ms, "9#"}}));
  EXPECT_EQ(b.says, (std::vector<Utterance>{{1000ms, "yes that works", 0.75}, {6000ms, "bye", 0.9}}));
  EXPECT_FALSE(b.silent);
  EXPECT_EQ(behaviour_for(*callees, "+15550100002").answer, Answer::kNoAnswer);
}

TEST(CalleeTest, ReadsEveryAnswerKind) {
  const std::vector<std::pair<const char*, Answer>> cases = {
      {"human", Answer::kHuman}, {"busy", Answer::kBusy}, {"no-answer", Answer::kNoAnswer},
      {"fail", Answer::kFail}, {"voicemail", Answer::kVoicemail}, {"invalid", Answer::kInvalid}};
  for (auto [name, answer] : cases) {
    auto callees = parse_callees(std::string(R"({"default": {"answer": ")") + name + "\"}}");
    ASSERT_TRUE(callees.ok()) << name;
    EXPECT_EQ(callees->fallback.answer, answer) << name;
    EXPECT_EQ(answer_name(answer), name);
  }
}

TEST(CalleeTest, UnknownNumbersGetTheBuiltInDefaultWhenTheFileHasNone) {
  auto callees = parse_callees(R"({"numbers": {}})");
  ASSERT_TRUE(callees.ok());
  const CalleeBehaviour& b = behaviour_for(*callees, "+15550100009");
  EXPECT_EQ(b, builtin_default_behaviour());
  EXPECT_EQ(b.answer, Answer::kHuman);
  EXPECT_EQ(b.answer_after, 1000ms);
  EXPECT_FALSE(b.hangup_after.has_value());
  EXPECT_TRUE(b.silent);
  EXPECT_TRUE(parse_callees("{}").ok());
}

TEST(CalleeTest, AnEmptyBehaviourAnswersAfterOneSecondAsAHuman) {
  auto callees = parse_callees(R"({"numbers": {"+15550100001": {}}})");
  ASSERT_TRUE(callees.ok());
  const CalleeBehaviour& b = behaviour_for(*callees, "+15550100001");
  EXPECT_EQ(b.answer, Answer::kHuman);
  EXPECT_EQ(b.answer_after, 1000ms);
  EXPECT_FALSE(b.silent);
}

struct ErrorCase {
  const char* json;
  const char* path;
};

TEST(CalleeTest, RejectsBadFilesNamingTheJsonPath) {
  const std::vector<ErrorCase> cases = {
      {"not json", "$"},
      {"[]", "$"},
      {R"({"defaults": {}})", "defaults"},
      {R"({"default": 3})", "default"},
      {R"({"numbers": []})", "numbers"},
      {R"({"numbers": {"5550100001": {}}})", "numbers.5550100001"},
      {R"({"default": {"answer": "maybe"}})", "default.answer"},
      {R"({"default": {"answer": 1}})", "default.answer"},
      {R"({"default": {"answer_after_s": -1}})", "default.answer_after_s"},
      {R"({"default": {"answer_after_s": "2"}})", "default.answer_after_s"},
      {R"({"default": {"answer_after_s": 90000}})", "default.answer_after_s"},
      {R"({"default": {"hangup_after_s": 0}})", "default.hangup_after_s"},
      {R"({"default": {"silent": "yes"}})", "default.silent"},
      {R"({"default": {"anwser": "human"}})", "default.anwser"},
      {R"({"default": {"keys": {}}})", "default.keys"},
      {R"({"default": {"keys": [3]}})", "default.keys[0]"},
      {R"({"default": {"keys": [{"digits": "1"}]}})", "default.keys[0].at_s"},
      {R"({"default": {"keys": [{"at_s": 1}]}})", "default.keys[0].digits"},
      {R"({"default": {"keys": [{"at_s": 1, "digits": "1"}, {"at_s": 1, "digits": "x"}]}})",
       "default.keys[1].digits"},
      {R"({"default": {"keys": [{"at_s": 1, "digits": ""}]}})", "default.keys[0].digits"},
      {R"({"default": {"keys": [{"at_s": 1, "digits": "1", "len": 2}]}})", "default.keys[0].len"},
      {R"({"numbers": {"+15550100001": {"say": [{"at_s": 1}]}}})",
       "numbers.+15550100001.say[0].text"},
      {R"({"default": {"say": [{"text": "hi"}]}})", "default.say[0].at_s"},
      {R"({"default": {"say": [{"at_s": 1, "text": ""}]}})", "default.say[0].text"},
      {R"({"default": {"say": [{"at_s": 1, "text": "hi", "confidence": 1.5}]}})",
       "default.say[0].confidence"},
      {R"({"default": {"say": [{"at_s": 1, "text": "hi", "voice": "x"}]}})", "default.say[0].voice"},
  };
  for (const auto& c : cases) {
    auto r = parse_callees(c.json);
    ASSERT_FALSE(r.ok()) << c.json;
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument) << c.json;
    EXPECT_EQ(r.error().field, c.path) << c.json;
    if (std::string(c.path) != "$") {
      EXPECT_NE(r.error().message.find(c.path), std::string::npos) << r.error().message;
    }
  }
}

TEST(CalleeTest, ANumberMarkedInvalidIsThatNumbersAlone) {
  auto callees = parse_callees(R"({"default": {"answer": "busy"},
                                   "numbers": {"+12125550199": {"answer": "invalid"}}})");
  ASSERT_TRUE(callees.ok()) << callees.error().message;
  EXPECT_EQ(behaviour_for(*callees, "+12125550199").answer, Answer::kInvalid);
  EXPECT_EQ(behaviour_for(*callees, "+12125550198").answer, Answer::kBusy);
}

}  // namespace
}  // namespace autovoice::sandbox
