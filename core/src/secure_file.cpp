#include "tta/core/secure_file.hpp"

#include <cerrno>
#include <cstring>

#include <fcntl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

namespace tta {
namespace {

std::string os_error(int err) { return std::strerror(err); }

struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

}  // namespace

Result<std::vector<std::uint8_t>> read_secret_file(const std::filesystem::path& path) {
  Fd f;
  f.fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (f.fd < 0) {
    const int err = errno;
    return fail(err == ENOENT ? Errc::not_found : Errc::io,
                path.string() + ": cannot open: " + os_error(err));
  }
  struct stat st {};
  if (::fstat(f.fd, &st) != 0) return fail(Errc::io, path.string() + ": " + os_error(errno));
  if (!S_ISREG(st.st_mode)) return fail(Errc::permission, path.string() + ": not a regular file");
  if ((st.st_mode & 077) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    return fail(Errc::permission, path.string() + " has mode " + mode +
                                      " and can be read by group or others; refusing to use it. "
                                      "Fix: chmod 600 " +
                                      path.string());
  }
  std::vector<std::uint8_t> data(static_cast<std::size_t>(st.st_size));
  std::size_t got = 0;
  while (got < data.size()) {
    const ssize_t n = ::read(f.fd, data.data() + got, data.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail(Errc::io, path.string() + ": read failed: " + os_error(errno));
    if (n == 0) break;
    got += static_cast<std::size_t>(n);
  }
  data.resize(got);
  return data;
}

Status fsync_directory(const std::filesystem::path& dir) {
  Fd d;
  d.fd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (d.fd < 0) return fail(Errc::io, dir.string() + ": cannot open directory: " + os_error(errno));
  if (::fsync(d.fd) != 0) return fail(Errc::io, dir.string() + ": fsync failed: " + os_error(errno));
  return ok();
}

Status write_secret_file(const std::filesystem::path& path, const std::vector<std::uint8_t>& data) {
  Fd f;
  f.fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (f.fd < 0) {
    const int err = errno;
    return fail(err == EEXIST ? Errc::already_exists : Errc::io,
                path.string() + ": cannot create: " + os_error(err));
  }
  // The umask can only remove bits, but be explicit: the mode is part of the contract.
  if (::fchmod(f.fd, 0600) != 0) return fail(Errc::io, path.string() + ": " + os_error(errno));
  std::size_t put = 0;
  while (put < data.size()) {
    const ssize_t n = ::write(f.fd, data.data() + put, data.size() - put);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int err = errno;
      ::unlink(path.c_str());
      return fail(err == ENOSPC ? Errc::disk_full : Errc::io,
                  path.string() + ": write failed: " + os_error(err));
    }
    put += static_cast<std::size_t>(n);
  }
  if (::fsync(f.fd) != 0) {
    const int err = errno;
    ::unlink(path.c_str());
    return fail(Errc::io, path.string() + ": fsync failed: " + os_error(err));
  }
  return fsync_directory(path.parent_path());
}

Result<std::vector<std::uint8_t>> random_bytes(std::size_t n) {
  std::vector<std::uint8_t> out(n);
  std::size_t got = 0;
  while (got < n) {
    const ssize_t r = ::getrandom(out.data() + got, n - got, 0);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return fail(Errc::io, "getrandom failed: " + os_error(errno));
    got += static_cast<std::size_t>(r);
  }
  return out;
}

}  // namespace tta
