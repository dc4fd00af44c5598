// Table tests of the pure OBD-II helpers: ELM327 answers, PID decoding, CAN single frames,
// pulse-counter speed and source URIs.
#include <gtest/gtest.h>

#include <cmath>

#include "tta/vehicle/obd.hpp"
#include "tta/vehicle/signals.hpp"

namespace tta::vehicle {
namespace {

using obd::ElmStatus;

struct ElmCase {
  const char* name;
  std::string raw;
  const char* command;
  ElmStatus status;
  std::optional<std::uint16_t> rpm;  // decoded for 0x0C (when the command is 010C)
  std::optional<double> speed;       // decoded for 0x0D (when the command is 010D)
  const char* text = "";             // expected text (status lines, errors), "" = not checked
};

class ElmParse : public testing::TestWithParam<ElmCase> {};

TEST_P(ElmParse, Table) {
  const ElmCase& c = GetParam();
  const auto r = obd::parse_elm_response(c.raw, c.command);
  EXPECT_EQ(r.status, c.status) << obd::to_string(r.status) << " text=" << r.text;
  EXPECT_EQ(obd::decode_elm_pid(r, obd::kPidEngineRpm).value_or(obd::PidValue{}).engine_rpm, c.rpm);
  EXPECT_EQ(obd::decode_elm_pid(r, obd::kPidSpeed).value_or(obd::PidValue{}).speed_kmh, c.speed);
  if (*c.text != '\0') {
    EXPECT_EQ(r.text, c.text);
  }
}

INSTANTIATE_TEST_SUITE_P(
    Answers, ElmParse,
    testing::Values(
        ElmCase{"spaces", "41 0C 1A F8 \r\r>", "010C", ElmStatus::data, 1726, std::nullopt},
        ElmCase{"no_spaces", "410C1AF8\r\r>", "010C", ElmStatus::data, 1726, std::nullopt},
        ElmCase{"lower_case", "41 0c 1a f8\r\r>", "010C", ElmStatus::data, 1726, std::nullopt},
        ElmCase{"echo", "010C\r41 0C 0F A0\r\r>", "010C", ElmStatus::data, 1000, std::nullopt},
        ElmCase{"echo_with_spaces", "01 0C\r410C0FA0\r\r>", "010C", ElmStatus::data, 1000,
                std::nullopt},
        ElmCase{"crlf", "41 0C 0F A0\r\n\r\n>", "010C", ElmStatus::data, 1000, std::nullopt},
        ElmCase{"no_prompt", "410C0FA0\r", "010C", ElmStatus::data, 1000, std::nullopt},
        ElmCase{"after_prompt_ignored", "410C0FA0\r\r>410C0000\r", "010C", ElmStatus::data, 1000,
                std::nullopt},
        ElmCase{"speed", "41 0D 32\r\r>", "010D", ElmStatus::data, std::nullopt, 50.0},
        ElmCase{"speed_zero_is_a_value", "410D00\r\r>", "010D", ElmStatus::data, std::nullopt, 0.0},
        ElmCase{"rpm_zero_is_a_value", "410C0000\r\r>", "010C", ElmStatus::data, 0, std::nullopt},
        ElmCase{"rpm_max", "410CFFFF\r\r>", "010C", ElmStatus::data, 16383, std::nullopt},
        ElmCase{"searching", "SEARCHING...\r410D32\r\r>", "010D", ElmStatus::data, std::nullopt,
                50.0},
        ElmCase{"bus_init", "BUS INIT: ...OK\r41 0C 0F A0\r\r>", "010C", ElmStatus::data, 1000,
                std::nullopt},
        ElmCase{"two_ecus", "7E\r410C1AF8\r410C0000\r\r>", "010C", ElmStatus::data, 1726,
                std::nullopt},
        ElmCase{"other_pid_is_not_this_one", "410D32\r\r>", "010C", ElmStatus::data, std::nullopt,
                50.0},
        ElmCase{"truncated_rpm", "410C1A\r\r>", "010C", ElmStatus::data, std::nullopt,
                std::nullopt},
        ElmCase{"odd_digits", "410C1AF\r\r>", "010C", ElmStatus::garbage, std::nullopt,
                std::nullopt, "410C1AF"},
        ElmCase{"no_data", "NO DATA\r\r>", "010C", ElmStatus::no_data, std::nullopt, std::nullopt,
                "NO DATA"},
        ElmCase{"no_data_echoed", "010D\rNO DATA\r\r>", "010D", ElmStatus::no_data, std::nullopt,
                std::nullopt},
        ElmCase{"unknown", "?\r\r>", "010C", ElmStatus::unknown_command, std::nullopt,
                std::nullopt},
        ElmCase{"unable", "SEARCHING...\rUNABLE TO CONNECT\r\r>", "010C",
                ElmStatus::unable_to_connect, std::nullopt, std::nullopt, "UNABLE TO CONNECT"},
        ElmCase{"stopped", "STOPPED\r\r>", "010D", ElmStatus::stopped, std::nullopt, std::nullopt},
        ElmCase{"can_error", "CAN ERROR\r\r>", "010C", ElmStatus::error, std::nullopt, std::nullopt,
                "CAN ERROR"},
        ElmCase{"err94", "ERR94\r\r>", "010C", ElmStatus::error, std::nullopt, std::nullopt,
                "ERR94"},
        ElmCase{"bus_init_error", "BUS INIT: ...ERROR\r\r>", "010C", ElmStatus::error, std::nullopt,
                std::nullopt},
        ElmCase{"reset_banner", "ATZ\r\r\rELM327 v1.5\r\r>", "ATZ", ElmStatus::ok, std::nullopt,
                std::nullopt, "ELM327 v1.5"},
        ElmCase{"reset_with_nuls", std::string("\0\0", 2) + "\rELM327 v2.1\r\r>", "ATZ",
                ElmStatus::ok, std::nullopt, std::nullopt},
        ElmCase{"ok_echoed", "ATE0\rOK\r\r>", "ATE0", ElmStatus::ok, std::nullopt, std::nullopt},
        ElmCase{"ok", "OK\r\r>", "ATSP0", ElmStatus::ok, std::nullopt, std::nullopt},
        ElmCase{"garbage", "\xff\xfe@#!\r>", "010C", ElmStatus::garbage, std::nullopt,
                std::nullopt},
        ElmCase{"empty", "", "010C", ElmStatus::garbage, std::nullopt, std::nullopt,
                "empty answer"},
        ElmCase{"prompt_only", ">", "010C", ElmStatus::garbage, std::nullopt, std::nullopt},
        ElmCase{"data_wins_over_noise", "x!\r410C0FA0\r\r>", "010C", ElmStatus::data, 1000,
                std::nullopt}),
    [](const testing::TestParamInfo<ElmCase>& i) { return std::string(i.param.name); });

TEST(ObdDecode, PidRulesAndNegativeResponses) {
  using V = std::vector<std::uint8_t>;
  EXPECT_EQ(obd::decode_pid(V{0x41, 0x0C, 0x1A, 0xF8}, 0x0C)->engine_rpm, 1726);
  EXPECT_FALSE(obd::decode_pid(V{0x41, 0x0C, 0x1A, 0xF8}, 0x0C)->speed_kmh);
  EXPECT_EQ(obd::decode_pid(V{0x41, 0x0D, 0x78}, 0x0D)->speed_kmh, 120.0);
  EXPECT_FALSE(obd::decode_pid(V{0x7F, 0x01, 0x12}, 0x0C));        // negative response
  EXPECT_FALSE(obd::decode_pid(V{0x42, 0x0C, 0x1A, 0xF8}, 0x0C));  // mode 02 (freeze frame)
  EXPECT_FALSE(obd::decode_pid(V{0x41, 0x05, 0x50}, 0x05));        // a PID this code does not read
  EXPECT_FALSE(obd::decode_pid(V{0x41, 0x0C}, 0x0C));
  EXPECT_FALSE(obd::decode_pid(V{}, 0x0D));
}

TEST(ObdCan, RequestAndSingleFrames) {
  using V = std::vector<std::uint8_t>;
  const auto req = obd::can_request(0x0C);
  EXPECT_EQ(V(req.begin(), req.end()), (V{0x02, 0x01, 0x0C, 0, 0, 0, 0, 0}));

  const V reply{0x04, 0x41, 0x0C, 0x1A, 0xF8, 0xAA, 0xAA, 0xAA};
  EXPECT_EQ(obd::can_single_frame(0x7E8, false, reply), (V{0x41, 0x0C, 0x1A, 0xF8}));
  EXPECT_EQ(obd::can_single_frame(0x7EF, false, reply), (V{0x41, 0x0C, 0x1A, 0xF8}));
  EXPECT_FALSE(obd::can_single_frame(0x7E7, false, reply));  // not an OBD reply identifier
  EXPECT_FALSE(obd::can_single_frame(0x7F0, false, reply));
  EXPECT_FALSE(obd::can_single_frame(0x7E8, true, reply));                       // 29-bit frame
  EXPECT_FALSE(obd::can_single_frame(0x7E8, false, V{0x10, 0x14, 0x49, 0x02}));  // first frame
  EXPECT_FALSE(obd::can_single_frame(0x7E8, false, V{0x21, 0x01}));        // consecutive frame
  EXPECT_FALSE(obd::can_single_frame(0x7E8, false, V{0x30, 0, 0}));        // flow control
  EXPECT_FALSE(obd::can_single_frame(0x7E8, false, V{0x00, 0x41}));        // length 0
  EXPECT_FALSE(obd::can_single_frame(0x7E8, false, V{0x05, 0x41, 0x0C}));  // longer than the frame
  EXPECT_FALSE(obd::can_single_frame(0x7E8, false, V{}));
  EXPECT_EQ(obd::can_single_frame(0x7E8, false, V{0x03, 0x7F, 0x01, 0x12}), (V{0x7F, 0x01, 0x12}));
}

TEST(PulseSpeed, FromCountsAndTimeNeverGuessed) {
  PulseSpeed p(1000);  // 1000 pulses per km
  const MonoTime t0{};
  EXPECT_FALSE(p.update(5000, t0));                                        // first reading: unknown
  EXPECT_NEAR(*p.update(5010, t0 + std::chrono::seconds(1)), 36.0, 1e-9);  // 10 m in 1 s
  EXPECT_DOUBLE_EQ(*p.update(5010, t0 + std::chrono::seconds(2)), 0.0);    // standing still
  EXPECT_FALSE(p.update(4000, t0 + std::chrono::seconds(3)));  // counter went back (reset)
  EXPECT_NEAR(*p.update(4005, t0 + std::chrono::milliseconds(3500)), 36.0, 1e-9);
  EXPECT_FALSE(p.update(4010, t0 + std::chrono::milliseconds(3500)));  // no time passed
  p.reset();
  EXPECT_FALSE(p.update(4100, t0 + std::chrono::seconds(5)));
}

TEST(VehicleUri, ParsesAndRefuses) {
  auto u = parse_vehicle_uri("elm327:///dev/ttyUSB0?baud=38400");
  ASSERT_TRUE(u) << u.error().message;
  EXPECT_EQ(u->scheme, "elm327");
  EXPECT_EQ(u->path, "/dev/ttyUSB0");
  EXPECT_EQ(*u->number("baud", 9600), 38400u);
  EXPECT_EQ(*u->number("other", 7), 7u);

  u = parse_vehicle_uri("sysfs:///sys/class/gpio/gpio17/value?active_low=x");
  ASSERT_TRUE(u);
  EXPECT_FALSE(u->number("active_low", 0));
  EXPECT_EQ(parse_vehicle_uri("socketcan://can0")->path, "can0");
  EXPECT_TRUE(parse_vehicle_uri("sim://"));
  EXPECT_FALSE(parse_vehicle_uri("/dev/ttyUSB0"));
  EXPECT_FALSE(parse_vehicle_uri("obd:///dev/ttyUSB0"));
  EXPECT_FALSE(parse_vehicle_uri("elm327://"));
  EXPECT_FALSE(parse_vehicle_uri("sysfs:///x?novalue"));
}

TEST(VehicleFactory, NothingConfiguredIsNoSourceBadUrisAreErrors) {
  boost::asio::io_context io;
  SystemClock clock;
  auto v = make_vehicle_signals(config::VehicleConfig{}, io, clock);
  ASSERT_TRUE(v);
  EXPECT_EQ(*v, nullptr);

  config::VehicleConfig bad;
  bad.obd = "gpsd://x";
  EXPECT_FALSE(make_vehicle_signals(bad, io, clock));
  bad.obd.clear();
  bad.pulses = "sysfs:///tmp/count";  // no pulses_per_km
  auto r = make_vehicle_signals(bad, io, clock);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("pulses_per_km"), std::string::npos);
}

}  // namespace
}  // namespace tta::vehicle
