// `tta-agent decode HEX [--json]` run as a process.
#include <gtest/gtest.h>

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>

#include "unit/uplink/test_util.hpp"
#include "tta/core/hex.hpp"
#include "tta/uplink/frame.hpp"

namespace {

struct Run {
  int exit_code = -1;
  std::string out;  // stdout and stderr (stderr last line when failing)
};

Run run(const std::string& args, bool capture_stderr = false) {
  const std::string cmd = std::string(TTA_AGENT_BIN) + " " + args +
                          (capture_stderr ? " 2>&1 >/dev/null" : " 2>/dev/null");
  Run r;
  FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) return r;
  std::array<char, 4096> buf{};
  std::size_t n = 0;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0)
    r.out.append(buf.data(), n);
  const int status = pclose(p);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

constexpr const char* kAck = "7E80800100050000018637237929004C3C004C020000F97E";
// 0x0900 frame carrying a 0x0203 training record (see extension_test.cpp).
constexpr const char* kRecord =
    "7e800900008d000001380013800000100013020300020001313233343536373839303132333435360000007231"
    "323334353637383930313233343536323631313237303933300153545530303030303030303030303031434f41"
    "303030303030303030303030310000010209300012121100000001c8000c000000000000000301cba5c0073109"
    "f10190019a005a26112709293001040001e240050207d0627e";

TEST(UplinkDecodeCli, HumanOutputNamesFields) {
  auto r =
      run(std::string("decode '7E 80 80 01 00 05 00 00 01 86 37 23 79 29 00 4C 3C 00 4C 02 "
                      "00 00 F9 7E'"));
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("msg_id       0x8001  (general ack (platform))"), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("phone        0000018637237929"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("reply_msg_id  0x0200  (position report)"), std::string::npos) << r.out;
}

TEST(UplinkDecodeCli, JsonForExtensionMessageIncludesInnerMessageInUnits) {
  auto r = run(std::string("decode --json ") + kRecord);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["header"]["msg_id"], "0x0900");
  EXPECT_EQ(j["header"]["phone"], "0000013800138000");
  const auto& body = j["body"];
  EXPECT_EQ(body["ext_id"], "0x0203");
  EXPECT_EQ(body["ack_required"], true);
  EXPECT_EQ(body["terminal_no"], "1234567890123456");
  const auto& data = body["data"];
  EXPECT_EQ(data["record_no"], "12345678901234562611270930");
  EXPECT_EQ(data["course_code"], "1212110000");
  EXPECT_EQ(data["time"], "09:30:00");
  EXPECT_DOUBLE_EQ(data["max_speed_km_h"].get<double>(), 45.6);
  EXPECT_DOUBLE_EQ(data["mileage_km"].get<double>(), 1.2);
  EXPECT_DOUBLE_EQ(data["gnss"]["latitude_deg"].get<double>(), 30.123456);
  EXPECT_DOUBLE_EQ(data["gnss"]["longitude_deg"].get<double>(), 120.654321);
  EXPECT_DOUBLE_EQ(data["gnss"]["gnss_speed_km_h"].get<double>(), 41.0);
  EXPECT_DOUBLE_EQ(data["gnss"]["odometer_km"].get<double>(), 12345.6);
  EXPECT_EQ(data["gnss"]["engine_speed_rpm"], 2000);
  EXPECT_EQ(data["gnss"]["time"], "2026-11-27 09:29:30 +08:00");
}

TEST(UplinkDecodeCli, BadFrameExitsFiveWithOneLineReason) {
  auto r = run("decode 7E80800100050000018637237929004C3C004C020000F87E", true);
  EXPECT_EQ(r.exit_code, 5);
  EXPECT_EQ(r.out, "bad frame: checksum mismatch: computed 0xf9, frame has 0xf8\n");
  auto h = run("decode 7E8G", true);
  EXPECT_EQ(h.exit_code, 5);
  EXPECT_EQ(std::count(h.out.begin(), h.out.end(), '\n'), 1);
}

TEST(UplinkDecodeCli, AckFrameJson) {
  auto r = run(std::string("decode --json ") + kAck);
  ASSERT_EQ(r.exit_code, 0);
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["body"]["reply_serial"], 76);
  EXPECT_EQ(j["body"]["result_text"], "ok");
}

TEST(UplinkDecodeCli, RealTerminalFrameDecodes) {
  // A real terminal's frame (test_util.hpp has its provenance).
  auto r = run("decode --json " + std::string(tta::uplink::test::kRealStudentLogin));
  ASSERT_EQ(r.exit_code, 0) << r.out;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["body"]["ext_id"], "0x0201");
  EXPECT_EQ(j["body"]["terminal_no"], "3143422457638046");
  EXPECT_EQ(j["body"]["data"]["student_no"], "3143541052066483");
  EXPECT_EQ(j["body"]["data"]["class_id"], 100);
}

TEST(UplinkDecodeCli, DoubledTypeByteExitsFiveAndSaysSo) {
  const auto real = tta::from_hex(tta::uplink::test::kRealStudentLogin).value();
  auto f = tta::uplink::decode_frame(real).value();
  f.body.insert(f.body.begin(), 0x13);
  const auto wire = tta::to_hex(tta::uplink::encode_frame(f).value());
  auto r = run("decode " + wire, true);
  EXPECT_EQ(r.exit_code, 5) << r.out;
  EXPECT_NE(r.out.find("0x13 twice"), std::string::npos) << r.out;
}

}  // namespace
