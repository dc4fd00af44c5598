// `enroll` and `people`: administrators enrol coaches and students with their photo; the
// face template is computed here and stored, with the photo, in the encrypted store.
#include <iostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "tta/core/clock.hpp"
#include "tta/core/ids.hpp"
#include "tta/face/engine.hpp"
#include "tta/face/image.hpp"
#include "tta/store/store.hpp"

namespace tta::agent {

namespace {

struct EnrollArgs {
  std::string config;
  std::string role;
  std::string number;
  std::string id_card;
  std::string name;
  std::string licence;
  std::vector<std::string> photos;  // 1 to face::kMaxEnrolImages
  bool json = false;
};

int enroll(const EnrollArgs& a) {
  auto cfg = load_config_or_report(a.config);
  if (!cfg) return kExitUsage;
  if (a.role != "coach" && a.role != "student") {
    std::cerr << "tta-agent enroll: --role must be coach or student\n";
    return kExitUsage;
  }
  for (const auto& st : {validate_national_number(a.number), validate_id_card(a.id_card)}) {
    if (!st) {
      std::cerr << "tta-agent enroll: " << st.error().message << '\n';
      return kExitUsage;
    }
  }
  if (!licence_class_code(a.licence)) {
    std::cerr << "tta-agent enroll: unknown licence class " << a.licence << '\n';
    return kExitUsage;
  }
  auto engine = face::FaceEngine::load(face::options_from_config(cfg->face));
  if (!engine) {
    std::cerr << "tta-agent enroll: face checks are unavailable: " << engine.error().message
              << '\n';
    return kExitFailure;
  }
  if (a.photos.empty() || a.photos.size() > face::kMaxEnrolImages) {
    std::cerr << "tta-agent enroll: give 1 to " << face::kMaxEnrolImages << " photos\n";
    return kExitUsage;
  }
  std::vector<face::Image> images;
  for (const auto& photo : a.photos) {
    auto image = face::load_image(photo);
    if (!image) {
      std::cerr << "tta-agent enroll: " << image.error().message << '\n';
      return image.error().code == Errc::not_found ? kExitUsage : kExitNoFace;
    }
    images.push_back(std::move(*image));
  }
  // Every photo must pass the quality gate; the template is their mean embedding.
  auto enrolment = engine->enrol_all(images);
  if (!enrolment) {
    std::cerr << "tta-agent enroll: " << (a.photos.size() == 1 ? a.photos.front() + ": " : "")
              << enrolment.error().message << '\n';
    return enrolment.error().code == Errc::refused ? kExitNoFace : kExitFailure;
  }
  auto store = store::Store::open(cfg->store);
  if (!store) {
    std::cerr << "tta-agent enroll: " << store.error().message << '\n';
    return exit_code_for(store.error());
  }
  SystemClock clock;
  const auto now = unix_millis(clock.wall_now());
  auto existing = store->people().find(a.number);
  if (!existing) {
    std::cerr << "tta-agent enroll: " << existing.error().message << '\n';
    return kExitFailure;
  }
  if (*existing) {
    // Re-enrolment: a new template, the old one kept in the history.
    if (auto st = store->people().update_face((*existing)->id, enrolment->templ.bytes,
                                     enrolment->photo_jpeg, now);
        !st) {
      std::cerr << "tta-agent enroll: " << st.error().message << '\n';
      return kExitFailure;
    }
  } else {
    store::Person p{.role = a.role == "coach" ? store::Role::coach : store::Role::student,
                    .national_no = a.number, .id_card = a.id_card, .name = a.name,
                    .licence_class = a.licence, .face_template = enrolment->templ.bytes,
                    .enrol_photo_jpeg = enrolment->photo_jpeg};
    if (auto id = store->people().add(p, now); !id) {
      std::cerr << "tta-agent enroll: " << id.error().message << '\n';
      return kExitFailure;
    }
  }
  (void)store->log_event("person.enrolled", a.role + " " + a.number, now);
  if (a.json) {
    std::cout << nlohmann::json{{"number", a.number}, {"role", a.role},
                                {"re_enrolled", static_cast<bool>(*existing)},
                                {"photos", a.photos.size()}}
                     .dump()
              << '\n';
  } else {
    std::cout << (*existing ? "re-enrolled " : "enrolled ") << a.role << ' ' << a.number << " ("
              << a.name << ")\n";
  }
  return kExitOk;
}

// `disable` / `enable`: what the administrator's people page does, for a terminal without it.
int set_disabled(const std::string& file, const std::string& number, const std::string& by,
                 bool disabled) {
  const char* name = disabled ? "disable" : "enable";
  auto cfg = load_config_or_report(file);
  if (!cfg) return kExitUsage;
  if (by.empty() || by.size() > 64) {
    std::cerr << "tta-agent " << name << ": --by must name who does it (1-64 characters)\n";
    return kExitUsage;
  }
  auto store = store::Store::open(cfg->store);
  if (!store) {
    std::cerr << "tta-agent " << name << ": " << store.error().message << '\n';
    return exit_code_for(store.error());
  }
  SystemClock clock;
  const auto now = unix_millis(clock.wall_now());
  if (auto st = store->people().set_disabled(number, disabled, by, now); !st) {
    std::cerr << "tta-agent " << name << ": " << st.error().message << '\n';
    return st.error().code == Errc::not_found ? kExitUsage : kExitFailure;
  }
  (void)store->log_event(disabled ? "person.disabled" : "person.enabled", number + " by " + by, now);
  std::cout << (disabled ? "disabled " : "enabled ") << number
            << (disabled ? ": no check-in until enabled again\n" : "\n");
  return kExitOk;
}

}  // namespace

void add_people_commands(CLI::App& app, int& exit_code) {
  {
    auto* cmd = app.add_subcommand("enroll", "Enrol a coach or student with a face photo");
    auto a = std::make_shared<EnrollArgs>();
    cmd->add_option("--config", a->config, "TOML config file")->required();
    cmd->add_option("--role", a->role, "coach or student")->required();
    cmd->add_option("--number", a->number, "16-character national number")->required();
    cmd->add_option("--id-card", a->id_card, "18-character ID-card number")->required();
    cmd->add_option("--name", a->name, "name (UTF-8)")->required();
    cmd->add_option("--licence", a->licence, "licence class, e.g. C1")->required();
    cmd->add_option("--photo", a->photos,
                    "enrolment photo (JPEG/PNG); repeat for up to 5 photos of the same person, "
                    "each of which must show a usable face")
        ->required()
        ->expected(1, static_cast<int>(face::kMaxEnrolImages));
    cmd->add_flag("--json", a->json, "print one JSON object");
    cmd->callback([a, &exit_code] { exit_code = enroll(*a); });
  }
  for (const bool disabled : {true, false}) {
    auto* cmd = app.add_subcommand(
        disabled ? "disable" : "enable",
        disabled ? "Disable a coach or student: no check-in until enabled again (checking out stays possible)"
                 : "Enable a disabled coach or student again");
    auto file = std::make_shared<std::string>();
    auto number = std::make_shared<std::string>();
    auto by = std::make_shared<std::string>();
    cmd->add_option("--config", *file, "TOML config file")->required();
    cmd->add_option("--number", *number, "16-character national number")->required();
    cmd->add_option("--by", *by, "who does it (kept in the store and the event log)")->required();
    cmd->callback([file, number, by, disabled, &exit_code] {
      exit_code = set_disabled(*file, *number, *by, disabled);
    });
  }
  {
    auto* cmd = app.add_subcommand("people", "List enrolled coaches and students");
    auto file = std::make_shared<std::string>();
    auto json = std::make_shared<bool>(false);
    cmd->add_option("--config", *file, "TOML config file")->required();
    cmd->add_flag("--json", *json, "print one JSON array");
    cmd->callback([file, json, &exit_code] {
      auto cfg = load_config_or_report(*file);
      if (!cfg) {
        exit_code = kExitUsage;
        return;
      }
      auto store = store::Store::open(cfg->store);
      if (!store) {
        std::cerr << "tta-agent people: " << store.error().message << '\n';
        exit_code = exit_code_for(store.error());
        return;
      }
      auto people = store->people().all();
      if (!people) {
        std::cerr << "tta-agent people: " << people.error().message << '\n';
        exit_code = kExitFailure;
        return;
      }
      nlohmann::json out = nlohmann::json::array();
      for (const auto& p : *people) {
        const char* role = p.role == store::Role::coach ? "coach" : "student";
        out.push_back({{"number", p.national_no}, {"role", role}, {"name", p.name},
                       {"licence_class", p.licence_class},
                       {"face_enrolled", !p.face_template.empty()},
                       {"disabled", p.disabled_at_ms.has_value()},
                       {"disabled_by", p.disabled_at_ms ? nlohmann::json(p.disabled_by) : nlohmann::json(nullptr)}});
        if (!*json) {
          std::cout << role << '\t' << p.national_no << '\t' << p.licence_class << '\t' << p.name
                    << (p.face_template.empty() ? "\t(no face)" : "")
                    << (p.disabled_at_ms ? "\t(disabled by " + p.disabled_by + ")" : "") << '\n';
        }
      }
      if (*json) std::cout << out.dump() << '\n';
      exit_code = kExitOk;
    });
  }
}

}  // namespace tta::agent
