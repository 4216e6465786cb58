// docs/openapi.json against the route table (api::routes()): the same (method, path)
// pairs both ways, 401 and a security requirement on every operation (every route is
// authenticated), every path parameter declared. A route added to the code without the
// document, or documented without the code, fails here. (It reads the document from the
// source tree: CORDON_OPENAPI_DOC.)
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "http/response.h"
#include "api/api.h"

namespace cordon::api {
namespace {

using nlohmann::json;
using RouteKey = std::pair<std::string, std::string>;  // (method, path template)

const char* const kMethods[] = {"get", "put", "post", "delete", "options", "head", "patch", "trace"};

const json& doc() {
  static const json d = [] {
    std::ifstream in(CORDON_OPENAPI_DOC, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    return json::parse(text.str(), nullptr, false);
  }();
  return d;
}

// The document writes the router's trailing "{path*}" as "{path}" (OpenAPI has no
// rest-of-path parameter).
std::string openapi_path(std::string pattern) {
  for (size_t star = pattern.find("*}"); star != std::string::npos; star = pattern.find("*}"))
    pattern.erase(star, 1);
  return pattern;
}

std::set<RouteKey> code_routes() {
  std::set<RouteKey> out;
  for (const auto& r : routes()) out.emplace(r.method, openapi_path(r.pattern));
  return out;
}

std::set<RouteKey> doc_routes() {
  std::set<RouteKey> out;
  for (const auto& [path, item] : doc()["paths"].items())
    for (const char* m : kMethods)
      if (item.contains(m)) {
        std::string upper = m;
        for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        out.emplace(upper, path);
      }
  return out;
}

// Each operation of the document: (method, path, path item, operation).
struct Operation {
  std::string method, path;
  const json* item;
  const json* op;
};
std::vector<Operation> operations() {
  std::vector<Operation> out;
  for (const auto& [path, item] : doc()["paths"].items())
    for (const char* m : kMethods)
      if (item.contains(m)) out.push_back({m, path, &item, &item[m]});
  return out;
}

// A "$ref": "#/a/b" resolved within the document (nullptr when it names nothing).
const json* resolve(const json& node) {
  if (!node.is_object() || !node.contains("$ref")) return &node;
  std::string ref = node["$ref"].get<std::string>();
  if (ref.rfind("#/", 0) != 0) return nullptr;
  json::json_pointer ptr(ref.substr(1));
  return doc().contains(ptr) ? &doc()[ptr] : nullptr;
}

std::vector<std::string> template_params(const std::string& path) {
  std::vector<std::string> out;
  for (size_t open = path.find('{'); open != std::string::npos; open = path.find('{', open + 1)) {
    size_t close = path.find('}', open);
    if (close == std::string::npos) break;
    out.push_back(path.substr(open + 1, close - open - 1));
  }
  return out;
}

TEST(OpenApi, DocumentLoads) {
  ASSERT_FALSE(doc().is_discarded()) << CORDON_OPENAPI_DOC << " is not valid JSON";
  ASSERT_TRUE(doc().is_object());
  EXPECT_EQ(doc().value("openapi", "").rfind("3.0", 0), 0u);
  ASSERT_TRUE(doc().contains("paths") && doc()["paths"].is_object());
}

TEST(OpenApi, EveryRouteOfTheCodeIsDocumented) {
  ASSERT_FALSE(doc().is_discarded());
  auto documented = doc_routes();
  for (const auto& r : code_routes())
    EXPECT_TRUE(documented.count(r)) << r.first << " " << r.second << " is served but not in docs/openapi.json";
}

TEST(OpenApi, EveryDocumentedRouteIsServed) {
  ASSERT_FALSE(doc().is_discarded());
  auto served = code_routes();
  for (const auto& r : doc_routes())
    EXPECT_TRUE(served.count(r)) << r.first << " " << r.second << " is documented but not in api::routes()";
  EXPECT_EQ(doc_routes().size(), routes().size()) << "a route twice in the table?";
}

TEST(OpenApi, EveryOperationIsAuthenticated) {
  ASSERT_FALSE(doc().is_discarded());
  const json& schemes = doc()["components"]["securitySchemes"];
  ASSERT_TRUE(schemes.is_object() && !schemes.empty());
  for (const auto& o : operations()) {
    SCOPED_TRACE(o.method + " " + o.path);
    ASSERT_TRUE(o.op->contains("responses"));
    EXPECT_TRUE((*o.op)["responses"].contains("401"));
    ASSERT_TRUE(o.op->contains("security")) << "no security requirement";
    const json& sec = (*o.op)["security"];
    ASSERT_TRUE(sec.is_array() && !sec.empty());
    for (const auto& requirement : sec) {
      // An empty requirement ({}) would mean "no credentials needed": no route allows that.
      ASSERT_TRUE(requirement.is_object() && !requirement.empty());
      for (const auto& [name, scopes] : requirement.items()) {
        (void)scopes;
        EXPECT_TRUE(schemes.contains(name)) << "unknown security scheme " << name;
      }
    }
  }
}

TEST(OpenApi, EveryPathParameterIsDeclared) {
  ASSERT_FALSE(doc().is_discarded());
  for (const auto& o : operations()) {
    SCOPED_TRACE(o.method + " " + o.path);
    std::set<std::string> declared;
    for (const json* list : {o.item, o.op}) {
      if (!list->contains("parameters")) continue;
      for (const auto& p : (*list)["parameters"]) {
        const json* param = resolve(p);
        ASSERT_NE(param, nullptr) << p.dump();
        if (param->value("in", "") != "path") continue;
        EXPECT_TRUE(param->value("required", false)) << param->value("name", "");
        declared.insert(param->value("name", ""));
      }
    }
    auto in_template = template_params(o.path);
    for (const auto& name : in_template) EXPECT_TRUE(declared.count(name)) << "{" << name << "} not declared";
    // And no path parameter that the template does not have.
    EXPECT_EQ(declared.size(), std::set<std::string>(in_template.begin(), in_template.end()).size());
  }
}

TEST(OpenApi, EveryReferenceResolves) {
  ASSERT_FALSE(doc().is_discarded());
  std::vector<const json*> todo = {&doc()};
  size_t refs = 0;
  while (!todo.empty()) {
    const json* n = todo.back();
    todo.pop_back();
    if (n->is_object() && n->contains("$ref") && (*n)["$ref"].is_string()) {
      ++refs;
      EXPECT_NE(resolve(*n), nullptr) << (*n)["$ref"];
    }
    if (n->is_structured())
      for (const auto& child : *n) todo.push_back(&child);
  }
  EXPECT_GT(refs, 0u);
}

TEST(OpenApi, EveryStatusIsOneTheServerNames) {
  ASSERT_FALSE(doc().is_discarded());
  for (const auto& o : operations()) {
    for (const auto& [code, resp] : (*o.op)["responses"].items()) {
      (void)resp;
      if (code == "default") continue;
      EXPECT_STRNE(http::reason_phrase(std::stoi(code)), "Unknown") << o.method << " " << o.path << " " << code;
    }
  }
}

// The router's rest-of-path parameter really is the last segment of its pattern: the
// mapping above ({path*} -> {path}) only makes sense for that.
TEST(OpenApi, RestOfPathParametersAreLast) {
  for (const auto& r : routes()) {
    std::string p = r.pattern;
    size_t star = p.find("*}");
    if (star == std::string::npos) continue;
    EXPECT_EQ(star + 2, p.size()) << p;
  }
}

}  // namespace
}  // namespace cordon::api
