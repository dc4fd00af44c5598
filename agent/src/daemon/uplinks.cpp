// The platform session's listener (online, offline) and the HTTPS uplink's start.
#include "daemon/daemon_impl.hpp"

namespace tta::agent {

namespace asio = boost::asio;
using nlohmann::json;

void Daemon::Impl::on_offline(const Error& why) {
  if (tcp_was_online) tcp_last_online = clock.wall_now();
  tcp_was_online = false;
  uplink_error = why.message;
  uplink_since = clock.wall_now();
  spdlog::warn("platform connection lost: {}", why.message);
}

void Daemon::Impl::on_online() {
  uplink_since = clock.wall_now();
  tcp_last_online = uplink_since;
  tcp_was_online = true;
  engine.set_terminal_no(session.terminal_no());
  forwarder.poke();
  start_http();
}

Status Daemon::Impl::prepare_http() {
  if (cfg.uplink.http.base_url.empty()) return ok();
  auto api_table = uplink::HttpApi::create(cfg.uplink.http);
  if (!api_table) return fail(api_table.error().context("uplink.http"));
  http_api = std::make_shared<const uplink::HttpApi>(std::move(*api_table));
  if (!https) {
    auto client =
        uplink::HttpClient::create(io, uplink::HttpClientOptions::from_config(cfg.uplink.http));
    if (!client) return fail(client.error().context("uplink.http"));
    http_client = std::move(*client);
  }
  http_error = "waiting for the terminal's certificate (registration)";
  start_http();
  return ok();
}

void Daemon::Impl::start_http() {
  if (http) return;
  auto c = creds.load();
  if (!c || !*c) return;  // not registered yet: on_online tries again
  if (!teach_ready) {
    // Teaching logs (classrecord, ce.record …) are queued from registration on, whether or
    // not an HTTPS uplink is configured: without one they are kept in the outbox for the day
    // one is (uplink.http.base_url), as the docs say.
    teach_id = TeachingLogIdentity{
        .institution_code = (*c)->institution_no.empty() ? cfg.terminal.institution_code
                                                         : (*c)->institution_no,
        .terminal_no = (*c)->terminal_no,
        .platform_no = (*c)->platform_no,
        .car_no = cfg.terminal.plate};
    teach_ready = true;
    teach_tick();
  }
  if (!https && !http_client) return;
  auto key = uplink::SigningKey::from_pkcs12_base64((*c)->certificate_base64,
                                                    (*c)->certificate_password);
  if (!key) {
    http_error = "the terminal's certificate does not load: " + key.error().message;
    spdlog::error("HTTPS uplink: {}", http_error);
    return;
  }
  auto signing = std::make_shared<const uplink::SigningKey>(std::move(*key));
  const auto http_options = HttpForwarderOptions::from_config(cfg.uplink.http);
  http = https ? std::make_unique<HttpForwarder>(io, store, *https, http_api, signing, clock,
                                                 http_options)
               : std::make_unique<HttpForwarder>(io, store, *http_client, http_api, signing,
                                                 clock, http_options);
  http->start();
  http_error.clear();
  spdlog::info("HTTPS uplink to {} running", cfg.uplink.http.base_url);
}

}  // namespace tta::agent
