#pragma once
// A loopback TCP port nobody is listening on right now, for a child process to listen on.
// The kernel picks it (bind to port 0), so it is not one a fixed formula could collide with,
// e.g. another test's outgoing connection in the ephemeral range.

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

namespace tta::testing {

/// 0 when no socket could be made (the caller's listen then fails loudly).
inline int free_tcp_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return 0;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  socklen_t len = sizeof a;
  int port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0) {
    port = ntohs(a.sin_port);
  }
  ::close(fd);
  return port;
}

}  // namespace tta::testing
