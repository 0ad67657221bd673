#include "auth/password.h"

#include <argon2.h>

#include <exception>

#include "common/crypto.h"

namespace segue::auth {
namespace {

constexpr std::size_t kSaltBytes = 16;
constexpr std::size_t kHashBytes = 32;

std::string param_prefix(const PasswordParams& p) {
  return "$argon2id$v=" + std::to_string(ARGON2_VERSION_NUMBER) +
         "$m=" + std::to_string(p.memory_kib) + ",t=" + std::to_string(p.iterations) +
         ",p=" + std::to_string(p.parallelism) + "$";
}

}  // namespace

Result<std::string> hash_password(std::string_view password, const PasswordParams& params) {
  std::string salt;
  try {
    salt = crypto::random_bytes(kSaltBytes);
  } catch (const std::exception& e) {
    return Error::internal(std::string("password salt: ") + e.what());
  }
  std::size_t len = argon2_encodedlen(params.iterations, params.memory_kib, params.parallelism,
                                      kSaltBytes, kHashBytes, Argon2_id);
  std::string encoded(len, '\0');
  int rc = argon2id_hash_encoded(params.iterations, params.memory_kib, params.parallelism,
                                 password.data(), password.size(), salt.data(), salt.size(),
                                 kHashBytes, encoded.data(), encoded.size());
  if (rc != ARGON2_OK) {
    if (rc == ARGON2_MEMORY_ALLOCATION_ERROR)
      return Error::exhausted("argon2: " + std::string(argon2_error_message(rc)));
    return Error::invalid("argon2: " + std::string(argon2_error_message(rc)));
  }
  // argon2_encodedlen counts the terminating NUL.
  if (auto nul = encoded.find('\0'); nul != std::string::npos) encoded.resize(nul);
  return encoded;
}

Result<bool> password_matches(std::string_view encoded, std::string_view password) {
  if (!encoded.starts_with("$argon2id$"))
    return Error::corruption("stored password hash is not an argon2id PHC string");
  std::string enc(encoded);  // argon2 wants a NUL-terminated string
  int rc = argon2id_verify(enc.c_str(), password.data(), password.size());
  if (rc == ARGON2_OK) return true;
  if (rc == ARGON2_VERIFY_MISMATCH) return false;
  if (rc == ARGON2_MEMORY_ALLOCATION_ERROR)
    return Error::exhausted("argon2: " + std::string(argon2_error_message(rc)));
  return Error::corruption("argon2: " + std::string(argon2_error_message(rc)));
}

bool password_needs_rehash(std::string_view encoded, const PasswordParams& params) {
  return !encoded.starts_with(param_prefix(params));
}

}  // namespace segue::auth
