// A self-signed TLS certificate made for one test (openssl req), for the tests of the HTTP
// server's TLS listener, the daemon's TCP listener and the client's https transport: one
// way to make it, so the three cannot drift apart.
#pragma once

#include <string>

namespace cordon::testing {

struct TestCertificate {
  std::string cert;   // PEM certificate, also the CA a client trusts
  std::string key;    // its PEM private key
  std::string error;  // empty when made; else what openssl said
  bool ok() const { return error.empty(); }
};

// Makes DIR/PREFIXcert.pem and DIR/PREFIXkey.pem, valid for one day, for CN=name with the
// subjectAltName alt (by default localhost and 127.0.0.1, where the tests listen).
TestCertificate make_test_certificate(const std::string& dir, const std::string& name = "localhost",
                                      const std::string& alt = "DNS:localhost,IP:127.0.0.1",
                                      const std::string& prefix = "");

}  // namespace cordon::testing
