#pragma once
/// What the daemon keeps for the timing platform's commands (terminal-protocol.md §2.4):
/// the application parameters of 0x8501/0x8503, stored minutes re-sent on request (0x8205),
/// and the platform's text messages for the terminal's screen (0x8101/0x8201 extra text,
/// 0x8502 ban message) with their read/unread state. All of it lives in the store's parameter
/// table, so it survives restarts; none of it does I/O besides the store.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "tta/config/config.hpp"
#include "tta/core/result.hpp"
#include "tta/store/store.hpp"
#include "tta/uplink/extension.hpp"

namespace tta::agent {

// ---- application parameters (0x8501 / 0x8503) ----------------------------------------------

/// The parameters as the config sets them, before the platform sent any.
[[nodiscard]] uplink::AppParams default_app_params(const config::TrainingConfig& training);
/// The parameters in force: the last ones the platform set, or the config's.
[[nodiscard]] Result<uplink::AppParams> current_app_params(store::Store& store,
                                                           const config::TrainingConfig& training);
/// `current` with what a 0x8501 sets: every field (param_no 0) or field param_no (1-10, in
/// the order of §2.4). Errc::invalid_argument for another param_no or a value that cannot work
/// (a photo or re-check interval of 0, a code outside its table).
[[nodiscard]] Result<uplink::AppParams> merge_app_params(const uplink::AppParams& current,
                                                         const uplink::SetAppParams& cmd);
[[nodiscard]] Status save_app_params(store::Store& store, const uplink::AppParams& p,
                                     std::int64_t now_ms);
[[nodiscard]] nlohmann::json app_params_json(const uplink::AppParams& p);
/// The training rules the engine takes from the parameters (photo and re-check intervals,
/// ignition-off delays).
void apply_app_params(config::TrainingConfig& training, const uplink::AppParams& p);

// ---- records on request (0x8205) -----------------------------------------------------------

/// The most records one 0x8205 is answered with (the rest: ask again with a later start).
inline constexpr int kMaxRecordsPerRequest = 1000;

/// The stored minutes a 0x8205 asks for: by time (minutes that started in [start, end]) or
/// the newest `count`, oldest first, at most kMaxRecordsPerRequest.
[[nodiscard]] Result<std::vector<store::MinuteRecord>> requested_minutes(
    store::Store& store, const uplink::RecordRequest& req);

/// A stored minute as a 0x0203 sent on request (report type 2). Values the store does not
/// have stay missing (written as 0 on the wire, with the stored status).
[[nodiscard]] uplink::TrainingRecord record_on_request(const store::MinuteRecord& m,
                                                       const store::TrainingSession& session);

// ---- photos on request (0x8302 / 0x8304) ---------------------------------------------------

/// The most photo numbers one 0x8302 is answered with: 0x0303 counts them in a BYTE.
inline constexpr int kMaxPhotosPerQuery = 255;
/// Photo numbers per 0x0303 message.
inline constexpr std::size_t kPhotoNosPerResult = 50;

/// The stored photos a 0x8302 asks for (mode 1: taken from `start` to the end of the second
/// `end`), oldest first, at most kMaxPhotosPerQuery. Errc::invalid_argument for another mode,
/// a missing time or an end before the start.
[[nodiscard]] Result<std::vector<std::string>> queried_photos(store::Store& store,
                                                              const uplink::PhotoQuery& query);

/// The 0x0303 messages that list `photo_nos`: kPhotoNosPerResult per message, `finished` on
/// the last; none found is one message with nothing in it, finished.
[[nodiscard]] std::vector<uplink::PhotoQueryResult> photo_query_results(
    const std::vector<std::string>& photo_nos);

/// Outbox key of a photo uploaded again on request: "<photo no.>#8304@<ms>". The forwarder
/// finds the photo by the part before '#'.
[[nodiscard]] std::string photo_request_key(std::string_view photo_no, std::int64_t now_ms);

/// The outbox entry that uploads stored photo `photo_no` again because the platform asked
/// (0x8304): the photo's own 0x0305 (event, position, confidence as they were) with upload
/// mode 1, "on request". Errc::not_found when there is no such photo.
[[nodiscard]] Result<store::OutboxEntry> photo_upload_on_request(store::Store& store,
                                                                 std::string_view photo_no,
                                                                 std::int64_t now_ms);

// ---- platform messages for the screen ------------------------------------------------------

struct PlatformMessage {
  std::int64_t id = 0;
  std::int64_t at_ms = 0;
  std::string source;  ///< e.g. "0x8502 training ban", "0x8201 student login reply"
  std::string text;    ///< UTF-8
  bool read_aloud = true;
  bool read = false;
};

/// Keep a message; returns its id (1, 2, …).
[[nodiscard]] Result<std::int64_t> add_message(store::Store& store, const std::string& source,
                                               const std::string& text, bool read_aloud,
                                               std::int64_t now_ms);
/// The newest `limit` messages, oldest first.
[[nodiscard]] Result<std::vector<PlatformMessage>> messages(store::Store& store, int limit);
/// Mark messages read (`ids` empty: all). Returns how many changed; Errc::not_found for an id
/// that does not exist (nothing is changed then).
[[nodiscard]] Result<int> ack_messages(store::Store& store, const std::vector<std::int64_t>& ids,
                                       std::int64_t now_ms);
[[nodiscard]] nlohmann::json message_json(const PlatformMessage& m);

}  // namespace tta::agent
