// Unit tests of the runtime's status and version API.
#include "r1c/runtime.h"

#include <gtest/gtest.h>
#include <string>

TEST(Status, OkIsNull) {
  EXPECT_EQ(r1rt_status_create(R1RT_OK, "ignored"), nullptr);
  EXPECT_EQ(r1rt_status_code(nullptr), R1RT_OK);
  EXPECT_STREQ(r1rt_status_message(nullptr), "");
  r1rt_status_release(nullptr);
}

TEST(Status, ErrorKeepsCodeAndCopiesMessage) {
  std::string message = "input 'x' has shape [2] but the model expects [3]";
  r1rt_status_t status = r1rt_status_create(R1RT_INVALID_ARGUMENT, message.c_str());
  message.assign("overwritten");
  ASSERT_NE(status, nullptr);
  EXPECT_EQ(r1rt_status_code(status), R1RT_INVALID_ARGUMENT);
  EXPECT_STREQ(r1rt_status_message(status),
               "input 'x' has shape [2] but the model expects [3]");
  r1rt_status_release(status);
}

TEST(Status, NullMessageIsEmpty) {
  r1rt_status_t status = r1rt_status_create(R1RT_DATA_LOSS, nullptr);
  ASSERT_NE(status, nullptr);
  EXPECT_STREQ(r1rt_status_message(status), "");
  r1rt_status_release(status);
}

TEST(Status, CodeNames) {
  EXPECT_STREQ(r1rt_status_code_name(R1RT_OK), "OK");
  EXPECT_STREQ(r1rt_status_code_name(R1RT_DATA_LOSS), "DATA_LOSS");
  EXPECT_STREQ(r1rt_status_code_name(static_cast<r1rt_status_code_t>(99)), "UNKNOWN");
}

TEST(Version, MatchesHeader) {
  std::string expected = std::to_string(R1RT_VERSION_MAJOR) + "." +
                         std::to_string(R1RT_VERSION_MINOR) + "." +
                         std::to_string(R1RT_VERSION_PATCH);
  EXPECT_EQ(expected, r1rt_version_string());
  EXPECT_GE(r1rt_artifact_format_version(), 1u);
}
