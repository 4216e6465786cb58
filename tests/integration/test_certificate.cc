#include "test_certificate.h"

#include "harness.h"

namespace cordon::testing {

TestCertificate make_test_certificate(const std::string& dir, const std::string& name,
                                      const std::string& alt, const std::string& prefix) {
  TestCertificate c;
  c.cert = dir + "/" + prefix + "cert.pem";
  c.key = dir + "/" + prefix + "key.pem";
  RunOut r = run_program({"/usr/bin/openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                          "-subj", "/CN=" + name, "-addext", "subjectAltName=" + alt, "-days", "1",
                          "-keyout", c.key, "-out", c.cert});
  if (r.status != 0) c.error = "openssl req: exit " + std::to_string(r.status) + ": " + r.err;
  return c;
}

}  // namespace cordon::testing
