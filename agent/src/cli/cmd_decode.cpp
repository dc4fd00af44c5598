// `tta-agent decode HEX [--json]`: explain one captured frame field by field.
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "tta/core/hex.hpp"
#include "tta/uplink/explain.hpp"

namespace tta::agent {
namespace {

nlohmann::ordered_json to_json(const uplink::ExplainedField& f) {
  using K = uplink::ExplainedField::Kind;
  switch (f.kind) {
    case K::null:
      return nullptr;
    case K::boolean:
      return f.boolean;
    case K::integer:
      return f.integer;
    case K::real:
      return f.real;
    case K::text:
      return f.text;
    case K::array: {
      auto arr = nlohmann::ordered_json::array();
      for (const auto& c : f.children)
        arr.push_back(to_json(c));
      return arr;
    }
    case K::object: {
      auto obj = nlohmann::ordered_json::object();
      for (const auto& c : f.children) {
        obj[c.name] = to_json(c);
        // Code meanings and message names ride along as "<name>_text".
        if (!c.note.empty() && c.kind != K::object && c.kind != K::array) {
          obj[c.name + "_text"] = c.note;
        }
      }
      return obj;
    }
  }
  return nullptr;
}

}  // namespace

void add_decode_command(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand(
      "decode", "Explain one JT/T 808 driving-training frame given as hex (spaces allowed)");
  auto words = std::make_shared<std::vector<std::string>>();
  auto json = std::make_shared<bool>(false);
  cmd->add_option("hex", *words, "the frame, 7e … 7e, as hex; several arguments are joined")
      ->required();
  cmd->add_flag("--json", *json, "print one JSON object instead of text");
  cmd->callback([words, json, &exit_code] {
    std::string text;
    for (const auto& w : *words)
      text += w + " ";
    auto bytes = from_hex(text);
    if (!bytes) {
      std::cerr << "bad frame: not hex: " << bytes.error().message << '\n';
      exit_code = kExitBadFrame;
      return;
    }
    auto explained = uplink::explain_frame(*bytes);
    if (!explained) {
      std::cerr << "bad frame: " << explained.error().message << '\n';
      exit_code = kExitBadFrame;
      return;
    }
    if (*json) {
      std::cout << to_json(*explained).dump(2) << '\n';
    } else {
      std::cout << uplink::format_explanation(*explained);
    }
    exit_code = kExitOk;
  });
}

}  // namespace tta::agent
