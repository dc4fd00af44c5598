// Core message codecs (terminal-protocol.md §1.2); layouts in layouts.hpp.
#include "tta/uplink/messages.hpp"

#include "layouts.hpp"

namespace tta::uplink {

std::string_view message_name(std::uint16_t msg_id) noexcept {
  switch (msg_id) {
    case msgid::kTerminalAck:
      return "general ack (terminal)";
    case msgid::kPlatformAck:
      return "general ack (platform)";
    case msgid::kHeartbeat:
      return "heartbeat";
    case msgid::kDeregister:
      return "deregister";
    case msgid::kResendRequest:
      return "re-send request";
    case msgid::kRegister:
      return "register";
    case msgid::kRegisterReply:
      return "register reply";
    case msgid::kAuthenticate:
      return "authenticate";
    case msgid::kPosition:
      return "position report";
    case msgid::kSetParams:
      return "set terminal parameters";
    case msgid::kQueryParams:
      return "query terminal parameters";
    case msgid::kQueryParamsReply:
      return "query terminal parameters reply";
    case msgid::kTerminalControl:
      return "terminal control";
    case msgid::kQuerySomeParams:
      return "query some terminal parameters";
    case msgid::kUplinkPassThrough:
      return "pass-through (uplink)";
    case msgid::kDownlinkPassThrough:
      return "pass-through (downlink)";
    default:
      return "";
  }
}

TTA_UPLINK_DEFINE_CODEC(GeneralAck)
TTA_UPLINK_DEFINE_CODEC(Register)
TTA_UPLINK_DEFINE_CODEC(RegisterReply)
TTA_UPLINK_DEFINE_CODEC(Authenticate)
TTA_UPLINK_DEFINE_CODEC(SetTerminalParams)
TTA_UPLINK_DEFINE_CODEC(QueryTerminalParamsReply)
TTA_UPLINK_DEFINE_CODEC(TerminalControl)
TTA_UPLINK_DEFINE_CODEC(QuerySomeTerminalParams)
TTA_UPLINK_DEFINE_CODEC(ResendRequest)
TTA_UPLINK_DEFINE_CODEC(PassThrough)

}  // namespace tta::uplink
