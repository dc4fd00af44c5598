// Uplink codec throughput (Google Benchmark): a signed 0x0203 record and a 64 KiB photo
// (0x0306) split into sub-packets and reassembled. Figures go to uplink/BENCH_NOTES.md.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <optional>

#include "tta/core/time_util.hpp"
#include "tta/uplink/extension.hpp"
#include "tta/uplink/frame.hpp"
#include "tta/uplink/signing.hpp"
#include "tta/uplink/subpacket.hpp"

namespace {

using namespace tta::uplink;

const SigningKey& key() {
  static const SigningKey k = [] {
    auto made = make_self_signed_pkcs12("bench terminal", "bench");
    if (!made) std::abort();
    auto loaded = SigningKey::from_pkcs12(made->pkcs12_der, "bench");
    if (!loaded) std::abort();
    return *loaded;
  }();
  return k;
}

TrainingRecord record() {
  TrainingRecord r;
  r.record_no = "12345678901234562611270930";
  r.student_no = "STU0000000000001";
  r.coach_no = "COA0000000000001";
  r.class_id = 258;
  r.time_of_day_s = 9 * 3600 + 30 * 60;
  r.course_code = "1212110000";
  r.max_speed_dkmh = 456;
  r.mileage_hm = 12;
  r.gnss.basic.status_flags = kStatusAccOn | kStatusPositioned;
  r.gnss.basic.latitude_udeg = 30123456;
  r.gnss.basic.longitude_udeg = 120654321;
  r.gnss.basic.vehicle_speed_dkmh = 400;
  r.gnss.basic.gnss_speed_dkmh = 410;
  r.gnss.basic.direction_deg = 90;
  r.gnss.basic.time = tta::from_unix_seconds(1'795'000'000);
  r.gnss.odometer_hm = 123456;
  r.gnss.engine_speed_rpm = 2000;
  return r;
}

FrameHeader header() {
  FrameHeader h;
  h.msg_id = 0x0900;
  h.phone = "0000013800138000";
  return h;
}

// Sign (the re-send flag is in the signed bytes, so signing happens per send), frame, then
// split the wire bytes, unframe and decode the record again.
void BM_SignedRecord_EncodeDecode(benchmark::State& state) {
  const TrainingRecord rec = record();
  const SigningKey& k = key();
  std::uint16_t serial = 0;
  for (auto _ : state) {
    auto ext = make_extended(rec, serial, "1234567890123456");
    if (!ext || !sign_extended(*ext, k)) state.SkipWithError("sign");
    Frame f{header(), ext->encode().value()};
    f.header.serial = serial++;
    auto wire = encode_frame(f).value();
    FrameSplitter splitter;
    auto got = splitter.feed(wire);
    auto m = ExtendedMessage::decode(got.at(0).frame->body).value();
    auto back = TrainingRecord::decode(m.data);
    benchmark::DoNotOptimize(back);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SignedRecord_EncodeDecode)->Unit(benchmark::kMicrosecond);

// The codec alone: the record is signed once outside the loop.
void BM_SignedRecord_CodecOnly(benchmark::State& state) {
  auto ext = make_extended(record(), 1, "1234567890123456").value();
  if (!sign_extended(ext, key())) state.SkipWithError("sign");
  std::uint16_t serial = 0;
  for (auto _ : state) {
    Frame f{header(), ext.encode().value()};
    f.header.serial = serial++;
    auto wire = encode_frame(f).value();
    FrameSplitter splitter;
    auto got = splitter.feed(wire);
    auto m = ExtendedMessage::decode(got.at(0).frame->body).value();
    auto back = TrainingRecord::decode(m.data);
    benchmark::DoNotOptimize(back);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SignedRecord_CodecOnly)->Unit(benchmark::kMicrosecond);

// A 64 KiB JPEG as one signed 0x0306 in a 0x0900 split into sub-packets of range(0) bytes,
// framed, fed through the splitter in 1460-byte TCP-sized chunks, reassembled and decoded.
void BM_Photo64KiB_SplitReassemble(benchmark::State& state) {
  const std::size_t chunk = static_cast<std::size_t>(state.range(0));
  PhotoData photo;
  photo.photo_no = "0000000123";
  photo.jpeg.resize(64 * 1024);
  std::uint32_t x = 12345;
  for (auto& b : photo.jpeg) {
    x = x * 1103515245U + 12345U;
    b = static_cast<std::uint8_t>(x >> 24);
  }
  auto ext = make_extended(photo, 1, "1234567890123456").value();
  if (!sign_extended(ext, key())) state.SkipWithError("sign");
  const Bytes body = ext.encode().value();
  std::size_t frames = 0;
  for (auto _ : state) {
    auto parts = split_message(header(), body, chunk, 100).value();
    Bytes wire;
    for (const auto& p : parts) {
      auto w = encode_frame(p).value();
      wire.insert(wire.end(), w.begin(), w.end());
    }
    FrameSplitter splitter;
    Reassembler reasm;
    std::optional<Reassembled> done;
    for (std::size_t at = 0; at < wire.size(); at += 1460) {
      const std::size_t n = std::min<std::size_t>(1460, wire.size() - at);
      for (auto& r : splitter.feed(std::span(wire).subspan(at, n))) {
        auto res = reasm.feed(*r.frame, tta::MonoTime{});
        if (res && *res) done = std::move(**res);
      }
    }
    auto m = ExtendedMessage::decode(done->frame.body).value();
    auto back = PhotoData::decode(m.data);
    benchmark::DoNotOptimize(back);
    frames += parts.size();
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(frames));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * 64 * 1024);
  state.counters["photos_per_s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_Photo64KiB_SplitReassemble)->Arg(512)->Arg(1000)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
