#include "salted_hash.hpp"

#include <openssl/evp.h>

#include <stdexcept>

namespace ingestd::plugins::map {

struct SaltedHash::State {
  EVP_MD_CTX* salted = EVP_MD_CTX_new();  // after the salt
  EVP_MD_CTX* work = EVP_MD_CTX_new();
  ~State() {
    EVP_MD_CTX_free(salted);
    EVP_MD_CTX_free(work);
  }
};

SaltedHash::SaltedHash(std::string_view salt) : state_(std::make_unique<State>()) {
  if (!state_->salted || !state_->work || !EVP_DigestInit_ex(state_->salted, EVP_sha256(), nullptr) ||
      !EVP_DigestUpdate(state_->salted, salt.data(), salt.size()))
    throw std::runtime_error("SHA-256 is not available");
}

SaltedHash::~SaltedHash() = default;

void SaltedHash::hex(std::string_view value, std::string& out) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (!EVP_MD_CTX_copy_ex(state_->work, state_->salted) || !EVP_DigestUpdate(state_->work, value.data(), value.size()) ||
      !EVP_DigestFinal_ex(state_->work, digest, &length))
    throw std::runtime_error("SHA-256 failed");
  static const char* digits = "0123456789abcdef";
  out.resize(length * 2);
  for (unsigned int i = 0; i < length; ++i) {
    out[2 * i] = digits[digest[i] >> 4];
    out[2 * i + 1] = digits[digest[i] & 15];
  }
}

}  // namespace ingestd::plugins::map
