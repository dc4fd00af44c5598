#pragma once
/// The training engine: timed training sessions of a vehicle terminal (training-rules.md,
/// terminal-protocol.md §2.5). It turns check-ins, GNSS fixes and vehicle signals into
/// stored records — coach and student logins and logouts, one training-minute record per
/// minute with the audit rules applied live, and evidence photos — each written to the
/// encrypted store together with its outbox entry, from where the forwarder delivers it.
///
/// Time comes from the fixes (GNSS time), so a replayed route runs an hour of training in
/// seconds and tests need no clock at all. The engine does no I/O of its own besides the
/// store, and runs on the event-loop thread.

#include <cstdint>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "training/logins_state.hpp"
#include "tta/config/config.hpp"
#include "tta/core/clock.hpp"
#include "tta/core/result.hpp"
#include "tta/gps/geo.hpp"
#include "tta/gps/odometer.hpp"
#include "tta/gps/plausibility.hpp"
#include "tta/store/store.hpp"
#include "tta/uplink/position.hpp"
#include "tta/vehicle/sample.hpp"

namespace tta::agent {

/// The result of one face check, made by the caller with the face module.
struct FaceEvidence {
  bool performed = false;   ///< false: no check was possible (no camera, no models)
  bool matched = false;
  std::uint8_t confidence = 0;       ///< 0-100, travels with the photo
  std::vector<std::uint8_t> jpeg;    ///< the evidence photo (stamped), may be empty
  std::uint8_t size_code = 1;
  std::string outcome;               ///< e.g. "match", "no face", "spoof"
  /// The camera could not be opened or gave no frame: nobody could be looked at (a check-in
  /// answers 503 camera_unavailable; `outcome` says why in words).
  bool camera_unavailable = false;
  /// How liveness was judged, when the check got that far (a face in view): the check-in
  /// reply and the screens carry it (issue #17 item 6).
  struct Liveness {
    std::string outcome;           ///< "live", "inconclusive" or "spoof"
    std::string decided_by;        ///< the deciding test: none, model, passive, blink, turn
    std::string challenge;         ///< what the person was asked to do: none, blink, turn
    bool challenge_met = false;    ///< the challenge's action was seen
    double score = 0;              ///< the liveness model's mean score over usable frames, 0-1
    std::uint32_t frames = 0;      ///< frames with a usable face
    std::string words, words_zh;   ///< why it was not live, for the person; empty when live
  };
  std::optional<Liveness> liveness;
};

using vehicle::VehicleSample;

/// Why a minute is abnormal (stored on the minute, comma-separated, in this spelling).
namespace flag {
inline constexpr const char* kOutsideFence = "outside_fence";
inline constexpr const char* kNoGnss = "no_gnss";
inline constexpr const char* kEngineSpeedMissing = "engine_speed_missing";
inline constexpr const char* kEngineSpeedZero = "engine_speed_zero";
inline constexpr const char* kStationary = "stationary";
inline constexpr const char* kOutOfHours = "out_of_hours";
inline constexpr const char* kOverDailyCap = "over_daily_cap";
inline constexpr const char* kRecheckFailed = "recheck_failed";
inline constexpr const char* kPositionJump = "gnss_jump";
inline constexpr const char* kFrozenFix = "gnss_frozen";
inline constexpr const char* kTimeBackwards = "time_backwards";
inline constexpr const char* kSpeedMismatch = "speed_mismatch";
inline constexpr const char* kMissingPhoto = "missing_photo";
}  // namespace flag

/// One checked-in student, as the control API shows it (both modes).
struct StudentStatus {
  std::string student_no;
  std::string course_code;
  std::uint32_t class_id = 0;
  std::int64_t session_id = 0;
  WallTime since{};
  std::uint32_t minutes = 0;          ///< minute records made in this login
  std::uint32_t minutes_counted = 0;  ///< of which counted
  std::uint32_t mileage_hm = 0;
  bool recheck_failed = false;        ///< minutes stop counting until a passing re-check
  std::optional<WallTime> next_recheck;  ///< classroom: when the next identity re-check is due
  bool continuing_education = false;  ///< the course belongs to a continuing-education programme
  std::vector<std::string> warnings;  ///< rule warnings of this student's last minute
};

/// A rule that holds against the open minute: what the screen shows before the minute is
/// made, so a person can still act ("stationary: move within 40 s or this minute is void").
/// The minute's own flags are still decided when it closes (make_minute); this is advice.
struct LiveWarning {
  std::string code;                 ///< a flag:: spelling
  std::optional<int> seconds_left;  ///< until the open minute closes, when acting still helps
  bool operator==(const LiveWarning&) const = default;
};

/// Live view for the control API and the demo report.
struct EngineStatus {
  std::string mode = "vehicle";  ///< "vehicle" or "classroom"
  std::string coach_no;          ///< the coach (vehicle) or lecturer (classroom), if logged in
  std::string student_no;        ///< vehicle: the student; classroom: the first one checked in
  std::uint32_t class_id = 0;
  std::uint32_t minutes_made = 0;     ///< since the process started
  std::uint32_t minutes_counted = 0;  ///< since the process started
  std::uint32_t mileage_hm = 0;
  bool banned = false;
  std::string ban_message;
  std::vector<std::string> warnings;  ///< rule warnings of the last minute
  std::vector<StudentStatus> students;  ///< everyone checked in (one at most in a vehicle)
};

/// What both engines keep the same way about themselves: counts since start-up, a platform
/// ban, the last minute's warnings (their part of EngineStatus).
struct EngineTally {
  std::uint32_t minutes_made = 0;     ///< since the process started
  std::uint32_t minutes_counted = 0;  ///< since the process started
  bool banned = false;
  std::string ban_message;
  std::vector<std::string> warnings;  ///< rule warnings of the last minute

  /// Copy into `st`: minutes made and counted, the ban, the warnings.
  void fill(EngineStatus& st) const;
};

/// The refusal of a check-in by someone an administrator disabled (Errc::refused, saying so),
/// or ok. Checking out stays possible: someone disabled while on board can still leave.
[[nodiscard]] Status person_may_check_in(store::Store& store, const std::string& no);
inline constexpr std::string_view kPersonDisabled = "person_disabled";  ///< the screens' reason code

/// What both engines share: people and face checks, evidence photos, outbox entries and the
/// event log, all written to the store.
class Recorder {
 public:
  static constexpr std::uint8_t kUploadTerminalInitiated = 129;  ///< 0x0305 upload mode

  explicit Recorder(store::Store& store) : store_(store) {}
  [[nodiscard]] store::Store& store() { return store_; }
  void on_outbox(std::function<void()> fn) { on_outbox_ = std::move(fn); }
  void poke() const {
    if (on_outbox_) on_outbox_();
  }
  /// Enrolled with this role, and the face check was made and matched.
  [[nodiscard]] Status check_person(const std::string& no, store::Role role,
                                    const FaceEvidence& face);
  /// check_person for a check-in: besides, not disabled by an administrator.
  [[nodiscard]] Status check_login(const std::string& no, store::Role role,
                                   const FaceEvidence& face);
  /// Store an evidence photo with its 0x0305 outbox entry (nothing to store: ok, not stored).
  /// `upload_mode` as 0x0305 carries it: 129 terminal-initiated, 1 or 255 a photo the
  /// platform asked for with 0x8301 (its mode).
  [[nodiscard]] Status add_photo(const std::string& person_no, std::uint32_t class_id,
                                 std::uint8_t event, const FaceEvidence& face, WallTime now,
                                 const uplink::PositionBlock& pos,
                                 std::uint8_t upload_mode = kUploadTerminalInitiated);
  [[nodiscard]] Status queue_ext(std::uint16_t ext_id, const std::string& key,
                                 Result<std::vector<std::uint8_t>> data, WallTime now);
  void event(const std::string& kind, const std::string& detail, WallTime now);
  /// The terminal number kept from registration; empty when not registered yet.
  [[nodiscard]] std::string stored_terminal_no();
  /// Storage nearly full: timed photos stop (minutes go on) until it has room again. A change
  /// is logged as "photos.paused" / "photos.resumed".
  void set_timed_photos_paused(bool paused, WallTime now);
  [[nodiscard]] bool timed_photos_paused() const { return photos_paused_; }

 private:
  store::Store& store_;
  std::function<void()> on_outbox_;
  bool photos_paused_ = false;
};

/// A coach (or lecturer) logs in or out: the photo (`photo_event` 20 in, 21 out, when the
/// face check left one), the 0x0101 / 0x0102 `message` queued under "COACH@ms", and `next`
/// saved as the engine's logins, all in one transaction (both engines).
[[nodiscard]] Status store_coach_change(Recorder& rec, SavedLogins& logins,
                                        const PersistedLogins& next, const std::string& coach_no,
                                        std::uint8_t photo_event, std::uint16_t ext_id,
                                        Result<std::vector<std::uint8_t>> message,
                                        const FaceEvidence& face,
                                        const uplink::PositionBlock& pos, WallTime now);

/// Start of the local (GMT+8) day holding `t`, as Unix ms.
[[nodiscard]] std::int64_t local_day_start_ms(WallTime t);
/// Outside the allowed training hours of the day (training.day_start … day_end, local time).
[[nodiscard]] bool out_of_hours(const config::TrainingConfig& t, WallTime minute_start);
/// "a,b,c"
[[nodiscard]] std::string join_flags(const std::vector<std::string>& flags);

class TrainingEngine {
 public:
  /// `terminal_no` is the 16-character number from registration (empty: logins are refused
  /// until it is known).
  TrainingEngine(store::Store& store, const config::Config& cfg, std::string terminal_no);

  void set_terminal_no(std::string terminal_no) { terminal_no_ = std::move(terminal_no); }
  /// New training rules (0x8501 application parameters): intervals and caps apply from the
  /// next check, e.g. the next timed photo is due photo_interval_min after the last one.
  void set_training(const config::TrainingConfig& t) { cfg_.training = t; }
  /// Called after anything was queued in the outbox (the agent pokes the forwarder).
  void on_outbox(std::function<void()> fn) { rec_.on_outbox(std::move(fn)); }

  /// Once at start-up: restore the coach and the student's open session (class ID, course,
  /// minutes, mileage and counted minutes so far, from the stored minutes) that a killed
  /// process left behind, and log "session.resumed". Minutes of the downtime stay missing:
  /// the first minute counted again is the first whole one after the first fix, and a minute
  /// already stored under the same record number is skipped quietly.
  [[nodiscard]] Status resume(WallTime now);
  /// Called when a timed photo (event 19) or an identity re-check is due; the agent takes the
  /// picture and answers with add_timed_photo / recheck.
  void on_photo_due(std::function<void()> fn) { on_photo_due_ = std::move(fn); }
  void on_recheck_due(std::function<void()> fn) { on_recheck_due_ = std::move(fn); }

  /// 禁训 from the platform (0x8502): refuses logins; ends a running session (tried again at
  /// every fix while the store refuses the check-out).
  void set_ban(bool banned, std::string message, WallTime now);
  /// Storage nearly full: no timed photos (event 19) are asked for; minutes go on (flagged
  /// missing_photo, as the rules say). Logged once per change.
  void set_timed_photos_paused(bool paused, WallTime now) {
    rec_.set_timed_photos_paused(paused, now);
  }
  [[nodiscard]] bool timed_photos_paused() const { return rec_.timed_photos_paused(); }

  /// What the training state says to a login before anyone's face is checked: ok, or the
  /// refusal the login itself would give (terminal not registered, ban, someone there, course).
  [[nodiscard]] Status can_coach_login() const;
  [[nodiscard]] Status can_student_login(const std::string& course_code) const;
  /// Check-ins and check-outs write everything (session row, photo, outbox entries, saved
  /// logins) in one store transaction and change the engine's state only after it committed;
  /// on an error nothing was written, nobody changed places, and the error is returned.
  [[nodiscard]] Status coach_login(const std::string& coach_no, const FaceEvidence& face,
                                   WallTime now);
  [[nodiscard]] Result<std::uint32_t> student_login(const std::string& student_no,
                                                    const std::string& course_code,
                                                    const FaceEvidence& face, WallTime now);
  [[nodiscard]] Status student_logout(const FaceEvidence& face, WallTime now);
  [[nodiscard]] Status coach_logout(const FaceEvidence& face, WallTime now);
  /// The identity re-check result: a failure stops the clock until a passing check.
  [[nodiscard]] Status recheck(const FaceEvidence& face, WallTime now);
  /// A timed photo during training (event 19).
  [[nodiscard]] Status add_timed_photo(const FaceEvidence& face, WallTime now);

  /// Feed every GNSS fix; minutes are made as fix time crosses minute boundaries.
  void on_fix(const gps::Fix& fix, MonoTime received);
  void on_vehicle(const VehicleSample& v);
  /// No fix comes (no receiver, gpsd down): the daemon's clock moves the minutes on instead,
  /// each made with no position and flagged no_gnss, and the timers (photos, re-checks,
  /// ignition off) still run. `now` is the daemon's time (GNSS time carried forward).
  void on_clock(WallTime now);

  [[nodiscard]] EngineStatus status() const;
  /// The rules that hold against the open minute of the student on board, at GNSS time (the
  /// last fix); empty when no student is on board or no fix came yet.
  [[nodiscard]] std::vector<LiveWarning> live_warnings() const;
  /// The last position block (for logins and photos); missing values stay missing.
  [[nodiscard]] uplink::PositionBlock position_block() const;
  /// The ignition as the vehicle signals last said it at `now` (nullopt: not known or stale).
  [[nodiscard]] std::optional<bool> ignition_on(WallTime now) const {
    auto v = fresh_vehicle(now);
    return v ? v->ignition_on : std::nullopt;
  }

 private:
  struct Student {
    std::string student_no;
    std::string course_code;
    std::uint32_t class_id = 0;
    std::int64_t session_id = 0;
    WallTime since{};
    WallTime last_photo{};        ///< when a timed photo was last asked for
    WallTime last_photo_taken{};  ///< when one was last stored (a failed one is not)
    WallTime last_recheck{};
    bool recheck_failed = false;
    std::uint16_t minutes = 0;
    std::uint32_t mileage_hm = 0;
    std::int64_t counted_today = 0;  ///< counted minutes today before this session
    std::int64_t counted = 0;        ///< counted minutes in this session
    std::int64_t day_start_ms = 0;
    bool resumed = false;             ///< restored by resume(); minutes before the next fix are partial
    std::optional<WallTime> resumed_at;  ///< time of the first fix after resume()
  };

  Status add_photo(const std::string& person_no, std::uint32_t class_id, std::uint8_t event,
                   const FaceEvidence& face, WallTime now) {
    return rec_.add_photo(person_no, class_id, event, face, now, position_block());
  }
  void event(const std::string& kind, const std::string& detail, WallTime now) {
    rec_.event(kind, detail, now);
  }
  /// Who is logged in, as saved in the store.
  [[nodiscard]] PersistedLogins snapshot() const;
  /// Write who is logged in to the store (outside check-ins and check-outs; errors logged).
  void persist(WallTime now);
  void make_minute(const gps::MinuteRecord& m);
  void check_timers(WallTime now);
  Status end_student(const FaceEvidence& face, WallTime now, const char* why);
  [[nodiscard]] std::optional<VehicleSample> fresh_vehicle(WallTime at) const;

  store::Store& store_;
  Recorder rec_;
  SavedLogins logins_;  ///< who is logged in, kept in the store
  config::Config cfg_;
  std::string terminal_no_;
  std::function<void()> on_photo_due_;
  std::function<void()> on_recheck_due_;

  gps::Odometer odometer_;
  gps::MinuteAccumulator minutes_;
  gps::PlausibilityMonitor plausibility_;
  gps::FenceMonitor fences_;
  std::optional<gps::Fix> last_fix_;
  std::set<std::string> minute_signals_;  ///< anti-cheat signals seen in the open minute
  VehicleSample vehicle_;
  std::optional<WallTime> ignition_off_since_;

  std::optional<std::string> coach_no_;
  std::optional<Student> student_;
  std::uint32_t last_class_id_ = 0;  ///< class IDs only grow (kept across restarts)
  EngineTally tally_;
  bool prev_minute_still_ = false;
};

/// Record number BYTE[26]: terminal no. + YYMMDD + minute of the day 0000-1439 (GMT+8),
/// unique per terminal per minute (terminal-protocol.md §2.3).
[[nodiscard]] std::string record_number(const std::string& terminal_no, WallTime minute_start);

}  // namespace tta::agent
