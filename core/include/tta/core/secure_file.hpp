#pragma once
/// Secret files (the store key, the control-API token): created 0600, refused when others can
/// read them. Their contents are never logged.

#include <cstdint>
#include <filesystem>
#include <vector>

#include "tta/core/result.hpp"

namespace tta {

/// Read a secret file. Fails with Errc::permission (and says how to fix it) when the file is
/// readable or writable by group or others, with Errc::not_found when it is missing.
[[nodiscard]] Result<std::vector<std::uint8_t>> read_secret_file(const std::filesystem::path& path);

/// Create a new secret file with mode 0600, write `data`, and fsync file and directory.
/// Fails with Errc::already_exists rather than replacing an existing file.
[[nodiscard]] Status write_secret_file(const std::filesystem::path& path,
                                       const std::vector<std::uint8_t>& data);

/// `n` bytes from the kernel's CSPRNG (getrandom).
[[nodiscard]] Result<std::vector<std::uint8_t>> random_bytes(std::size_t n);

/// fsync a directory so a file created in it survives power loss.
[[nodiscard]] Status fsync_directory(const std::filesystem::path& dir);

}  // namespace tta
