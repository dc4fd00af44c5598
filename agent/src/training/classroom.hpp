#pragma once
/// The classroom engine: a kiosk runs a class (terminal.mode = "classroom", course codes with
/// teaching mode 2, a fixed position from [classroom]). Many students check in and out by face
/// at any time; each gets one training-minute record (0x0203) per whole minute while checked
/// in, capped per student per day (training.daily_classroom_max_min), with identity re-checks
/// at random moments and timed photos (event 19). Sessions are stored with mode "classroom"
/// and their course code, so progress sums them (continuing education included).
///
/// Minutes are driven by time ticks: the agent calls on_tick every second from its clock,
/// tests call it with a fake time. Like TrainingEngine it does no I/O besides the store and
/// runs on the event-loop thread; what it shares with it lives in Recorder (engine.hpp).

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <string_view>

#include "training/engine.hpp"

namespace tta::agent {

/// True when `course` matches a course pattern of a [[syllabus]] programme of kind
/// "continuing" (digits, '?' = any digit).
[[nodiscard]] bool is_continuing_education(const config::Config& cfg, std::string_view course);

class ClassroomEngine {
 public:
  /// `terminal_no` as for TrainingEngine (empty: the stored registration is used, else
  /// check-ins are refused). `seed` drives the random re-check moments (tests fix it).
  ClassroomEngine(store::Store& store, const config::Config& cfg, std::string terminal_no,
                  std::uint64_t seed = std::random_device{}());

  void set_terminal_no(std::string terminal_no) { terminal_no_ = std::move(terminal_no); }
  /// New training rules (0x8501), as TrainingEngine::set_training.
  void set_training(const config::TrainingConfig& t) { cfg_.training = t; }
  void on_outbox(std::function<void()> fn) { rec_.on_outbox(std::move(fn)); }
  /// A timed photo / identity re-check of this student is due: the agent takes the picture
  /// and answers with add_timed_photo / recheck.
  using StudentCallback = std::function<void(const std::string& student_no)>;
  void on_photo_due(StudentCallback fn) { on_photo_due_ = std::move(fn); }
  void on_recheck_due(StudentCallback fn) { on_recheck_due_ = std::move(fn); }

  /// 禁训 (0x8502): refuses check-ins and checks everyone out (a check-out the store refused
  /// is tried again at every tick).
  void set_ban(bool banned, std::string message, WallTime now);
  /// Storage nearly full: as TrainingEngine::set_timed_photos_paused.
  void set_timed_photos_paused(bool paused, WallTime now) {
    rec_.set_timed_photos_paused(paused, now);
  }
  [[nodiscard]] bool timed_photos_paused() const { return rec_.timed_photos_paused(); }
  /// Check-ins and check-outs are one store transaction each, as TrainingEngine's.

  /// The lecturer (enrolled as a coach; 0x0101/0x0102, photos 20/21). Needed before students
  /// only with classroom.require_lecturer; logging out needs every student out first.
  /// What the class's state says to a login before anyone's face is checked: ok, or the
  /// refusal the login itself would give. A student's check also refreshes the terminal
  /// number from the store, as the login does.
  [[nodiscard]] Status can_lecturer_login() const;
  [[nodiscard]] Status can_student_login(const std::string& student_no,
                                         const std::string& course_code);
  [[nodiscard]] Status lecturer_login(const std::string& coach_no, const FaceEvidence& face,
                                      WallTime now);
  [[nodiscard]] Status lecturer_logout(const FaceEvidence& face, WallTime now);

  /// Check a student in (0x0201, photo 17, a new class ID). `course_code` empty: the class's
  /// course from the config; otherwise 10 digits with teaching mode 2.
  [[nodiscard]] Result<std::uint32_t> student_login(const std::string& student_no,
                                                    const std::string& course_code,
                                                    const FaceEvidence& face, WallTime now);
  /// Check a student out (photo 18, 0x0202 with this login's minutes).
  [[nodiscard]] Status student_logout(const std::string& student_no, const FaceEvidence& face,
                                      WallTime now);
  /// The answer to a re-check: a failure flags the student's minutes until a passing check.
  [[nodiscard]] Status recheck(const std::string& student_no, const FaceEvidence& face,
                               WallTime now);
  [[nodiscard]] Status add_timed_photo(const std::string& student_no, const FaceEvidence& face,
                                       WallTime now);

  /// Make every whole minute that ended by `now`, and ask for photos and re-checks that are
  /// due. Time going backwards is ignored; a jump forward of more than a minute (the loop
  /// did not run) leaves the minutes it skipped missing.
  void on_tick(WallTime now);

  /// Once at start-up: restore the lecturer and every checked-in student (class ID, course,
  /// minutes so far from the stored minutes) and log "session.resumed". The first minute
  /// made again is the first whole one after `now`.
  [[nodiscard]] Status resume(WallTime now);

  [[nodiscard]] EngineStatus status() const;
  /// The classroom's fixed position at `now` (for logins and photos).
  [[nodiscard]] uplink::PositionBlock position_block(WallTime now) const;

 private:
  struct Student {
    std::string student_no;
    std::string course_code;
    std::uint32_t class_id = 0;
    std::int64_t session_id = 0;
    WallTime since{};
    WallTime next_minute{};       ///< start of the next minute to make
    WallTime last_photo_asked{};  ///< a timed photo was last asked for (or one was taken)
    WallTime last_photo_taken{};  ///< a photo (17 or 19) was last stored
    WallTime last_recheck{};
    WallTime next_recheck{};
    bool recheck_failed = false;
    bool continuing_education = false;
    std::uint32_t minutes = 0;
    std::uint32_t counted = 0;
    std::int64_t day_start_ms = -1;  ///< the day `counted_in_day` is for
    std::int64_t counted_in_day = 0;   ///< counted classroom minutes that day, every session
    std::vector<std::string> warnings;
  };

  [[nodiscard]] WallTime draw_next_recheck(WallTime from);
  [[nodiscard]] Result<std::string> next_record_number(WallTime minute_start);
  void make_minute(Student& s, WallTime minute_start);
  Status end_student(const std::string& student_no, const FaceEvidence& face, WallTime now,
                     const char* why);
  [[nodiscard]] PersistedLogins snapshot() const;
  void persist(WallTime now);

  store::Store& store_;
  Recorder rec_;
  SavedLogins logins_;  ///< who is logged in, kept in the store
  config::Config cfg_;
  std::string terminal_no_;
  std::mt19937_64 rng_;
  StudentCallback on_photo_due_;
  StudentCallback on_recheck_due_;

  std::optional<std::string> lecturer_no_;
  std::map<std::string, Student> students_;  ///< by student number
  std::uint32_t last_class_id_ = 0;
  std::optional<WallTime> last_tick_;
  bool warned_backwards_ = false;
  EngineTally tally_;
};

}  // namespace tta::agent
