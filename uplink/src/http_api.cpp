// The supervision platform's resources as a table; signing per platform-http.md.
#include "tta/uplink/http_api.hpp"

#include <algorithm>
#include <cstdint>

#include <nlohmann/json.hpp>

#include "tta/core/hex.hpp"

namespace tta::uplink {
namespace {

using ojson = nlohmann::ordered_json;
constexpr std::string_view kFileMagic = "TTAFILE1\n";

std::vector<HttpResource> make_defaults() {
  std::vector<HttpResource> t;
  auto add = [&](std::string name, HttpBody body, std::vector<std::string> fields,
                 std::vector<std::string> key) {
    HttpResource r;
    r.path = name;
    r.name = std::move(name);
    r.body = body;
    r.fields = std::move(fields);
    r.key_fields = std::move(key);
    t.push_back(std::move(r));
  };
  add("imageup", HttpBody::multipart, {}, {});
  add("classrecord", HttpBody::json,
      {"inscode", "stunum", "coachnum", "carnum", "simunum", "platnum", "recnum", "subjcode",
       "photo1", "photo2", "photo3", "starttime", "endtime", "duration", "mileage",
       "avevelocity", "coacmt", "total", "part1", "part2", "part3", "part4"},
      {"recnum"});
  add("trainimginfo", HttpBody::json,
      {"inscode", "stunum", "coachnum", "subjcode", "platnum", "recnum", "ptime", "fileid"},
      {"fileid"});
  add("stagetrainningtime", HttpBody::json,
      {"inscode", "stunum", "subject", "totaltime", "vehicletime", "classtime", "simulatortime",
       "networktime", "duration", "examresult", "mileage", "rectype", "recarray", "pdfid",
       "esignature"},
      {"stunum", "subject"});
  add("graduation", HttpBody::json,
      {"stunum", "autinscode", "gracertnum", "grantdate", "pdfid", "esignature"},
      {"gracertnum"});
  add("stuinfoquery", HttpBody::none, {}, {});
  add("traininfo", HttpBody::none, {}, {});
  return t;
}

std::string strip_slash(std::string s) {
  while (!s.empty() && s.back() == '/') s.pop_back();
  return s;
}

/// Query values here are hex, digits and version strings; escape anything else anyway.
std::string url_escape(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '_' || c == '.' || c == '~') {
      out += ch;
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 0x0F];
    }
  }
  return out;
}

std::string key_text(const ojson& v) {
  return v.is_string() ? v.get<std::string>() : v.dump();
}

Result<ojson> parse_object(std::span<const std::uint8_t> payload) {
  ojson j = ojson::parse(payload.begin(), payload.end(), nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    return fail(Errc::parse, "payload is not a JSON object");
  }
  return j;
}

}  // namespace

const std::vector<HttpResource>& default_http_resources() {
  static const std::vector<HttpResource> table = make_defaults();
  return table;
}

// ---- file payloads ---------------------------------------------------------------------------

std::vector<std::uint8_t> encode_file_payload(const FileUpload& f) {
  const std::string header = ojson{{"type", f.type},
                                   {"filename", f.filename},
                                   {"content_type", f.content_type}}
                                 .dump(-1, ' ', false, ojson::error_handler_t::replace);
  std::vector<std::uint8_t> out(kFileMagic.begin(), kFileMagic.end());
  out.insert(out.end(), header.begin(), header.end());
  out.push_back('\n');
  out.insert(out.end(), f.bytes.begin(), f.bytes.end());
  return out;
}

Result<FileUpload> decode_file_payload(std::span<const std::uint8_t> payload) {
  if (payload.size() < kFileMagic.size() ||
      !std::equal(kFileMagic.begin(), kFileMagic.end(), payload.begin())) {
    return fail(Errc::parse, "not a file payload (no TTAFILE1 header)");
  }
  const auto rest = payload.subspan(kFileMagic.size());
  const auto nl = std::find(rest.begin(), rest.end(), std::uint8_t{'\n'});
  if (nl == rest.end()) return fail(Errc::parse, "file payload header is not terminated");
  const ojson h = ojson::parse(rest.begin(), nl, nullptr, false);
  if (h.is_discarded() || !h.is_object() || !h.contains("type") || !h["type"].is_string() ||
      !h.contains("filename") || !h["filename"].is_string() || !h.contains("content_type") ||
      !h["content_type"].is_string()) {
    return fail(Errc::parse, "file payload header lacks type, filename or content_type");
  }
  FileUpload f;
  f.type = h["type"].get<std::string>();
  f.filename = h["filename"].get<std::string>();
  f.content_type = h["content_type"].get<std::string>();
  f.bytes.assign(nl + 1, rest.end());
  return f;
}

// ---- replies ---------------------------------------------------------------------------------

Result<PlatformReply> parse_platform_reply(std::string_view body) {
  const nlohmann::json j = nlohmann::json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return fail(Errc::parse, "reply is not a JSON object");
  PlatformReply r;
  const auto ec = j.find("errorcode");
  if (ec == j.end()) return fail(Errc::parse, "reply has no errorcode");
  if (ec->is_number_unsigned()) {  // (also is_number_integer: check it first)
    const auto u = ec->get<std::uint64_t>();
    if (u > static_cast<std::uint64_t>(INT64_MAX)) {
      return fail(Errc::parse, "reply errorcode is out of range");
    }
    r.errorcode = static_cast<std::int64_t>(u);
  } else if (ec->is_number_integer()) {
    r.errorcode = ec->get<std::int64_t>();
  } else if (ec->is_string()) {
    const auto& s = ec->get_ref<const std::string&>();
    if (s.empty() || s.size() > 18 ||
        !std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      return fail(Errc::parse, "reply errorcode is not an integer");
    }
    r.errorcode = std::stoll(s);
  } else {
    return fail(Errc::parse, "reply errorcode is not an integer");
  }
  if (const auto m = j.find("message"); m != j.end() && !m->is_null()) {
    r.message = m->is_string() ? m->get<std::string>()
                               : m->dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  }
  if (const auto d = j.find("data"); d != j.end()) {
    r.data_json = d->dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  }
  return r;
}

HttpJudgement judge_http(const Result<HttpResponse>& outcome) {
  HttpJudgement j;
  if (!outcome) {
    const auto& e = outcome.error();
    const bool transient =
        e.code == Errc::timeout || e.code == Errc::unavailable || e.code == Errc::internal;
    j.verdict = transient ? HttpVerdict::retry : HttpVerdict::refused;
    j.reason = transient ? e.message : "cannot make the request: " + e.message;
    return j;
  }
  const int s = outcome->status;
  auto snippet = [&] {
    std::string b = outcome->body.substr(0, 200);
    std::replace_if(b.begin(), b.end(), [](char c) { return c == '\n' || c == '\r'; }, ' ');
    return b;
  };
  if (s >= 500 || s == 408 || s == 429) {
    j.verdict = HttpVerdict::retry;
    j.reason = "HTTP " + std::to_string(s);
    return j;
  }
  auto reply = parse_platform_reply(outcome->body);
  if (s >= 300) {
    j.verdict = HttpVerdict::refused;  // 4xx; 3xx means a wrong base_url: retrying will not help
    j.reason = "HTTP " + std::to_string(s) +
               (reply ? ", errorcode " + std::to_string(reply->errorcode) + ": " + reply->message
                      : ": " + snippet());
    if (reply) j.reply = *reply;
    return j;
  }
  if (s < 200 || !reply) {
    // The platform may have stored it; a repeat under the same key is harmless.
    j.verdict = HttpVerdict::retry;
    j.reason = "HTTP " + std::to_string(s) + " with an unreadable reply" +
               (reply ? "" : ": " + reply.error().message);
    return j;
  }
  j.reply = *reply;
  if (reply->errorcode == 0) {
    j.verdict = HttpVerdict::accepted;
  } else {
    j.verdict = HttpVerdict::refused;
    j.reason = "errorcode " + std::to_string(reply->errorcode) + ": " + reply->message;
  }
  return j;
}

std::vector<std::uint8_t> http_signed_bytes(std::span<const std::uint8_t> data,
                                            std::int64_t ts_ms) {
  std::vector<std::uint8_t> out(data.begin(), data.end());
  const auto ts = static_cast<std::uint64_t>(ts_ms);
  for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<std::uint8_t>(ts >> shift));
  return out;
}

// ---- HttpApi ---------------------------------------------------------------------------------

Result<HttpApi> HttpApi::create(const config::HttpUplinkConfig& cfg) {
  HttpApi api;
  const std::string base = strip_slash(cfg.base_url);
  for (HttpResource r : default_http_resources()) {
    r.base_url = base;
    r.version = cfg.api_version;
    if (auto it = cfg.resources.find(r.name); it != cfg.resources.end()) {
      const auto& o = it->second;
      if (!o.path.empty()) r.path = o.path;
      if (!o.version.empty()) r.version = o.version;
      for (const auto& [canon, wire] : o.fields) {
        if (std::find(r.fields.begin(), r.fields.end(), canon) == r.fields.end()) {
          return fail(Errc::invalid_argument, "uplink.http.resources." + r.name + ".fields." +
                                                  canon + ": " + r.name + " has no field " +
                                                  canon);
        }
        r.renames[canon] = wire;
      }
    }
    api.resources_.push_back(std::move(r));
  }
  const auto& ce = cfg.continuing_education;
  if (!ce.base_url.empty()) {
    auto add_ce = [&](const std::string& name, const config::HttpResourceConfig& o) {
      HttpResource r;
      r.name = "ce." + name;
      r.base_url = strip_slash(ce.base_url);
      r.path = o.path.empty() ? name : o.path;
      r.version = o.version.empty() ? ce.api_version : o.version;
      r.body = HttpBody::json;
      r.renames = o.fields;
      api.resources_.push_back(std::move(r));
    };
    if (ce.resources.empty()) add_ce("record", {});
    for (const auto& [name, o] : ce.resources) add_ce(name, o);
  }
  return api;
}

const HttpResource* HttpApi::find(std::string_view name) const {
  for (const auto& r : resources_) {
    if (r.name == name) return &r;
  }
  return nullptr;
}

Result<std::string> HttpApi::natural_key(std::string_view resource,
                                         std::span<const std::uint8_t> payload) const {
  const HttpResource* r = find(resource);
  if (r == nullptr) return fail(Errc::not_found, "unknown HTTP resource " + std::string(resource));
  if (r->key_fields.empty()) {
    return fail(Errc::invalid_argument, r->name + " has no natural key fields; the caller names it");
  }
  auto j = parse_object(payload);
  if (!j) return fail(j.error());
  std::string key;
  for (const auto& f : r->key_fields) {
    const auto it = j->find(f);
    if (it == j->end() || it->is_null() || key_text(*it).empty()) {
      return fail(Errc::invalid_argument, r->name + " payload lacks its key field " + f);
    }
    key += (key.empty() ? "" : "/") + key_text(*it);
  }
  return key;
}

Result<HttpBodyBytes> HttpApi::body(std::string_view resource,
                                    std::span<const std::uint8_t> payload) const {
  const HttpResource* r = find(resource);
  if (r == nullptr) {
    return fail(Errc::invalid_argument, "unknown HTTP resource " + std::string(resource));
  }
  HttpBodyBytes out;
  switch (r->body) {
    case HttpBody::none: {
      const std::string key(payload.begin(), payload.end());
      if (key.empty() || key.find_first_of("/?#& ") != std::string::npos) {
        return fail(Errc::invalid_argument, r->name + ": bad key \"" + key + "\"");
      }
      out.path = r->path + "-" + key;
      // "For GET the signed data is the path key."
      out.signed_data.assign(out.path.begin(), out.path.end());
      return out;
    }
    case HttpBody::multipart: {
      auto f = decode_file_payload(payload);
      if (!f) return fail(f.error());
      if (f->type.empty() || f->type.find_first_of("/?#& ") != std::string::npos) {
        return fail(Errc::invalid_argument, "imageup: bad file type \"" + f->type + "\"");
      }
      if (f->filename.find_first_of("\"\r\n") != std::string::npos ||
          f->content_type.find_first_of("\r\n") != std::string::npos) {
        return fail(Errc::invalid_argument, "imageup: bad file name or content type");
      }
      out.path = r->path + "/" + f->type;
      // A boundary derived from the content: the same file always makes the same bytes.
      const auto digest = sha256(f->bytes);
      std::string boundary = "----tta" + to_hex(std::span(digest).first(12));
      const std::string_view content(reinterpret_cast<const char*>(f->bytes.data()),
                                     f->bytes.size());
      while (content.find(boundary) != std::string_view::npos) boundary += "x";
      std::string head = "--" + boundary + "\r\nContent-Disposition: form-data; name=\"" +
                         r->file_field + "\"; filename=\"" + f->filename +
                         "\"\r\nContent-Type: " +
                         (f->content_type.empty() ? "application/octet-stream" : f->content_type) +
                         "\r\n\r\n";
      const std::string tail = "\r\n--" + boundary + "--\r\n";
      out.body.reserve(head.size() + f->bytes.size() + tail.size());
      out.body.assign(head.begin(), head.end());
      out.body.insert(out.body.end(), f->bytes.begin(), f->bytes.end());
      out.body.insert(out.body.end(), tail.begin(), tail.end());
      out.content_type = "multipart/form-data; boundary=" + boundary;
      out.signed_data = std::move(f->bytes);
      return out;
    }
    case HttpBody::json: break;
  }
  auto j = parse_object(payload);
  if (!j) return fail(j.error().context(r->name));
  auto wire = [&](const std::string& canon) {
    const auto it = r->renames.find(canon);
    return it == r->renames.end() ? canon : it->second;
  };
  ojson o = ojson::object();
  if (r->fields.empty()) {
    for (const auto& [k, v] : j->items()) o[wire(k)] = v;
  } else {
    for (const auto& [k, v] : j->items()) {
      if (std::find(r->fields.begin(), r->fields.end(), k) == r->fields.end()) {
        return fail(Errc::invalid_argument, r->name + " has no field \"" + k + "\"");
      }
    }
    for (const auto& f : r->fields) {
      if (const auto it = j->find(f); it != j->end()) o[wire(f)] = *it;
    }
  }
  std::string text;
  try {
    text = o.dump();  // compact, UTF-8 as is
  } catch (const nlohmann::json::exception& e) {
    return fail(Errc::invalid_argument, r->name + ": " + e.what());
  }
  out.path = r->path;
  out.content_type = "application/json;charset=utf-8";
  out.body.assign(text.begin(), text.end());
  out.signed_data = out.body;
  return out;
}

Result<HttpRequest> HttpApi::build(std::string_view resource,
                                   std::span<const std::uint8_t> payload, const SigningKey& key,
                                   std::int64_t ts_ms) const {
  const HttpResource* r = find(resource);
  if (r == nullptr) {
    return fail(Errc::invalid_argument, "unknown HTTP resource " + std::string(resource));
  }
  if (r->base_url.empty()) {
    return fail(Errc::invalid_argument, "no base_url configured for " + r->name);
  }
  auto b = body(resource, payload);
  if (!b) return fail(b.error());
  auto sig = key.sign(http_signed_bytes(b->signed_data, ts_ms));
  if (!sig) return fail(sig.error());
  HttpRequest req;
  req.method = r->body == HttpBody::none ? "GET" : "POST";
  req.url = r->base_url + "/" + b->path + "?v=" + url_escape(r->version) +
            "&ts=" + std::to_string(ts_ms) + "&sign=" + to_hex(*sig, true) +
            "&user=" + url_escape(key.certificate().serial_hex());
  req.content_type = std::move(b->content_type);
  req.body = std::move(b->body);
  return req;
}

}  // namespace tta::uplink
